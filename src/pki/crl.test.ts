import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isStampError } from "../errors.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { assembleCertificate } from "./ca-certificate.js";
import { CRL_REASON, assembleCrl, buildCrlTbs, crlEntries, encodeCrlEntry, parseCrl, verifyCrlSignature, type CrlEntry, type CrlTbsInput } from "./crl.js";
import { concat } from "./der.js";
import { EKU, buildLeafTbs, defaultKeyUsage } from "./leaf-certificate.js";
import { encodeName } from "./name.js";
import { toPem } from "./pem.js";
import { issueCa, makeKey, signWith, type TestIssuer, type TestKey } from "./pki-fixtures.test-util.js";
import { keyIdentifier } from "./spki.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stamp-crl-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs openssl; returns stdout+stderr and whether it exited 0 (never throws). */
function openssl(...args: string[]): { out: string; ok: boolean } {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  return { out: `${r.stdout}${r.stderr}`, ok: r.status === 0 };
}

/** Verification time inside the leaves' and the CRLs' validity (2025-06-01T00:00:00Z). */
const AT = ["-attime", String(Date.UTC(2025, 5, 1) / 1000)];
const THIS_UPDATE = new Date("2025-05-31T00:00:00Z");
const NEXT_UPDATE = new Date("2025-06-07T00:00:00.999Z");
const REVOKED_SERIAL = "0a0b0c0d0e0f101112";
const GOOD_SERIAL = "1a0b0c0d0e0f101112";

const baseEntries: CrlEntry[] = [
  { serialHex: REVOKED_SERIAL, revokedAt: new Date("2025-05-02T10:20:30.456Z"), reasonCode: CRL_REASON.keyCompromise, invalidityDate: new Date("2025-04-30T08:00:00Z") },
  { serialHex: "00ff01", revokedAt: new Date("2025-05-03T00:00:00Z"), reasonCode: CRL_REASON.superseded },
  { serialHex: "7f7f", revokedAt: new Date("2025-05-04T00:00:00Z"), reasonCode: CRL_REASON.certificateHold },
];

function crlInput(ca: TestIssuer, patch: Partial<CrlTbsInput> = {}): CrlTbsInput {
  return {
    issuer: ca.name, issuerSpki: ca.key.spki, signerAlgorithm: ca.key.alg,
    thisUpdate: THIS_UPDATE, nextUpdate: NEXT_UPDATE, crlNumber: 42n,
    ...patch,
  };
}

function signCrl(ca: TestIssuer, input: CrlTbsInput, entries: CrlEntry[]): Uint8Array {
  const tbs = buildCrlTbs(input, entries.map(encodeCrlEntry));
  return assembleCrl(tbs, ca.key.alg, signWith(ca.key, tbs));
}

function leaf(ca: TestIssuer, key: TestKey, serialHex: string): Uint8Array {
  const tbs = buildLeafTbs({
    serialNumber: Uint8Array.from(Buffer.from(serialHex, "hex")),
    subject: encodeName({ commonName: "app.example.test" }),
    issuer: ca.name, notBefore: new Date("2025-01-01T00:00:00Z"), notAfter: new Date("2026-01-01T00:00:00Z"),
    spki: key.spki, issuerSpki: ca.key.spki, signerAlgorithm: ca.key.alg,
    sans: { dns: ["app.example.test"] }, keyUsage: defaultKeyUsage(key.alg, [EKU.serverAuth]), extendedKeyUsage: [EKU.serverAuth],
    selfSigned: false, crlUrls: ["http://crl.example.test/ca.crl"],
  });
  return assembleCertificate(tbs, ca.key.alg, signWith(ca.key, tbs));
}

function write(name: string, der: Uint8Array, label: string): string {
  writeFileSync(join(dir, name), toPem(der, label));
  return name;
}

const ALGS: KeyAlgorithm[] = ["EC_prime256v1", "RSA_2048", "ED25519"];

describe.each(ALGS)("CRLs signed by a %s CA, checked by OpenSSL", (alg) => {
  let ca: TestIssuer;
  let caPem: string;
  let leafKey: TestKey;
  beforeAll(async () => {
    const key = await makeKey(alg);
    leafKey = await makeKey("EC_prime256v1");
    const issued = issueCa({ subject: { country: "US", organization: "Stamp Test", commonName: `CRL CA ${alg}` }, key });
    ca = issued.asIssuer;
    caPem = write(`ca-${alg}.pem`, issued.der, "CERTIFICATE");
  });

  it("ok/ base CRL with three entries: verify OK, extensions and reasons shown", () => {
    const der = signCrl(ca, crlInput(ca, { freshestCrlUrls: ["http://crl.example.test/delta.crl"] }), baseEntries);
    const file = write(`base-${alg}.pem`, der, "X509 CRL");
    const v = openssl("crl", "-in", file, "-CAfile", caPem, "-noout");
    expect(v.out).toContain("verify OK");
    const text = openssl("crl", "-in", file, "-text", "-noout").out;
    expect(text).toContain("X509v3 CRL Number");
    expect(text).toMatch(/X509v3 CRL Number:\s*\n\s*42/);
    expect(text).toContain("X509v3 Authority Key Identifier");
    expect(text).toContain("X509v3 Freshest CRL");
    expect(text).toContain("http://crl.example.test/delta.crl");
    expect(text).toContain("Key Compromise");
    expect(text).toContain("Superseded");
    expect(text).toContain("Certificate Hold");
    expect(text).toContain("Invalidity Date");
    expect(text).not.toContain("Delta CRL Indicator");
    expect(text).toContain("Version 2");

    const parsed = parseCrl(der);
    expect(parsed).toMatchObject({ crlNumber: 42n, deltaBase: null, entries: 3, thisUpdate: THIS_UPDATE, unknownCriticalExtensions: [] });
    expect(parsed.nextUpdate?.toISOString()).toBe("2025-06-07T00:00:00.000Z"); // milliseconds dropped
    expect(Buffer.compare(parsed.issuer, ca.name)).toBe(0);
    expect(Buffer.compare(parsed.authorityKeyId!, keyIdentifier(ca.key.spki))).toBe(0);
    expect(verifyCrlSignature(parsed, ca.key.spki)).toBe(true);
    const decoded = [...crlEntries(parsed)];
    expect(decoded.map((e) => [e.serialHex, e.reasonCode])).toEqual([[REVOKED_SERIAL, 1], ["00ff01", 4], ["7f7f", 6]]);
    expect(decoded[0].revokedAt.toISOString()).toBe("2025-05-02T10:20:30.000Z");
    expect(decoded[0].invalidityDate?.toISOString()).toBe("2025-04-30T08:00:00.000Z");
  });

  it("ok/ delta CRL: critical Delta CRL Indicator with the base number, removeFromCRL entry", () => {
    const der = signCrl(ca, crlInput(ca, { crlNumber: 43n, deltaBaseCrlNumber: 42n }), [
      { serialHex: "7f7f", revokedAt: new Date("2025-05-04T00:00:00Z"), reasonCode: CRL_REASON.removeFromCRL },
      { serialHex: "0102", revokedAt: new Date("2025-05-30T00:00:00Z") },
    ]);
    const file = write(`delta-${alg}.pem`, der, "X509 CRL");
    expect(openssl("crl", "-in", file, "-CAfile", caPem, "-noout").out).toContain("verify OK");
    const text = openssl("crl", "-in", file, "-text", "-noout").out;
    expect(text).toMatch(/X509v3 Delta CRL Indicator: critical\s*\n\s*42/);
    expect(text).toContain("Remove From CRL");
    expect(text).not.toContain("Freshest CRL");
    const parsed = parseCrl(der);
    expect(parsed).toMatchObject({ crlNumber: 43n, deltaBase: 42n, entries: 2, unknownCriticalExtensions: [] });
    // RFC 5280 §5.3.1: unspecified is written as no reasonCode at all.
    expect([...crlEntries(parsed)][1]).toMatchObject({ serialHex: "0102", reasonCode: null, invalidityDate: null });
  });

  it("ok/ an empty CRL omits revokedCertificates and verifies", () => {
    const der = signCrl(ca, crlInput(ca, { crlNumber: 1n }), []);
    const file = write(`empty-${alg}.pem`, der, "X509 CRL");
    expect(openssl("crl", "-in", file, "-CAfile", caPem, "-noout").out).toContain("verify OK");
    expect(openssl("crl", "-in", file, "-text", "-noout").out).toContain("No Revoked Certificates");
    expect(parseCrl(der).entries).toBe(0);
  });

  it("ok/ openssl verify -crl_check rejects the revoked leaf and accepts the other", () => {
    const crl = write(`check-${alg}.pem`, signCrl(ca, crlInput(ca), baseEntries), "X509 CRL");
    const revoked = write(`revoked-${alg}.pem`, leaf(ca, leafKey, REVOKED_SERIAL), "CERTIFICATE");
    const good = write(`good-${alg}.pem`, leaf(ca, leafKey, GOOD_SERIAL), "CERTIFICATE");
    const bad = openssl("verify", ...AT, "-crl_check", "-CRLfile", crl, "-CAfile", caPem, revoked);
    expect(bad.ok).toBe(false);
    expect(bad.out).toContain("certificate revoked");
    const ok = openssl("verify", ...AT, "-crl_check", "-CRLfile", crl, "-CAfile", caPem, good);
    expect(ok.out).toContain(": OK");
    expect(ok.ok).toBe(true);
  });
});

describe("CRL encoding details", () => {
  let ca: TestIssuer;
  let caDer: Uint8Array;
  beforeAll(async () => {
    const issued = issueCa({ subject: { commonName: "Detail CA" }, key: await makeKey("EC_prime256v1") });
    ca = issued.asIssuer;
    caDer = issued.der;
  });

  it("ok/ entry bytes: serial made minimal and positive, UTCTime, reason and GeneralizedTime invalidityDate", () => {
    const e = encodeCrlEntry({ serialHex: "0080", revokedAt: new Date("2025-01-02T03:04:05Z"), reasonCode: 1, invalidityDate: new Date("2025-01-01T00:00:00Z") });
    const hex = (t: string) => Buffer.from(t).toString("hex");
    expect(Buffer.from(e).toString("hex")).toBe(
      "303b" + "02020080" + "170d" + hex("250102030405Z") + "3026" + "300a0603551d1504030a0101" + "30180603551d180411180f" + hex("20250101000000Z"),
    );
    expect(Buffer.from(encodeCrlEntry({ serialHex: "01", revokedAt: new Date("2050-01-01T00:00:00Z") })).toString("hex")).toBe(
      "3014020101180f" + Buffer.from("20500101000000Z").toString("hex"),
    );
    expect(encodeCrlEntry({ serialHex: "01", revokedAt: new Date("2025-01-01T00:00:00Z"), reasonCode: 0 }).length).toBe(2 + 3 + 15);
  });

  it("fail/ bad entries and inputs are bad requests", () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(isStampError(e, "bad_request"), String(e)).toBe(true);
        return;
      }
      throw new Error("expected bad_request");
    };
    const at = new Date("2025-01-01T00:00:00Z");
    bad(() => encodeCrlEntry({ serialHex: "", revokedAt: at }));
    bad(() => encodeCrlEntry({ serialHex: "00", revokedAt: at }));
    bad(() => encodeCrlEntry({ serialHex: "abc", revokedAt: at }));
    bad(() => encodeCrlEntry({ serialHex: "zz", revokedAt: at }));
    bad(() => encodeCrlEntry({ serialHex: "ff".repeat(21), revokedAt: at }));
    bad(() => encodeCrlEntry({ serialHex: "01", revokedAt: new Date(NaN) }));
    bad(() => encodeCrlEntry({ serialHex: "01", revokedAt: at, reasonCode: 7 }));
    bad(() => encodeCrlEntry({ serialHex: "01", revokedAt: at, reasonCode: 11 }));
    bad(() => buildCrlTbs(crlInput(ca, { crlNumber: -1n }), []));
    bad(() => buildCrlTbs(crlInput(ca, { crlNumber: 1n << 160n }), []));
    bad(() => buildCrlTbs(crlInput(ca, { crlNumber: 5n, deltaBaseCrlNumber: 5n }), []));
    bad(() => buildCrlTbs(crlInput(ca, { crlNumber: 6n, deltaBaseCrlNumber: 5n, freshestCrlUrls: ["http://x.test/d.crl"] }), []));
    bad(() => buildCrlTbs(crlInput(ca, { nextUpdate: THIS_UPDATE }), []));
    bad(() => buildCrlTbs(crlInput(ca, { issuer: Uint8Array.of(0x30, 0) }), []));
    bad(() => parseCrl(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)));
    bad(() => parseCrl(new Uint8Array(0)));
    expect(buildCrlTbs(crlInput(ca, { crlNumber: (1n << 159n) - 1n }), []).length).toBeGreaterThan(0);
  });

  it("fail/ entriesByteLength must match the streamed bytes; assembleCrl checks the algorithm", () => {
    const e = encodeCrlEntry(baseEntries[0]);
    expect(() => buildCrlTbs(crlInput(ca), [e], e.length + 1)).toThrow(/shorter/);
    expect(() => buildCrlTbs(crlInput(ca), [e, e], e.length)).toThrow(/longer/);
    const tbs = buildCrlTbs(crlInput(ca), [e]);
    expect(() => assembleCrl(tbs, "RSA_2048", new Uint8Array(8))).toThrow(/signature algorithm/);
  });

  it("ok/ 100,000 entries stream through a generator, counted lazily; chunked input equals per-entry input", () => {
    const N = 100_000;
    function* rows(): Generator<Uint8Array> {
      const at = new Date("2025-05-01T00:00:00Z");
      for (let i = 1; i <= N; i++) {
        yield encodeCrlEntry({ serialHex: (0x10_0000_0000n + BigInt(i)).toString(16).padStart(12, "0"), revokedAt: at, reasonCode: i % 3 === 0 ? 0 : (i % 6) || 1 });
      }
    }
    const input = crlInput(ca, { crlNumber: 7n });
    const tbs = buildCrlTbs(input, rows());
    const crl = assembleCrl(tbs, ca.key.alg, signWith(ca.key, tbs));
    const parsed = parseCrl(crl);
    expect(parsed.entries).toBe(N);
    expect(verifyCrlSignature(parsed, ca.key.spki)).toBe(true);
    // The same bytes when the caller knows the total and streams 1,000-entry chunks.
    const chunks: Uint8Array[] = [];
    let batch: Uint8Array[] = [];
    let total = 0;
    for (const r of rows()) {
      batch.push(r);
      total += r.length;
      if (batch.length === 1000) {
        chunks.push(concat(batch));
        batch = [];
      }
    }
    if (batch.length) chunks.push(concat(batch));
    expect(Buffer.compare(buildCrlTbs(input, chunks.values(), total), tbs)).toBe(0);
    const file = join(dir, "big.crl");
    writeFileSync(file, toPem(crl, "X509 CRL"));
    const caPem = write("big-ca.pem", caDer, "CERTIFICATE");
    expect(openssl("crl", "-in", file, "-CAfile", caPem, "-noout").out).toContain("verify OK");
  });
});

