import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ACME_IDENTIFIER_OID, ariCertId, base64url, dns01Value, fromBase64url, keyAuthorization, parseAriCertId, tlsAlpn01Check } from "./acme-crypto.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stamp-alpn-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const jwk = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "jwk" }) as Record<string, unknown>;
const thumb = () => createHash("sha256").update(`{"crv":"P-256","kty":"EC","x":"${jwk.x as string}","y":"${jwk.y as string}"}`).digest("base64url");

describe("keyAuthorization and dns01Value", () => {
  it("ok/ known answers computed independently (RFC 8555 §8.1, §8.4)", () => {
    const token = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
    const ka = keyAuthorization(token, jwk);
    expect(ka).toBe(`${token}.${thumb()}`);
    expect(dns01Value(ka)).toBe(createHash("sha256").update(ka).digest("base64url"));
    expect(dns01Value(ka)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
  it("ok/ RFC 7638 example key gives the RFC thumbprint inside the key authorization", () => {
    const rfc = {
      kty: "RSA", e: "AQAB",
      n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
    };
    expect(keyAuthorization("tok", rfc)).toBe("tok.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
  });
});

describe("tlsAlpn01Check", () => {
  const ka = "token123.thumbprint456";
  const digestHex = (s: string) => createHash("sha256").update(s).digest("hex").match(/../g)!.join(":");
  let n = 0;
  /** A self-signed certificate made by OpenSSL with the given -addext values, as DER. */
  const makeCert = (...addext: string[]): Uint8Array => {
    const out = join(dir, `c${n++}.der`);
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", join(dir, "k.pem"),
      "-subj", "/CN=acme-tls-alpn", "-days", "1", "-outform", "DER", "-out", out, ...addext.flatMap((e) => ["-addext", e]),
    ], { stdio: "pipe" });
    return new Uint8Array(readFileSync(out));
  };
  const acmeExt = (critical = true, s = ka) => `${ACME_IDENTIFIER_OID}=${critical ? "critical," : ""}DER:04:20:${digestHex(s)}`;

  it("ok/ dns identifier (case-insensitive)", () => {
    const der = makeCert(acmeExt(), "subjectAltName=DNS:x.test");
    expect(tlsAlpn01Check(der, { type: "dns", value: "x.test" }, ka)).toBeNull();
    expect(tlsAlpn01Check(der, { type: "dns", value: "X.Test" }, ka)).toBeNull();
  });
  it("ok/ ip identifiers, IPv4 and IPv6 compared as octets (RFC 8738 §6)", () => {
    expect(tlsAlpn01Check(makeCert(acmeExt(), "subjectAltName=IP:192.0.2.1"), { type: "ip", value: "192.0.2.1" }, ka)).toBeNull();
    const v6 = makeCert(acmeExt(), "subjectAltName=IP:2001:db8::1");
    expect(tlsAlpn01Check(v6, { type: "ip", value: "2001:db8::1" }, ka)).toBeNull();
    expect(tlsAlpn01Check(v6, { type: "ip", value: "2001:0DB8:0:0:0:0:0:1" }, ka)).toBeNull();
    expect(tlsAlpn01Check(v6, { type: "ip", value: "2001:db8::2" }, ka)).toMatch(/does not match/);
    expect(tlsAlpn01Check(v6, { type: "ip", value: "2001:db8:::1" }, ka)).toMatch(/does not match/);
  });
  it("fail/ wrong digest, non-critical, missing extension → reason", () => {
    expect(tlsAlpn01Check(makeCert(acmeExt(true, "other"), "subjectAltName=DNS:x.test"), { type: "dns", value: "x.test" }, ka)).toMatch(/does not match the key authorization/);
    expect(tlsAlpn01Check(makeCert(acmeExt(false), "subjectAltName=DNS:x.test"), { type: "dns", value: "x.test" }, ka)).toMatch(/not critical/);
    expect(tlsAlpn01Check(makeCert("subjectAltName=DNS:x.test"), { type: "dns", value: "x.test" }, ka)).toMatch(/no acmeIdentifier/);
    const short = `${ACME_IDENTIFIER_OID}=critical,DER:04:02:ab:cd`;
    expect(tlsAlpn01Check(makeCert(short, "subjectAltName=DNS:x.test"), { type: "dns", value: "x.test" }, ka)).toMatch(/32 bytes/);
    const notOctets = `${ACME_IDENTIFIER_OID}=critical,DER:05:00`;
    expect(tlsAlpn01Check(makeCert(notOctets, "subjectAltName=DNS:x.test"), { type: "dns", value: "x.test" }, ka)).toMatch(/OCTET STRING/);
  });
  it("fail/ two SANs, no SAN, other name, wrong type → reason", () => {
    expect(tlsAlpn01Check(makeCert(acmeExt(), "subjectAltName=DNS:x.test,DNS:y.test"), { type: "dns", value: "x.test" }, ka)).toMatch(/exactly one/);
    expect(tlsAlpn01Check(makeCert(acmeExt()), { type: "dns", value: "x.test" }, ka)).toMatch(/no subjectAltName/);
    expect(tlsAlpn01Check(makeCert(acmeExt(), "subjectAltName=DNS:y.test"), { type: "dns", value: "x.test" }, ka)).toMatch(/does not match/);
    expect(tlsAlpn01Check(makeCert(acmeExt(), "subjectAltName=IP:192.0.2.1"), { type: "dns", value: "192.0.2.1" }, ka)).toMatch(/not a dNSName/);
    expect(tlsAlpn01Check(makeCert(acmeExt(), "subjectAltName=DNS:x.test"), { type: "ip", value: "192.0.2.1" }, ka)).toMatch(/not an iPAddress/);
    expect(tlsAlpn01Check(makeCert(acmeExt(), "subjectAltName=IP:192.0.2.1"), { type: "ip", value: "192.0.2.01" }, ka)).toMatch(/does not match/);
  });
  it("fail/ garbage DER → reason, never a throw", () => {
    const good = makeCert(acmeExt(), "subjectAltName=DNS:x.test");
    for (const der of [new Uint8Array(0), Uint8Array.of(0x30, 0x03, 1), good.subarray(0, good.length - 5), Uint8Array.from(Buffer.from("not der"))]) {
      expect(tlsAlpn01Check(der, { type: "dns", value: "x.test" }, ka)).toMatch(/could not be parsed/);
    }
    for (let i = 0; i < good.length; i += 7) {
      const m = Uint8Array.from(good);
      m[i] ^= 0x5a;
      expect(() => tlsAlpn01Check(m, { type: "dns", value: "x.test" }, ka)).not.toThrow();
    }
  });
});

describe("ARI CertID (RFC 9773 §4.1)", () => {
  const aki = Uint8Array.from(Buffer.from("69885B6B87464041E1B37B847BA0AE2CDE01C8D4", "hex"));
  const serial = Uint8Array.of(0x00, 0x87, 0x65, 0x43, 0x21);
  it("ok/ the RFC example and round trip", () => {
    const id = ariCertId(aki, serial);
    expect(id).toBe("aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE");
    expect(parseAriCertId(id)).toEqual({ aki, serial });
  });
  it("fail/ malformed identifiers → null", () => {
    for (const id of [
      "", ".", "nodot", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.", ".AIdlQyE", "a.b.c", "aYhba4dGQEHhs3uEe6CuLN4ByNQ=.AIdlQyE",
      "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE=", "aYhba4dGQEHhs3uEe6CuLN4ByNQ.h2VDIQ" /* negative serial */,
      "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AAE" /* non-minimal */, "aYhba+dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE", `${"A".repeat(600)}.AQ`,
    ]) expect(parseAriCertId(id), id).toBeNull();
  });
  it("ok/ base64url helpers are re-exported", () => {
    expect(base64url(aki)).toBe("aYhba4dGQEHhs3uEe6CuLN4ByNQ");
    expect(fromBase64url("AIdlQyE")).toEqual(serial);
  });
});
