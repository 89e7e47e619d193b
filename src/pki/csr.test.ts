import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assembleCsr, buildCsrInfo, parseCsr, parseCsrAsync } from "./csr.js";
import { readTlv } from "./der.js";
import { encodeName } from "./name.js";
import { toPem } from "./pem.js";
import { makeKey, signWith } from "./pki-fixtures.test-util.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stamp-csr-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CSR made by OpenSSL with SANs, basicConstraints and a challengePassword. */
function opensslCsr(): string {
  const cfg = join(dir, "req.cnf");
  execFileSync("sh", ["-c", `cat > ${cfg} <<'X'
[req]
distinguished_name = dn
attributes = attrs
prompt = no
[dn]
CN = svc.example.test
O = Example
[attrs]
challengePassword = s3cret-pass
X`]);
  execFileSync("openssl", [
    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout", join(dir, "k.pem"), "-config", cfg,
    "-addext", "subjectAltName=DNS:svc.example.test,DNS:*.example.test,IP:10.0.0.1,IP:2001:db8::1,email:ops@example.test,URI:spiffe://example.test/svc",
    "-addext", "basicConstraints=critical,CA:TRUE,pathlen:2", "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
    "-addext", "extendedKeyUsage=serverAuth,clientAuth", "-out", join(dir, "req.pem"),
  ], { stdio: "ignore" });
  return readFileSync(join(dir, "req.pem"), "utf8");
}

describe("parseCsr", () => {
  it("ok/ an OpenSSL CSR with requested extensions", () => {
    const csr = parseCsr(opensslCsr());
    expect(csr.signatureValid).toBe(true);
    expect(csr.keyAlgorithm).toBe("EC_secp384r1");
    expect(csr.keyDescription).toBe("EC P-384");
    // The config writes CN first, so RFC 4514 text (last RDN first) starts with O.
    expect(csr.subjectText).toBe("O=Example, CN=svc.example.test");
    expect(csr.subjectFields).toMatchObject({ commonName: "svc.example.test", organization: "Example" });
    expect(csr.challengePassword).toBe("s3cret-pass");
    const r = csr.requestedExtensions;
    expect(r.present).toBe(true);
    expect(r.sans).toEqual({
      dns: ["svc.example.test", "*.example.test"], ip: ["10.0.0.1", "2001:db8::1"], email: ["ops@example.test"], uri: ["spiffe://example.test/svc"], other: [],
    });
    expect(r.basicConstraints).toEqual({ ca: true, pathLength: 2 });
    expect(r.keyUsage).toEqual(["digitalSignature", "keyEncipherment"]);
    expect(r.extendedKeyUsage).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  });
  it("ok/ our own CSR, as PEM, DER, base64 and legacy label; a wrong signature is reported, not thrown", async () => {
    const key = await makeKey("RSA_2048");
    const info = buildCsrInfo(encodeName({ commonName: "mine" }), key.spki);
    const der = assembleCsr(info, "RSA_2048", signWith(key, info));
    for (const input of [der, toPem(der, "CERTIFICATE REQUEST"), Buffer.from(der).toString("base64"), toPem(der, "NEW CERTIFICATE REQUEST")]) {
      const c = parseCsr(input);
      expect(c.signatureValid).toBe(true);
      expect(c.requestedExtensions).toEqual({ present: false, oids: [] });
    }
    const other = await makeKey("RSA_2048");
    expect(parseCsr(assembleCsr(info, "RSA_2048", signWith(other, info))).signatureValid).toBe(false);
    // Claims ECDSA but the key is RSA: not valid.
    expect(parseCsr(assembleCsr(info, "EC_prime256v1", signWith(key, info))).signatureValid).toBe(false);
  });

  it("ok/ our own CSR with subjectAltName dNSNames: parsed back, and OpenSSL verifies it and reads the names", async () => {
    const key = await makeKey("EC_prime256v1");
    const info = buildCsrInfo(encodeName({ commonName: "a.example" }), key.spki, ["a.example", "b.example"]);
    const der = assembleCsr(info, "EC_prime256v1", signWith(key, info));
    const c = parseCsr(der);
    expect(c.signatureValid).toBe(true);
    expect(c.requestedExtensions.sans?.dns).toEqual(["a.example", "b.example"]);
    const text = execFileSync("openssl", ["req", "-verify", "-noout", "-text"], { input: toPem(der, "CERTIFICATE REQUEST"), stdio: ["pipe", "pipe", "pipe"] }).toString();
    expect(text).toContain("DNS:a.example, DNS:b.example");
  });
});

/** `openssl req` with a new key in the test dir; returns the CSR PEM. */
function req(newkey: string[], subj: string, extra: string[] = []): string {
  const out = join(dir, "r2.pem");
  execFileSync("openssl", ["req", "-new", ...newkey, "-nodes", "-keyout", join(dir, "k2.pem"), "-subj", subj, ...extra, "-out", out], { stdio: "ignore" });
  return readFileSync(out, "utf8");
}
const EC = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];
const derOf = (pem: string) => new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64"));
const parseError = (input: string | Uint8Array) => {
  try {
    parseCsr(input);
  } catch (e) {
    return (e as Error).message;
  }
  return "parsed";
};

describe("parseCsr: what a leaf request may not hide (issue 14)", () => {
  it("ok/ every common name is reported, not just the first", () => {
    const c = parseCsr(req(EC, "/CN=a.example/CN=b.example"));
    expect(c.commonNames).toEqual(["a.example", "b.example"]);
    expect(c.subjectFields.commonName).toBe("a.example");
    expect(parseCsr(req(EC, "/O=Acme")).commonNames).toEqual([]);
  });
  it("ok/ unknown critical extensions are listed; known or non-critical ones are not", () => {
    const c = parseCsr(req(EC, "/CN=x", ["-addext", "1.3.6.1.4.1.55555.1=critical,ASN1:NULL", "-addext", "1.3.6.1.4.1.55555.2=ASN1:NULL", "-addext", "subjectAltName=critical,DNS:x"]));
    expect(c.requestedExtensions.unknownCritical).toEqual(["1.3.6.1.4.1.55555.1"]);
    expect(parseCsr(req(EC, "/CN=x", ["-addext", "basicConstraints=critical,CA:FALSE"])).requestedExtensions.unknownCritical).toBeUndefined();
  });
  it("ok/ an empty subject with a critical SAN", () => {
    const c = parseCsr(req(EC, "/", ["-addext", "subjectAltName=critical,DNS:x.example"]));
    expect(c.subjectText).toBe("");
    expect(c.commonNames).toEqual([]);
    expect(c.requestedExtensions.sans?.dns).toEqual(["x.example"]);
    expect(c.signatureValid).toBe(true);
  });
  it("ok/ RSASSA-PSS signatures verify with their parameters (salt 32, 20 and the digest length)", () => {
    for (const salt of ["32", "20", "digest"]) {
      const c = parseCsr(req(["-newkey", "rsa:2048"], "/CN=pss", ["-sigopt", "rsa_padding_mode:pss", "-sigopt", `rsa_pss_saltlen:${salt}`]));
      expect(c.signatureOid).toBe("1.2.840.113549.1.1.10");
      expect(c.signatureValid, salt).toBe(true);
      expect(c.keyAlgorithm).toBe("RSA_2048");
    }
  });
  it("fail/ PSS with the SHA-1 defaults (no hash parameters) is not accepted", () => {
    const c = parseCsr(req(["-newkey", "rsa:2048"], "/CN=pss", ["-sha1", "-sigopt", "rsa_padding_mode:pss"]));
    expect(c.signatureOid).toBe("1.2.840.113549.1.1.10");
    expect(c.signatureValid).toBe(false);
  });
  it("fail/ a PSS signature checked with other parameters does not verify", () => {
    const der = derOf(req(["-newkey", "rsa:2048"], "/CN=pss", ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]));
    // saltLength [2] INTEGER 32 → 31: same bytes, other parameters.
    const at = Buffer.from(der).indexOf(Buffer.from([0xa2, 0x03, 0x02, 0x01, 0x20]));
    expect(at).toBeGreaterThan(0);
    der[at + 4] = 0x1f;
    expect(parseCsr(der).signatureValid).toBe(false);
  });
  it("ok/ an RSASSA-PSS key (id-RSASSA-PSS) parses and verifies, but is not a Stamp key algorithm", () => {
    const c = parseCsr(req(["-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"], "/CN=psskey"));
    expect(c.signatureValid).toBe(true);
    expect(c.keyAlgorithm).toBeNull();
    expect(c.keyDescription).toBe("RSA-PSS 2048");
  });
  it("fail/ non-minimal DER lengths: long form below 128 and a leading zero length octet", () => {
    const der = derOf(req(EC, "/CN=x"));
    const len = (n: number, widen = false) => {
      const b: number[] = [];
      for (let v = n; v > 0; v >>= 8) b.unshift(v & 0xff);
      return widen ? [0x80 | (b.length + 1), 0, ...b] : n < 0x80 ? [n] : [0x80 | b.length, ...b];
    };
    const info = readTlv(der, readTlv(der, 0).contentStart);
    const body = der.subarray(info.contentStart, info.end);
    const rest = der.subarray(info.end);
    expect([...body.subarray(0, 3)]).toEqual([0x02, 0x01, 0x00]);
    const wrap = (infoDer: Buffer) => Buffer.concat([Buffer.from([0x30, ...len(infoDer.length + rest.length)]), infoDer, rest]);
    // The version INTEGER 02 01 00 written 02 81 01 00.
    const v = Buffer.concat([Buffer.from([0x02, 0x81, 0x01, 0x00]), body.subarray(3)]);
    expect(parseError(wrap(Buffer.concat([Buffer.from([0x30, ...len(v.length)]), v])))).toMatch(/non-minimal length/);
    // The certificationRequestInfo's length with a leading zero octet.
    expect(parseError(wrap(Buffer.concat([Buffer.from([0x30, ...len(body.length, true)]), body])))).toMatch(/non-minimal length/);
    // Re-assembled with minimal lengths it parses: only the lengths were wrong.
    expect(parseCsr(wrap(Buffer.concat([Buffer.from([0x30, ...len(body.length)]), body]))).signatureValid).toBe(true);
  });
  it("fail/ trailing bytes after the DER, in DER and in PEM", () => {
    const der = derOf(req(EC, "/CN=x"));
    const trailing = Buffer.concat([der, Buffer.from([0, 0])]);
    expect(parseError(trailing)).toMatch(/trailing bytes/);
    expect(parseError(toPem(trailing, "CERTIFICATE REQUEST"))).toMatch(/trailing bytes/);
  });
  it("fail/ two CSRs in one PEM, or data after the END line; whitespace and text before are fine", () => {
    const a = req(EC, "/CN=a");
    const b = req(EC, "/CN=b");
    expect(parseError(a + b)).toMatch(/one PEM block, found 2/);
    expect(parseError(`${a}junk`)).toMatch(/after the PEM block/);
    expect(parseError(`${a}-----BEGIN`)).toMatch(/after the PEM block/);
    expect(parseCsr(`Certificate Request:\n    explanatory text\n${a}\n\n  `).commonNames).toEqual(["a"]);
  });
});

describe("parseCsrAsync", () => {
  it("ok/ the same answer as parseCsr, checked on the thread pool: good, wrong-key, mismatched-algorithm, PSS and tampered CSRs", async () => {
    const key = await makeKey("RSA_2048");
    const other = await makeKey("RSA_2048");
    const info = buildCsrInfo(encodeName({ commonName: "mine" }), key.spki);
    const ec = derOf(req(EC, "/CN=ec", ["-addext", "subjectAltName=DNS:ec.example"]));
    const tampered = ec.slice();
    tampered[tampered.length - 3] ^= 1; // inside the ECDSA signature
    const pssBad = derOf(req(["-newkey", "rsa:2048"], "/CN=pss", ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]));
    pssBad[Buffer.from(pssBad).indexOf(Buffer.from([0xa2, 0x03, 0x02, 0x01, 0x20])) + 4] = 0x1f;
    const cases: [string, string | Uint8Array, boolean][] = [
      ["rsa", assembleCsr(info, "RSA_2048", signWith(key, info)), true],
      ["wrong key", assembleCsr(info, "RSA_2048", signWith(other, info)), false],
      ["ecdsa claimed, rsa key", assembleCsr(info, "EC_prime256v1", signWith(key, info)), false],
      ["ec", ec, true],
      ["ec tampered", tampered, false],
      ["pss", req(["-newkey", "rsa:2048"], "/CN=pss", ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:20"]), true],
      ["pss other parameters", pssBad, false],
    ];
    for (const [name, input, valid] of cases) {
      const sync = parseCsr(input);
      expect(sync.signatureValid, name).toBe(valid);
      expect(await parseCsrAsync(input), name).toEqual(sync);
    }
    await expect(parseCsrAsync("not a CSR")).rejects.toThrow(/certificate request must be PEM/);
  });
});
