import { describe, it, expect, beforeAll } from "vitest";
import { checkPrimeSync, createECDH, generateKeyPair, generateKeyPairSync, generatePrimeSync, randomBytes } from "node:crypto";
import { promisify } from "node:util";
import fc from "fast-check";
import { derBitString, derNull, derOid, derUnsignedInteger, seq } from "./der.js";
import { ROCA_PRIMES, checkPublicKey, fermatFactor, hasRocaFingerprint, isqrt } from "./key-checks.js";
import { makeKey } from "./pki-fixtures.test-util.js";

const gen = promisify(generateKeyPair);
const spkiOf = (k: { export(o: { format: "der"; type: "spki" }): Buffer }) => new Uint8Array(k.export({ format: "der", type: "spki" }));
const codes = (spki: Uint8Array, opts?: Parameters<typeof checkPublicKey>[1]) => checkPublicKey(spki, opts).map((v) => v.code);

/** Big-endian unsigned bytes of a BigInt. */
function bytes(n: bigint): Uint8Array {
  const hex = n.toString(16);
  return new Uint8Array(Buffer.from(hex.length % 2 ? `0${hex}` : hex, "hex"));
}
/** An rsaEncryption SPKI (RFC 3279 §2.3.1) for a modulus and exponent, built by hand so any number fits. */
const rsaSpki = (n: bigint, e = 65537n) => seq(seq(derOid("1.2.840.113549.1.1.1"), derNull()), derBitString(seq(derUnsignedInteger(bytes(n)), derUnsignedInteger(bytes(e)))));
/** An id-ecPublicKey SPKI (RFC 5480) for a curve OID and an encoded point. */
const ecSpki = (curveOid: string, point: Uint8Array) => seq(seq(derOid("1.2.840.10045.2.1"), derOid(curveOid)), derBitString(point));
const P256 = "1.2.840.10045.3.1.7";
const bitLen = (n: bigint) => n.toString(2).length;
const randomBig = (bits: number) => BigInt(`0x${randomBytes(Math.ceil(bits / 8)).toString("hex")}`) >> BigInt(Math.ceil(bits / 8) * 8 - bits);
const nextPrime = (n: bigint) => {
  let c = n | 1n;
  while (!checkPrimeSync(c)) c += 2n;
  return c;
};

describe("checkPublicKey: RSA", () => {
  it("ok/ RSA 2048, 3072 and 4096 with e = 65537 pass", async () => {
    for (const alg of ["RSA_2048", "RSA_3072", "RSA_4096"] as const) expect(checkPublicKey((await makeKey(alg)).spki)).toEqual([]);
  });
  it("fail/ RSA 1024 is too small, with a message for the caller", () => {
    const v = checkPublicKey(spkiOf(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey));
    expect(v).toEqual([{ field: "csr", code: "rsa_too_small", message: "RSA keys must have at least 2048 bits; this one has 1024.", value: 1024 }]);
  });
  it("fail/ e = 3 is refused", () => {
    const v = checkPublicKey(spkiOf(generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 }).publicKey), { field: "publicKey" });
    expect(v.map((x) => [x.field, x.code])).toEqual([["publicKey", "rsa_bad_exponent"]]);
    expect(v[0].message).toContain("65537");
  });
  it("fail/ a modulus over 8192 bits is refused without the expensive checks", () => {
    const n = (1n << 9000n) + 1n;
    expect(codes(rsaSpki(n))).toEqual(["rsa_too_large"]);
  });
  it("fail/ an even modulus", () => {
    const n = 2n * generatePrimeSync(2047, { bigint: true });
    expect(codes(rsaSpki(n))).toEqual(["rsa_even_modulus"]);
  });
  it("fail/ a modulus with a small factor (the largest prime below 10,000)", () => {
    const n = 9973n * generatePrimeSync(2040, { bigint: true });
    const v = checkPublicKey(rsaSpki(n));
    expect(v.map((x) => x.code)).toEqual(["rsa_small_factor"]);
    expect(v[0].value).toBe("9973");
  });
  it("fail/ p and q close together: Fermat factors the modulus", () => {
    const p = generatePrimeSync(1024, { bigint: true });
    const q = nextPrime(p + (1n << 400n));
    expect(codes(rsaSpki(p * q))).toEqual(["rsa_fermat"]);
    expect(fermatFactor(p * q)).toBe(p < q ? p : q);
  });
  it("ok/ p and q far apart (a real key) are not Fermat-factored", async () => {
    const { publicKey } = await gen("rsa", { modulusLength: 2048 });
    expect(codes(spkiOf(publicKey))).not.toContain("rsa_fermat");
  });
  it("fail/ a modulus with the ROCA fingerprint (CVE-2017-15361)", () => {
    // Not an Infineon key, but built the way RSALib built primes: p = k·M + (65537^a mod M), M = 2·3·5·…·167.
    // Both factors are real 1024-bit primes, so only the ROCA check fires.
    const M = [2, ...ROCA_PRIMES].reduce((m, r) => m * BigInt(r), 1n);
    // k in [sqrt(2^2047)/M, 2^1024/M) so each prime is in [2^1023.5, 2^1024) and n has exactly 2048 bits.
    const lo = isqrt(1n << 2047n) / M + 1n;
    const span = (1n << 1024n) / M - 1n - lo;
    const rocaPrime = () => {
      for (;;) {
        const a = randomBig(64);
        let g = 1n;
        let b = 65537n;
        for (let e = a; e > 0n; e >>= 1n, b = (b * b) % M) if (e & 1n) g = (g * b) % M;
        const k = lo + (randomBig(bitLen(span) + 64) % span);
        const p = k * M + g;
        if (checkPrimeSync(p)) return p;
      }
    };
    const n = rocaPrime() * rocaPrime();
    expect(bitLen(n)).toBe(2048);
    expect(hasRocaFingerprint(n)).toBe(true);
    const v = checkPublicKey(rsaSpki(n));
    expect(v.map((x) => x.code)).toEqual(["rsa_roca"]);
    expect(v[0].message).toContain("CVE-2017-15361");
  });
  it("ok/ 20 generated RSA-2048 keys: no false positives", async () => {
    const keys = await Promise.all(Array.from({ length: 20 }, () => gen("rsa", { modulusLength: 2048 })));
    for (const { publicKey } of keys) expect(checkPublicKey(spkiOf(publicKey))).toEqual([]);
  });
});

describe("checkPublicKey: EC, Ed25519 and others", () => {
  it("ok/ P-256, P-384, P-521 and Ed25519 pass", async () => {
    for (const alg of ["EC_prime256v1", "EC_secp384r1", "EC_secp521r1", "ED25519"] as const) expect(checkPublicKey((await makeKey(alg)).spki)).toEqual([]);
  });
  it("ok/ many generated points lie on their curves (checks the curve constants)", () => {
    for (const namedCurve of ["prime256v1", "secp384r1", "secp521r1"]) {
      for (let i = 0; i < 10; i++) expect(checkPublicKey(spkiOf(generateKeyPairSync("ec", { namedCurve }).publicKey))).toEqual([]);
    }
  });
  it("fail/ secp256k1 is an unsupported curve", () => {
    const v = checkPublicKey(spkiOf(generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey));
    expect(v.map((x) => x.code)).toEqual(["ec_unsupported_curve"]);
    expect(v[0].message).toBe("EC keys must use P-256, P-384 or P-521; this one uses secp256k1.");
  });
  it("fail/ explicit curve parameters are refused", () => {
    const spki = seq(seq(derOid("1.2.840.10045.2.1"), seq(derNull())), derBitString(Uint8Array.of(4, 1, 2)));
    expect(codes(spki)).toEqual(["ec_unsupported_curve"]);
  });
  it("fail/ a point off the curve, at infinity, with a coordinate ≥ p, or of the wrong length", () => {
    const good = spkiOf(generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey);
    const point = good.subarray(good.length - 65);
    const off = Uint8Array.from(point);
    off[64] ^= 1;
    expect(codes(ecSpki(P256, off))).toEqual(["ec_point_invalid"]);
    expect(checkPublicKey(ecSpki(P256, off))[0].message).toContain("not on the curve");
    expect(codes(ecSpki(P256, Uint8Array.of(0)))).toEqual(["ec_point_invalid"]);
    const big = new Uint8Array(65).fill(0xff);
    big[0] = 4;
    expect(checkPublicKey(ecSpki(P256, big))[0].message).toContain("not below the field prime");
    expect(codes(ecSpki(P256, point.subarray(0, 64)))).toEqual(["ec_point_invalid"]);
  });
  it("ok/ compressed points are decompressed and accepted; fail/ an x with no point", () => {
    for (const curve of ["prime256v1", "secp384r1", "secp521r1"]) {
      const ecdh = createECDH(curve);
      ecdh.generateKeys();
      const oid = { prime256v1: P256, secp384r1: "1.3.132.0.34", secp521r1: "1.3.132.0.35" }[curve]!;
      expect(checkPublicKey(ecSpki(oid, new Uint8Array(ecdh.getPublicKey(null, "compressed"))))).toEqual([]);
    }
    // Find an x (counting up from 1) that is not on P-256: about half of all x values.
    let found = false;
    for (let x = 1; x < 50 && !found; x++) {
      const pt = new Uint8Array(33);
      pt[0] = 2;
      pt[32] = x;
      const v = checkPublicKey(ecSpki(P256, pt));
      if (v.length) {
        expect(v[0].message).toContain("no point on the curve");
        found = true;
      }
    }
    expect(found).toBe(true);
  });
  it("fail/ an Ed25519 key of the wrong length", () => {
    const spki = seq(seq(derOid("1.3.101.112")), derBitString(new Uint8Array(31)));
    expect(codes(spki)).toEqual(["ed25519_bad_length"]);
  });
  it("fail/ DSA, X25519, Ed448 are unsupported key types", () => {
    const dsa = generateKeyPairSync("dsa", { modulusLength: 2048, divisorLength: 256 }).publicKey;
    for (const k of [dsa, generateKeyPairSync("x25519").publicKey, generateKeyPairSync("ed448").publicKey]) {
      expect(codes(spkiOf(k))).toEqual(["unsupported_key_type"]);
    }
    expect(checkPublicKey(spkiOf(generateKeyPairSync("x25519").publicKey))[0].message).toMatch(/^X25519 keys are not supported/);
  });
  it("fail/ garbage is a malformed key, not an exception", () => {
    expect(codes(Uint8Array.of(1, 2, 3))).toEqual(["malformed_key"]);
    expect(codes(rsaSpki(0n))).toEqual(["malformed_key"]);
  });
});

describe("checkPublicKey: CA keys", () => {
  let ca: Uint8Array;
  let other: Uint8Array;
  beforeAll(async () => {
    ca = (await makeKey("EC_prime256v1")).spki;
    other = (await makeKey("ED25519")).spki;
  });
  it("fail/ a CA's own key is refused; ok/ other keys pass", () => {
    expect(codes(ca, { forbiddenSpkis: [other, ca] })).toEqual(["key_is_ca_key"]);
    expect(codes(other, { forbiddenSpkis: [ca] })).toEqual([]);
  });
  it("fail/ the same EC key in compressed form is still the CA key", () => {
    const ecdh = createECDH("prime256v1");
    ecdh.generateKeys();
    const uncompressed = ecSpki(P256, new Uint8Array(ecdh.getPublicKey()));
    const compressed = ecSpki(P256, new Uint8Array(ecdh.getPublicKey(null, "compressed")));
    expect(codes(compressed, { forbiddenSpkis: [uncompressed] })).toEqual(["key_is_ca_key"]);
  });
  it("fail/ the same RSA key without NULL parameters is still the CA key", async () => {
    const rsa = (await makeKey("RSA_2048")).spki;
    const bits = rsa.subarray(rsa.length - 275);
    expect(Array.from(bits.subarray(0, 5))).toEqual([0x03, 0x82, 0x01, 0x0f, 0x00]);
    const noNull = seq(seq(derOid("1.2.840.113549.1.1.1")), bits);
    expect(codes(noNull, { forbiddenSpkis: [rsa] })).toEqual(["key_is_ca_key"]);
  });
});

describe("number theory helpers", () => {
  it("ok/ isqrt is the floor square root (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 1n << 4100n }), (n) => {
        const r = isqrt(n);
        return r * r <= n && (r + 1n) * (r + 1n) > n;
      }),
    );
  });
  it("ok/ fermatFactor finds p of p·q when q is the next prime after p (property)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n << 60n, max: 1n << 120n }), (start) => {
        const p = nextPrime(start);
        const q = nextPrime(p + 2n);
        return fermatFactor(p * q) === p;
      }),
      { numRuns: 30 },
    );
  });
});
