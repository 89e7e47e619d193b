import { describe, it, expect, beforeAll } from "vitest";
import { createHash, generateKeyPairSync } from "node:crypto";
import { isStampError } from "../errors.js";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "./algorithms.js";
import { makeKey, type TestKey } from "./pki-fixtures.test-util.js";
import { describeSpki, keyIdentifier, spkiEquals } from "./spki.js";

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
