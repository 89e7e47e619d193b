import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isStampError } from "../errors.js";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "./algorithms.js";
import { assembleCertificate, buildCaTbs } from "./ca-certificate.js";
import { parseCertificate, verifySignedBy } from "./certificate-parse.js";
import { verifyChain } from "./chain.js";
import { assembleCsr, buildCsrInfo, parseCsr } from "./csr.js";
import { encodeName } from "./name.js";
import { toPem } from "./pem.js";
import { issueCa, makeKey, signWith, type TestIssuer, type TestKey } from "./pki-fixtures.test-util.js";
import { keyIdentifier } from "./spki.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stamp-pki-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs openssl, returning stdout+stderr (throws with the output when it fails). */
function openssl(...args: string[]): string {
  try {
    return execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    throw new Error(`openssl ${args.join(" ")} failed:\n${err.stdout}\n${err.stderr}`);
  }
}

function writePem(name: string, der: Uint8Array, label = "CERTIFICATE"): string {
  writeFileSync(join(dir, name), toPem(der, label));
  return name;
}

const colonHex = (b: Uint8Array) => Buffer.from(b).toString("hex").toUpperCase().match(/../g)!.join(":");

/** Issues an intermediate from a CSR made with buildCsrInfo/assembleCsr and parsed with parseCsr. */
function intermediateFromCsr(key: TestKey, cn: string, issuer: TestIssuer, pathLength: number | null): Uint8Array {
  const info = buildCsrInfo(encodeName({ commonName: cn, organization: "Stamp Test" }), key.spki);
  const csrDer = assembleCsr(info, key.alg, signWith(key, info));
  writePem(`${cn}.csr`, csrDer, "CERTIFICATE REQUEST");
  expect(openssl("req", "-in", `${cn}.csr`, "-noout", "-verify")).toBeDefined();
  const csr = parseCsr(toPem(csrDer, "CERTIFICATE REQUEST"));
  expect(csr.signatureValid).toBe(true);
  expect(csr.keyAlgorithm).toBe(key.alg);
  expect(csr.subjectText).toBe(`CN=${cn}, O=Stamp Test`);
  expect(csr.requestedExtensions.present).toBe(false);
  const tbs = buildCaTbs({
    serialNumber: Uint8Array.of(0x42, 0x01),
    subject: csr.subject,
    issuer: issuer.name,
    notBefore: new Date("2025-01-01T00:00:00.789Z"),
    notAfter: new Date("2030-01-01T00:00:00Z"),
    spki: csr.spki,
    issuerSpki: issuer.key.spki,
    signerAlgorithm: issuer.key.alg,
    pathLength,
    selfSigned: false,
    crlUrls: ["http://pki.example.test/int1.crl"],
  });
  return assembleCertificate(tbs, issuer.key.alg, signWith(issuer.key, tbs));
}

/** Builds root → int1 (pathlen 1, AIA, CRL DP) → int2 (from a CSR) and checks it with OpenSSL, Node and our own parser. */
function checkHierarchy(tag: string, rootKey: TestKey, int1Key: TestKey, int2Key: TestKey): void {
  const root = issueCa({ subject: { commonName: `Root ${tag}`, organization: "Stamp Test", country: "US" }, key: rootKey, pathLength: null });
  const int1 = issueCa({
    subject: { commonName: `Int1 ${tag}`, organization: "Stamp Test" }, key: int1Key, issuer: root.asIssuer, pathLength: 1,
    extra: { caIssuersUrl: "http://pki.example.test/root.cer", ocspUrl: "http://ocsp.example.test", crlUrls: ["http://pki.example.test/root.crl", "ldap://ldap.example.test/cn=root"] },
  });
  const int2 = intermediateFromCsr(int2Key, `Int2 ${tag.replace(/\W+/g, "-")}`, int1.asIssuer, 0);
  const files = [writePem(`root-${tag}.pem`, root.der), writePem(`int1-${tag}.pem`, int1.der), writePem(`int2-${tag}.pem`, int2)];
  const out = openssl("verify", "-x509_strict", "-CAfile", files[0], "-untrusted", files[1], files[2]);
  expect(out.trim()).toBe(`${files[2]}: OK`);

  const texts = files.map((f) => openssl("x509", "-in", f, "-noout", "-text"));
  const keys = [rootKey, int1Key, int2Key];
  texts.forEach((t, i) => {
    expect(t).toContain("CA:TRUE");
    expect(t).toMatch(/X509v3 Basic Constraints: critical/);
    expect(t).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
    expect(t).toContain("X509v3 Subject Key Identifier");
    expect(t).toContain(colonHex(keyIdentifier(keys[i].spki)));
    if (i === 0) expect(t).not.toContain("Authority Key Identifier");
    else expect(t).toMatch(new RegExp(`Authority Key Identifier:\\s+(keyid:)?${colonHex(keyIdentifier(keys[i - 1].spki))}`));
  });
  expect(texts[0]).not.toMatch(/pathlen/);
  expect(texts[1]).toMatch(/CA:TRUE, pathlen:1/);
  expect(texts[1]).toContain("CA Issuers - URI:http://pki.example.test/root.cer");
  expect(texts[1]).toContain("OCSP - URI:http://ocsp.example.test");
  expect(texts[1]).toContain("URI:ldap://ldap.example.test/cn=root");
  expect(texts[2]).toMatch(/CA:TRUE, pathlen:0/);

  // Node (OpenSSL underneath) agrees, and so does our parser and chain check.
  const [nr, n1, n2] = [root.der, int1.der, int2].map((d) => new X509Certificate(Buffer.from(d)));
  expect(nr.ca && n1.ca && n2.ca).toBe(true);
  expect(n2.checkIssued(n1) && n1.checkIssued(nr)).toBe(true);
  const [pr, p1, p2] = [root.der, int1.der, int2].map((d) => parseCertificate(toPem(d, "CERTIFICATE")));
  expect(p2.notBefore.toISOString()).toBe("2025-01-01T00:00:00.000Z"); // milliseconds dropped
  expect(p2.serialHex).toBe("4201");
  expect([pr.pathLength, p1.pathLength, p2.pathLength]).toEqual([null, 1, 0]);
  expect(pr.aki).toBeUndefined();
  expect(Buffer.from(p2.aki!)).toEqual(Buffer.from(p1.ski!));
  expect(pr.selfIssued && verifySignedBy(pr, pr.spki)).toBe(true);
  expect(verifySignedBy(p2, p1.spki) && verifySignedBy(p1, pr.spki)).toBe(true);
  expect(verifySignedBy(p2, pr.spki)).toBe(false);
  expect(verifyChain(p2, [p1, pr], new Date("2026-06-01T00:00:00Z"))).toEqual([]);
}

describe.each(KEY_ALGORITHMS)("ok/ CA hierarchy, every key %s", (alg: KeyAlgorithm) => {
  let keys: TestKey[];
  beforeAll(async () => {
    keys = await Promise.all([makeKey(alg), makeKey(alg), makeKey(alg)]);
  });
  it("root → intermediate → intermediate from a CSR passes openssl verify -x509_strict", () => {
    checkHierarchy(alg, keys[0], keys[1], keys[2]);
  });
});

describe("ok/ mixed algorithms", () => {
  it("EC P-384 root → RSA 2048 intermediate → Ed25519 intermediate", async () => {
    const [a, b, c] = await Promise.all([makeKey("EC_secp384r1"), makeKey("RSA_2048"), makeKey("ED25519")]);
    checkHierarchy("mixed-ec-rsa-ed", a, b, c);
  });
  it("RSA 3072 root → EC P-521 intermediate → EC P-256 intermediate", async () => {
    const [a, b, c] = await Promise.all([makeKey("RSA_3072"), makeKey("EC_secp521r1"), makeKey("EC_prime256v1")]);
    checkHierarchy("mixed-rsa-ec", a, b, c);
  });
});

describe("buildCaTbs times", () => {
  it("ok/ UTCTime through 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5)", async () => {
    const key = await makeKey("EC_prime256v1");
    const { der } = issueCa({ subject: { commonName: "Long Root" }, key, notBefore: new Date("2049-12-31T23:59:59.999Z"), notAfter: new Date("2050-01-01T00:00:00Z") });
    const hex = Buffer.from(der).toString("hex");
    expect(hex).toContain("170d" + Buffer.from("491231235959Z").toString("hex"));
    expect(hex).toContain("180f" + Buffer.from("20500101000000Z").toString("hex"));
    const p = parseCertificate(der);
    expect(p.notBefore.toISOString()).toBe("2049-12-31T23:59:59.000Z");
    expect(p.notAfter.toISOString()).toBe("2050-01-01T00:00:00.000Z");
    const f = writePem("long.pem", der);
    expect(openssl("x509", "-in", f, "-noout", "-enddate").trim()).toBe("notAfter=Jan  1 00:00:00 2050 GMT");
  });
});

describe("buildCaTbs input checks", () => {
  let key: TestKey;
  beforeAll(async () => {
    key = await makeKey("ED25519");
  });
  const base = () => ({
    serialNumber: Uint8Array.of(1), subject: encodeName({ commonName: "X" }), issuer: encodeName({ commonName: "X" }),
    notBefore: new Date("2025-01-01T00:00:00Z"), notAfter: new Date("2026-01-01T00:00:00Z"), spki: key.spki, issuerSpki: key.spki,
    signerAlgorithm: "ED25519" as const, pathLength: null, selfSigned: true,
  });
  it.each([
    ["zero serial", { serialNumber: Uint8Array.of(0, 0) }, "invalid_serial"],
    ["21-octet serial", { serialNumber: new Uint8Array(21).fill(1) }, "invalid_serial"],
    ["20 octets with the top bit set (needs a 21st)", { serialNumber: new Uint8Array(20).fill(0x80) }, "invalid_serial"],
    ["notAfter before notBefore", { notAfter: new Date("2024-01-01T00:00:00Z") }, "invalid_validity"],
    ["negative path length", { pathLength: -1 }, "invalid_path_length"],
    ["empty subject", { subject: Uint8Array.of(0x30, 0) }, "empty_name"],
    ["non-ASCII URL", { crlUrls: ["http://ex.test/ü"] }, "invalid_url"],
    ["self-signed with another key", { issuerSpki: Uint8Array.of(0x30, 0) }, "self_signed_key_mismatch"],
  ])("fail/ %s", (_n, patch, code) => {
    try {
      buildCaTbs({ ...base(), ...patch });
      expect.unreachable();
    } catch (e) {
      expect(isStampError(e, "bad_request")).toBe(true);
      expect((e as { violations: { code: string }[] }).violations.map((v) => v.code)).toContain(code);
    }
  });
  it("ok/ a 20-octet serial whose top bit is clear is accepted", () => {
    expect(buildCaTbs({ ...base(), serialNumber: new Uint8Array(20).fill(0x7f) }).length).toBeGreaterThan(0);
  });
  it("fail/ assembleCertificate refuses a signer algorithm that differs from the TBS", () => {
    const tbs = buildCaTbs(base());
    expect(() => assembleCertificate(tbs, "RSA_2048", new Uint8Array(64))).toThrow(/does not match/);
  });
});
