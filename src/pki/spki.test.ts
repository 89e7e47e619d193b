import { describe, it, expect, beforeAll } from "vitest";
import { createHash, generateKeyPairSync } from "node:crypto";
import { isStampError } from "../errors.js";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "./algorithms.js";
import { makeKey, type TestKey } from "./pki-fixtures.test-util.js";
import { describeSpki, keyIdentifier, publicKeyObject, spkiEquals } from "./spki.js";

const keys = {} as Record<KeyAlgorithm, TestKey>;
beforeAll(async () => {
  await Promise.all(KEY_ALGORITHMS.map(async (a) => (keys[a] = await makeKey(a))));
});

const spkiOf = (k: { export(o: { format: "der"; type: "spki" }): Buffer }) => new Uint8Array(k.export({ format: "der", type: "spki" }));

describe("describeSpki", () => {
  it("ok/ every Stamp algorithm", () => {
    const expected: Record<KeyAlgorithm, string> = {
      RSA_2048: "RSA 2048", RSA_3072: "RSA 3072", RSA_4096: "RSA 4096",
      EC_prime256v1: "EC P-256", EC_secp384r1: "EC P-384", EC_secp521r1: "EC P-521", ED25519: "Ed25519",
    };
    for (const a of KEY_ALGORITHMS) expect(describeSpki(keys[a].spki)).toEqual({ keyAlgorithm: a, description: expected[a] });
  });
  it("ok/ unsupported keys are described with a null algorithm", () => {
    expect(describeSpki(spkiOf(generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey))).toEqual({ keyAlgorithm: null, description: "RSA 1024" });
    expect(describeSpki(spkiOf(generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey))).toEqual({ keyAlgorithm: null, description: "EC secp256k1" });
    expect(describeSpki(spkiOf(generateKeyPairSync("ed448").publicKey))).toEqual({ keyAlgorithm: null, description: "ed448" });
    expect(describeSpki(spkiOf(generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 }).publicKey)).keyAlgorithm).toBeNull();
  });
  it("fail/ garbage is a bad request", () => {
    try {
      describeSpki(Uint8Array.of(1, 2, 3));
      expect.unreachable();
    } catch (e) {
      expect(isStampError(e, "bad_request")).toBe(true);
    }
  });
});

describe("spkiEquals", () => {
  it("ok/ same key equal, different keys not", () => {
    expect(spkiEquals(keys.ED25519.spki, Uint8Array.from(keys.ED25519.spki))).toBe(true);
    expect(spkiEquals(keys.ED25519.spki, keys.EC_prime256v1.spki)).toBe(false);
  });
});

describe("keyIdentifier", () => {
  it("ok/ known answer: SHA-1 over the BIT STRING value (Ed25519 key = last 32 bytes of the SPKI)", () => {
    const spki = keys.ED25519.spki;
    expect(spki.length).toBe(44);
    expect(Buffer.from(keyIdentifier(spki)).toString("hex")).toBe(createHash("sha1").update(spki.subarray(12)).digest("hex"));
  });
});

describe("publicKeyObject", () => {
  it("ok/ every Stamp algorithm reads back as the same key (EC through its JWK coordinates)", () => {
    for (const a of KEY_ALGORITHMS) {
      const spki = spkiOf(keys[a].publicKey);
      const k = publicKeyObject(spki);
      expect(k, a).not.toBeNull();
      expect(Buffer.compare(spkiOf(k!), spki), a).toBe(0);
    }
  });

  it("ok/ a compressed EC point is read through the DER path", () => {
    const k = generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey;
    const jwk = k.export({ format: "jwk" }) as { x: string; y: string };
    const x = Buffer.from(jwk.x, "base64url");
    const odd = Buffer.from(jwk.y, "base64url")[31] & 1;
    // SubjectPublicKeyInfo with id-ecPublicKey, prime256v1 and the 33-byte compressed point.
    const prefix = Buffer.from("3039301306072a8648ce3d020106082a8648ce3d030107032200", "hex");
    const spki = new Uint8Array(Buffer.concat([prefix, Buffer.from([odd ? 3 : 2]), x]));
    const read = publicKeyObject(spki);
    expect(read).not.toBeNull();
    expect(read!.equals(k)).toBe(true);
  });

  it("fail/ a point off its curve, a truncated key and garbage give null", () => {
    const spki = Buffer.from(spkiOf(keys.EC_prime256v1.publicKey));
    const off = Buffer.from(spki);
    off[off.length - 1] ^= 1;
    expect(publicKeyObject(new Uint8Array(off))).toBeNull();
    expect(publicKeyObject(new Uint8Array(spki.subarray(0, spki.length - 5)))).toBeNull();
    expect(publicKeyObject(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]))).toBeNull();
  });
});
