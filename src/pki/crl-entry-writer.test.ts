import { describe, expect, it } from "vitest";
import { isStampError } from "../errors.js";
import { CRL_REASON, assembleCrl, buildCrlTbs, crlEntries, crlSignedParts, crlTbsParts, encodeCrlEntry, parseCrl, verifyCrlSignature, type CrlEntry, type CrlTbsInput } from "./crl.js";
import { MAX_CRL_ENTRY_BYTES, writeCrlEntry } from "./crl-entry-writer.js";
import { concat } from "./der.js";
import { encodeName } from "./name.js";
import { makeKey, signWith } from "./pki-fixtures.test-util.js";

/** writeCrlEntry's bytes for one entry (through a buffer with junk around it, to catch stray writes). */
function written(e: CrlEntry): Uint8Array {
  const buf = new Uint8Array(10 + MAX_CRL_ENTRY_BYTES + 10).fill(0xee);
  const end = writeCrlEntry(buf, 10, e);
  expect(buf.subarray(0, 10).every((b) => b === 0xee)).toBe(true);
  expect(buf.subarray(end).every((b) => b === 0xee)).toBe(true);
  return buf.slice(10, end);
}

/** A deterministic pseudo-random sequence (xorshift), so a failure reproduces. */
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const REASONS = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10];

/** Entries covering every branch: serial lengths 1-20 octets, leading zero octets, high bit, upper case; UTCTime and GeneralizedTime; each reason; with and without invalidityDate. */
function variedEntries(n: number): CrlEntry[] {
  const r = rng(12345);
  const out: CrlEntry[] = [];
  for (let i = 0; i < n; i++) {
    const octets = 1 + Math.floor(r() * 20);
    let hex = "";
    for (let k = 0; k < octets; k++) hex += Math.floor(r() * 256).toString(16).padStart(2, "0");
    if (/^(00)+$/.test(hex)) hex = `${hex.slice(2)}01`;
    if (i % 7 === 0) hex = `00${hex}`.slice(0, 42); // a leading zero octet, not minimal
    if (i % 11 === 0) hex = hex.toUpperCase();
    const year = i % 13 === 0 ? 2050 + Math.floor(r() * 100) : 1951 + Math.floor(r() * 99);
    const revokedAt = new Date(Date.UTC(year, Math.floor(r() * 12), 1 + Math.floor(r() * 28), Math.floor(r() * 24), Math.floor(r() * 60), Math.floor(r() * 60), Math.floor(r() * 1000)));
    out.push({ serialHex: hex, revokedAt, reasonCode: REASONS[i % REASONS.length], invalidityDate: i % 3 === 0 ? new Date(revokedAt.getTime() - 86_400_000) : undefined });
  }
  return out;
}

describe("ok/ writeCrlEntry", () => {
  it("writes exactly encodeCrlEntry's DER for 20,000 varied entries (known answer: the reference encoder)", () => {
    let highBit = 0;
    let generalized = 0;
    for (const e of variedEntries(20_000)) {
      const ref = encodeCrlEntry(e);
      const got = written(e);
      if (Buffer.compare(ref, got) !== 0) throw new Error(`differs for ${JSON.stringify(e)}: ${Buffer.from(got).toString("hex")} ≠ ${Buffer.from(ref).toString("hex")}`);
      if (ref[4] === 0) highBit++;
      if (ref.includes(0x18)) generalized++;
      expect(got.length).toBeLessThanOrEqual(MAX_CRL_ENTRY_BYTES);
    }
    expect(highBit).toBeGreaterThan(100);
    expect(generalized).toBeGreaterThan(100);
  });

  it("the largest entry fits MAX_CRL_ENTRY_BYTES: a 20-octet serial with its high bit set, GeneralizedTime, reason and invalidity date", () => {
    const e = { serialHex: "ff".repeat(20), revokedAt: new Date("2060-01-01T00:00:00Z"), reasonCode: CRL_REASON.keyCompromise, invalidityDate: new Date("2059-01-01T00:00:00Z") };
    expect(written(e).length).toBe(MAX_CRL_ENTRY_BYTES);
    expect(Buffer.compare(written(e), encodeCrlEntry(e))).toBe(0);
  });
});

describe("fail/ writeCrlEntry", () => {
  it("refuses what encodeCrlEntry refuses, with the same violations", () => {
    const at = new Date("2025-01-01T00:00:00Z");
    const bad: CrlEntry[] = [
      { serialHex: "", revokedAt: at },
      { serialHex: "00", revokedAt: at },
      { serialHex: "0000", revokedAt: at },
      { serialHex: "abc", revokedAt: at },
      { serialHex: "zz", revokedAt: at },
      { serialHex: "01zz", revokedAt: at },
      { serialHex: "ff".repeat(21), revokedAt: at },
      { serialHex: "01", revokedAt: new Date(NaN) },
      { serialHex: "01", revokedAt: new Date("1949-12-31T23:59:59Z") },
      { serialHex: "01", revokedAt: at, reasonCode: 7 },
      { serialHex: "01", revokedAt: at, invalidityDate: new Date("1900-01-01T00:00:00Z") },
    ];
    for (const e of bad) {
      const codes = (f: () => unknown) => {
        try {
          f();
        } catch (err) {
          if (!isStampError(err)) throw err;
          return err.violations.map((v) => v.code);
        }
        throw new Error(`accepted ${JSON.stringify(e)}`);
      };
      expect(codes(() => written(e))).toEqual(codes(() => encodeCrlEntry(e)));
    }
  });
});

describe("ok/ a CRL in parts", () => {
  it.each(["EC_prime256v1", "RSA_2048", "ED25519"] as const)("%s: prefix + head + entries + tail + suffix is the DER buildCrlTbs and assembleCrl give, and verifies", async (alg) => {
    const key = await makeKey(alg);
    const entries = variedEntries(3_000);
    const input: CrlTbsInput = {
      issuer: encodeName({ commonName: "Parts CA" }), issuerSpki: key.spki, signerAlgorithm: alg,
      thisUpdate: new Date("2025-05-31T00:00:00Z"), nextUpdate: new Date("2025-06-07T00:00:00Z"), crlNumber: 99n, freshestCrlUrls: ["http://x.test/delta"],
    };
    const buf = new Uint8Array(entries.length * MAX_CRL_ENTRY_BYTES);
    let n = 0;
    for (const e of entries) n = writeCrlEntry(buf, n, e);
    const body = buf.subarray(0, n);
    const { head, tail, length } = crlTbsParts(input, body.length);
    const tbs = concat([head, body, tail]);
    expect(tbs.length).toBe(length);
    const reference = buildCrlTbs(input, entries.map(encodeCrlEntry));
    expect(Buffer.compare(tbs, reference)).toBe(0);
    const sig = signWith(key, tbs);
    const { prefix, suffix } = crlSignedParts(length, alg, sig);
    const crl = concat([prefix, tbs, suffix]);
    expect(Buffer.compare(crl, assembleCrl(reference, alg, sig))).toBe(0);
    const parsed = parseCrl(crl);
    expect(parsed.entries).toBe(entries.length);
    expect(verifyCrlSignature(parsed, key.spki)).toBe(true);
    expect([...crlEntries(parsed)].map((e) => e.serialHex.replace(/^00/, ""))).toEqual(entries.map((e) => e.serialHex.toLowerCase().replace(/^(00)+/, "")));
  });

  it("no entries: no revokedCertificates element (RFC 5280 §5.1.2.6)", async () => {
    const key = await makeKey("EC_prime256v1");
    const input: CrlTbsInput = { issuer: encodeName({ commonName: "Empty" }), issuerSpki: key.spki, signerAlgorithm: "EC_prime256v1", thisUpdate: new Date("2025-05-31T00:00:00Z"), nextUpdate: new Date("2025-06-07T00:00:00Z"), crlNumber: 1n };
    const { head, tail } = crlTbsParts(input, 0);
    expect(Buffer.compare(concat([head, tail]), buildCrlTbs(input, []))).toBe(0);
    expect(parseCrl(assembleCrl(concat([head, tail]), "EC_prime256v1", signWith(key, concat([head, tail])))).entries).toBe(0);
  });
});
