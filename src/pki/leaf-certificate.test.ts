import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isStampError, type StampError } from "../errors.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { assembleCertificate } from "./ca-certificate.js";
import { parseCertificate } from "./certificate-parse.js";
import { verifyChain } from "./chain.js";
import { EKU, buildLeafTbs, defaultKeyUsage, type LeafTbsInput } from "./leaf-certificate.js";
import { encodeName } from "./name.js";
import { toPem } from "./pem.js";
import { issueCa, makeKey, signWith, type TestIssuer, type TestKey } from "./pki-fixtures.test-util.js";
import { keyIdentifier } from "./spki.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stamp-leaf-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs openssl, returning stdout (throws with the output when it fails). */
function openssl(...args: string[]): string {
  try {
    return execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`openssl ${args.join(" ")} failed:\n${err.stdout}\n${err.stderr}`);
  }
}

function writePem(name: string, der: Uint8Array): string {
  writeFileSync(join(dir, name), toPem(der, "CERTIFICATE"));
  return name;
}

const colonHex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase().match(/../g)!.join(":");
const EMPTY_NAME = Uint8Array.of(0x30, 0);
/** Verification time inside every leaf's validity (2025-06-01T00:00:00Z), so the tests do not depend on the clock. */
const AT = ["-attime", String(Date.UTC(2025, 5, 1) / 1000)];

/** The input for a leaf of `key` issued by `issuer`, with a DNS + IP serverAuth/clientAuth profile; `patch` overrides. */
function leafInput(key: TestKey, issuer: TestIssuer, patch: Partial<LeafTbsInput> = {}): LeafTbsInput {
  const eku = [EKU.serverAuth, EKU.clientAuth];
  return {
    serialNumber: Uint8Array.of(0x0a, 0x0b, 0x0c),
    subject: encodeName({ commonName: "app.example.test", organization: "Stamp Test" }),
    issuer: issuer.name,
    notBefore: new Date("2025-01-01T00:00:00Z"),
    notAfter: new Date("2026-01-01T00:00:00Z"),
    spki: key.spki,
    issuerSpki: issuer.key.spki,
    signerAlgorithm: issuer.key.alg,
    sans: { dns: ["app.example.test", "*.app.example.test"], ip: ["127.0.0.1", "::1", "2001:DB8:0:0:1::1"] },
    keyUsage: defaultKeyUsage(key.alg, eku),
    extendedKeyUsage: eku,
    selfSigned: false,
    ...patch,
  };
}

/** Builds, signs and assembles a leaf. */
function issueLeaf(input: LeafTbsInput, issuer: TestIssuer): Uint8Array {
  const tbs = buildLeafTbs(input);
  return assembleCertificate(tbs, issuer.key.alg, signWith(issuer.key, tbs));
}

/** Runs buildLeafTbs expecting a bad request; returns the error. */
function rejects(input: LeafTbsInput): StampError {
  try {
    buildLeafTbs(input);
  } catch (e) {
    expect(isStampError(e, "bad_request")).toBe(true);
    return e as StampError;
  }
  return expect.unreachable("buildLeafTbs accepted the input");
}

const ISSUER_ALGS: KeyAlgorithm[] = ["EC_prime256v1", "RSA_2048", "ED25519"];

describe.each(ISSUER_ALGS)("ok/ leaf issued by a %s root", (alg) => {
  let root: { der: Uint8Array; asIssuer: TestIssuer };
  let leafKey: TestKey;
  let rootFile: string;
  beforeAll(async () => {
    const [rk, lk] = await Promise.all([makeKey(alg), makeKey(alg)]);
    root = issueCa({ subject: { commonName: `Leaf Root ${alg}`, organization: "Stamp Test" }, key: rk });
    leafKey = lk;
    rootFile = writePem(`root-${alg}.pem`, root.der);
  });

  it("passes openssl verify -x509_strict -purpose sslserver and sslclient; the text shows every extension", () => {
    const der = issueLeaf(
      leafInput(leafKey, root.asIssuer, {
        caIssuersUrl: "http://pki.example.test/root.cer", ocspUrl: "http://ocsp.example.test",
        crlUrls: ["http://pki.example.test/root.crl"], freshestCrlUrls: ["http://pki.example.test/root-delta.crl"],
      }),
      root.asIssuer,
    );
    const f = writePem(`leaf-${alg}.pem`, der);
    expect(openssl("verify", ...AT, "-x509_strict", "-purpose", "sslserver", "-CAfile", rootFile, f).trim()).toBe(`${f}: OK`);
    expect(openssl("verify", ...AT, "-x509_strict", "-purpose", "sslclient", "-CAfile", rootFile, f).trim()).toBe(`${f}: OK`);

    const t = openssl("x509", "-in", f, "-noout", "-text");
    expect(t).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    const ku = alg === "RSA_2048" ? "Digital Signature, Key Encipherment" : "Digital Signature";
    expect(t).toMatch(new RegExp(`X509v3 Key Usage: critical\\s+${ku}\\n`));
    expect(t).toMatch(/X509v3 Extended Key Usage: \s+TLS Web Server Authentication, TLS Web Client Authentication/);
    expect(t).toMatch(/X509v3 Subject Alternative Name: \s+DNS:app.example.test, DNS:\*.app.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1, IP Address:2001:DB8:0:0:1:0:0:1\n/);
    expect(t).toMatch(new RegExp(`Subject Key Identifier: \\s+${colonHex(keyIdentifier(leafKey.spki))}`));
    expect(t).toMatch(new RegExp(`Authority Key Identifier: \\s+(keyid:)?${colonHex(keyIdentifier(root.asIssuer.key.spki))}`));
    expect(t).toContain("OCSP - URI:http://ocsp.example.test");
    expect(t).toContain("CA Issuers - URI:http://pki.example.test/root.cer");
    expect(t).toMatch(/X509v3 CRL Distribution Points: \s+Full Name:\s+URI:http:\/\/pki.example.test\/root.crl/);
    expect(t).toMatch(/X509v3 Freshest CRL: \s+Full Name:\s+URI:http:\/\/pki.example.test\/root-delta.crl/);
    expect(t).toContain("Subject: O = Stamp Test, CN = app.example.test"); // openssl prints RDNs in DER order

    // Node agrees, and so do our parser and chain check.
    const node = new X509Certificate(Buffer.from(der));
    expect(node.ca).toBe(false);
    expect(node.checkIssued(new X509Certificate(Buffer.from(root.der)))).toBe(true);
    expect(node.checkHost("x.app.example.test")).toBe("*.app.example.test"); // the matching SAN
    expect(node.checkIP("::1")).toBe("::1");
    const p = parseCertificate(toPem(der, "CERTIFICATE"));
    expect(p.version).toBe(3);
    expect(p.serialHex).toBe("0a0b0c");
    expect(p.isCa).toBe(false);
    expect(p.keyUsagePresent).toBe(true);
    expect(p.keyUsage).toEqual(defaultKeyUsage(alg, [EKU.serverAuth]));
    expect(p.extendedKeyUsage).toEqual([EKU.serverAuth, EKU.clientAuth]);
    expect(p.sans).toEqual({ dns: ["app.example.test", "*.app.example.test"], ip: ["127.0.0.1", "::1", "2001:db8::1:0:0:1"], email: [], uri: [], other: [] });
    expect(p.unknownCriticalExtensions).toEqual([]);
    expect(Buffer.from(p.aki!)).toEqual(Buffer.from(keyIdentifier(root.asIssuer.key.spki)));
    expect(verifyChain(p, [parseCertificate(root.der)], new Date("2025-06-01T00:00:00Z"))).toEqual([]);
  });

  it("with an empty subject and a critical SAN passes openssl verify -x509_strict", () => {
    const der = issueLeaf(
      leafInput(leafKey, root.asIssuer, { subject: EMPTY_NAME, sans: { dns: ["svc.example.test"], email: ["ops@example.test"], uri: ["spiffe://example.test/ns/a/sa/b"] } }),
      root.asIssuer,
    );
    const f = writePem(`leaf-empty-${alg}.pem`, der);
    expect(openssl("verify", ...AT, "-x509_strict", "-purpose", "sslserver", "-CAfile", rootFile, f).trim()).toBe(`${f}: OK`);
    const t = openssl("x509", "-in", f, "-noout", "-text");
    expect(t).toMatch(/X509v3 Subject Alternative Name: critical\s+DNS:svc.example.test, email:ops@example.test, URI:spiffe:\/\/example.test\/ns\/a\/sa\/b\n/);
    const p = parseCertificate(der);
    expect(p.subjectText).toBe("");
    expect(p.sans).toEqual({ dns: ["svc.example.test"], ip: [], email: ["ops@example.test"], uri: ["spiffe://example.test/ns/a/sa/b"], other: [] });
  });
});

describe("ok/ other profiles", () => {
  let ca: { der: Uint8Array; asIssuer: TestIssuer };
  let ec: TestKey;
  let rsa: TestKey;
  beforeAll(async () => {
    const [rk, e, r] = await Promise.all([makeKey("EC_prime256v1"), makeKey("EC_prime256v1"), makeKey("RSA_2048")]);
    ca = issueCa({ subject: { commonName: "Profiles Root" }, key: rk });
    writePem("profiles-root.pem", ca.der);
    ec = e;
    rsa = r;
  });

  it("an RSA leaf under an EC root: keyEncipherment for serverAuth, key usages written in bit order", () => {
    const der = issueLeaf(leafInput(rsa, ca.asIssuer, { keyUsage: ["keyEncipherment", "digitalSignature"], extendedKeyUsage: [EKU.serverAuth] }), ca.asIssuer);
    const f = writePem("rsa-under-ec.pem", der);
    expect(openssl("verify", ...AT, "-x509_strict", "-purpose", "sslserver", "-CAfile", "profiles-root.pem", f).trim()).toBe(`${f}: OK`);
    expect(parseCertificate(der).keyUsage).toEqual(["digitalSignature", "keyEncipherment"]);
  });

  it("a timeStamping-only EKU is critical (RFC 3161 §2.3) and passes -purpose timestampsign", () => {
    const der = issueLeaf(leafInput(ec, ca.asIssuer, { sans: {}, keyUsage: ["digitalSignature"], extendedKeyUsage: [EKU.timeStamping] }), ca.asIssuer);
    const f = writePem("tsa.pem", der);
    expect(openssl("verify", ...AT, "-x509_strict", "-purpose", "timestampsign", "-CAfile", "profiles-root.pem", f).trim()).toBe(`${f}: OK`);
    const t = openssl("x509", "-in", f, "-noout", "-text");
    expect(t).toMatch(/X509v3 Extended Key Usage: critical\s+Time Stamping/);
    expect(t).not.toContain("Subject Alternative Name");
  });

  it("no EKU omits the extension; a self-signed leaf has no AKI and verifies against itself", () => {
    const self: TestIssuer = { name: encodeName({ commonName: "self.example.test" }), key: ec };
    const der = issueLeaf(leafInput(ec, self, { subject: self.name, extendedKeyUsage: [], selfSigned: true }), self);
    const p = parseCertificate(der);
    expect(p.extendedKeyUsage).toEqual([]);
    expect(p.aki).toBeUndefined();
    expect(p.selfIssued).toBe(true);
    const t = openssl("x509", "-in", writePem("self-leaf.pem", der), "-noout", "-text");
    expect(t).not.toContain("Extended Key Usage");
    expect(t).not.toContain("Authority Key Identifier");
  });

  it.each([
    ["10.0.0.1", "0a000001", "10.0.0.1"],
    ["0.0.0.0", "00000000", "0.0.0.0"],
    ["255.255.255.255", "ffffffff", "255.255.255.255"],
    ["::", "0".repeat(32), "::"],
    ["::1", `${"0".repeat(30)}01`, "::1"],
    ["1::", `0001${"0".repeat(28)}`, "1::"],
    ["2001:DB8::8:800:200C:417A", "20010db80000000000080800200c417a", "2001:db8::8:800:200c:417a"],
    ["fe80:0:0:0:0:0:0:1", `fe80${"0".repeat(26)}01`, "fe80::1"],
    ["1:2:3:4:5:6:7::", "00010002000300040005000600070000", "1:2:3:4:5:6:7:0"],
    ["::ffff:192.0.2.1", `${"0".repeat(20)}ffffc0000201`, "::ffff:c000:201"],
    ["64:ff9b::10.1.2.3", `0064ff9b${"0".repeat(16)}0a010203`, "64:ff9b::a01:203"],
  ])("IP SAN %s is encoded as %s", (text, hex, back) => {
    const tbs = buildLeafTbs(leafInput(ec, ca.asIssuer, { sans: { ip: [text] } }));
    const octets = Buffer.from(hex, "hex");
    expect(Buffer.from(tbs).toString("hex")).toContain(`87${octets.length.toString(16).padStart(2, "0")}${hex}`);
    expect(parseCertificate(assembleCertificate(tbs, "EC_prime256v1", new Uint8Array(8))).sans?.ip).toEqual([back]);
  });
});

describe("defaultKeyUsage", () => {
  it.each([
    ["RSA_2048", [EKU.serverAuth], ["digitalSignature", "keyEncipherment"]],
    ["RSA_4096", [EKU.clientAuth, EKU.serverAuth], ["digitalSignature", "keyEncipherment"]],
    ["RSA_3072", [EKU.emailProtection], ["digitalSignature", "keyEncipherment"]],
    ["RSA_2048", [EKU.clientAuth], ["digitalSignature"]],
    ["RSA_2048", [EKU.codeSigning], ["digitalSignature"]],
    ["EC_prime256v1", [EKU.serverAuth], ["digitalSignature"]],
    ["EC_secp384r1", [EKU.emailProtection], ["digitalSignature"]],
    ["ED25519", [EKU.serverAuth, EKU.clientAuth], ["digitalSignature"]],
    [null, [EKU.serverAuth], ["digitalSignature"]],
  ] as const)("%s with %j → %j", (alg, eku, expected) => {
    expect(defaultKeyUsage(alg, [...eku])).toEqual(expected);
  });
});

describe("buildLeafTbs input checks", () => {
  let ca: TestIssuer;
  let ec: TestKey;
  let ed: TestKey;
  beforeAll(async () => {
    [ec, ed] = await Promise.all([makeKey("EC_prime256v1"), makeKey("ED25519")]);
    ca = { name: encodeName({ commonName: "Checks CA" }), key: ed };
  });

  it.each(["1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "", "localhost", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "::1::", "1:::2", ":1::", "12345::", "g::1", "fe80::1%eth0", "::ffff:1.2.3", "::1.2.3.4:5", "1::2::3"])(
    "fail/ invalid IP %j",
    (ip) => {
      const e = rejects(leafInput(ec, ca, { sans: { ip: ["10.0.0.1", ip] } }));
      expect(e.violations).toEqual([expect.objectContaining({ field: "sans.ip[1]", code: "invalid_ip_address", value: ip })]);
    },
  );

  it("fail/ a non-ASCII DNS name asks for the punycode A-label", () => {
    const e = rejects(leafInput(ec, ca, { sans: { dns: ["bücher.example"] } }));
    expect(e.message).toMatch(/punycode A-label/);
    expect(e.violations).toEqual([expect.objectContaining({ field: "sans.dns[0]", code: "non_ascii_dns_name", value: "bücher.example" })]);
    // The A-label is accepted.
    expect(buildLeafTbs(leafInput(ec, ca, { sans: { dns: ["xn--bcher-kva.example"] } })).length).toBeGreaterThan(0);
  });

  it.each([
    ["DNS label starting with a hyphen", { sans: { dns: ["-a.example"] } }, "invalid_dns_name"],
    ["empty DNS label", { sans: { dns: ["a..example"] } }, "invalid_dns_name"],
    ["trailing dot", { sans: { dns: ["a.example."] } }, "invalid_dns_name"],
    ["wildcard not leftmost", { sans: { dns: ["a.*.example"] } }, "invalid_dns_name"],
    ["partial wildcard label", { sans: { dns: ["a*.example"] } }, "invalid_dns_name"],
    ["bare wildcard", { sans: { dns: ["*"] } }, "invalid_dns_name"],
    ["space in DNS name", { sans: { dns: ["a b.example"] } }, "invalid_dns_name"],
    ["64-octet label", { sans: { dns: [`${"a".repeat(64)}.example`] } }, "invalid_dns_name"],
    ["non-ASCII email", { sans: { email: ["josé@example.test"] } }, "invalid_email"],
    ["email without a domain", { sans: { email: ["ops@"] } }, "invalid_email"],
    ["relative URI", { sans: { uri: ["/just/a/path"] } }, "invalid_uri"],
    ["URI with a space", { sans: { uri: ["https://a.example/x y"] } }, "invalid_uri"],
    ["empty subject without SANs", { subject: EMPTY_NAME, sans: {} }, "empty_subject_without_sans"],
    ["empty issuer", { issuer: EMPTY_NAME }, "empty_name"],
    ["zero serial", { serialNumber: Uint8Array.of(0) }, "invalid_serial"],
    ["21-octet serial", { serialNumber: new Uint8Array(21).fill(1) }, "invalid_serial"],
    ["notAfter before notBefore", { notAfter: new Date("2024-01-01T00:00:00Z") }, "invalid_validity"],
    ["self-signed with another key", { selfSigned: true }, "self_signed_key_mismatch"],
    ["no key usage", { keyUsage: [] }, "empty_key_usage"],
    ["unknown key usage", { keyUsage: ["digitalSignature", "serverAuth"] }, "unknown_key_usage"],
    ["duplicate key usage", { keyUsage: ["digitalSignature", "digitalSignature"] }, "duplicate_key_usage"],
    ["keyCertSign in a leaf", { keyUsage: ["digitalSignature", "keyCertSign"] }, "key_cert_sign_in_leaf"],
    ["keyEncipherment on an EC key (RFC 5480 §3)", { keyUsage: ["digitalSignature", "keyEncipherment"] }, "key_usage_not_allowed_for_key"],
    ["encipherOnly without keyAgreement", { keyUsage: ["digitalSignature", "encipherOnly"] }, "encipher_decipher_without_key_agreement"],
    ["malformed EKU OID", { extendedKeyUsage: ["serverAuth"] }, "invalid_oid"],
    ["EKU OID with a second arc over 39", { extendedKeyUsage: ["1.40.1"] }, "invalid_oid"],
    ["duplicate EKU", { extendedKeyUsage: [EKU.serverAuth, EKU.serverAuth] }, "duplicate_eku"],
    ["non-http CRL URL", { crlUrls: ["ftp://a.example/x.crl"] }, "invalid_url"],
    ["non-ASCII freshest CRL URL", { freshestCrlUrls: ["http://a.example/ü.crl"] }, "invalid_url"],
  ] as [string, Partial<LeafTbsInput>, string][])("fail/ %s", (_n, patch, code) => {
    const e = rejects(leafInput(ec, ca, patch));
    expect(e.violations.map((v) => v.code)).toContain(code);
  });

  it("fail/ keyEncipherment and keyAgreement on an Ed25519 key (RFC 8410 §5)", () => {
    const e = rejects(leafInput(ed, ca, { keyUsage: ["digitalSignature", "keyAgreement"] }));
    expect(e.violations).toEqual([expect.objectContaining({ code: "key_usage_not_allowed_for_key", value: ["keyAgreement"] })]);
  });

  it("fail/ every problem is reported at once", () => {
    const e = rejects(leafInput(ec, ca, { sans: { dns: ["ok.example", "bad..example"], ip: ["300.1.1.1"] }, keyUsage: [], extendedKeyUsage: ["x"] }));
    expect(e.violations.map((v) => v.field)).toEqual(["sans.dns[1]", "sans.ip[0]", "keyUsage", "extendedKeyUsage[0]"]);
  });

  it("ok/ EC keyAgreement with encipherOnly is allowed", () => {
    expect(buildLeafTbs(leafInput(ec, ca, { keyUsage: ["keyAgreement", "encipherOnly"] })).length).toBeGreaterThan(0);
  });
});
