import { createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, verify } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isStampError } from "../../errors.js";
import { algorithmParams, KEY_ALGORITHMS } from "../../pki/algorithms.js";
import { open } from "./envelope.js";
import { createSoftwareKeys, softwareKeyAad } from "./software.js";
import type { KeyRef } from "./signer.js";

const rootKey = randomBytes(32);
const data = Buffer.from("to be signed: a TBSCertificate, say");

function verifyWith(spki: Uint8Array, alg: (typeof KEY_ALGORITHMS)[number], sig: Uint8Array): boolean {
  const pub = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  return verify(algorithmParams(alg).hash, data, pub, sig);
}

describe("software keys", () => {
  for (const alg of KEY_ALGORITHMS) {
    it(`ok/${alg}: generate, sign, verify; sealed JSON holds no clear key`, async () => {
      const keys = createSoftwareKeys({ rootKey });
      const label = `ca-${alg}`;
      const { ref, spki } = await keys.generate(alg, label);
      expect(ref.backend).toBe("software");
      if (ref.backend !== "software") throw new Error("unreachable");
      expect(ref.label).toBe(label);

      const signer = await keys.signer(ref, alg);
      expect(signer.keyAlgorithm).toBe(alg);
      expect(Buffer.from(signer.spki).equals(Buffer.from(spki))).toBe(true);
      const sig = await signer.sign(data);
      expect(verifyWith(spki, alg, sig)).toBe(true);
      if (alg === "ED25519") expect(sig.length).toBe(64);
      // In parts: the same signature for RSA (PKCS#1 v1.5 is deterministic), a valid one for ECDSA;
      // Ed25519 cannot hash in parts, so it offers none.
      if (alg === "ED25519") expect(signer.signParts).toBeUndefined();
      else {
        const parts = signer.signParts!();
        for (let i = 0; i < data.length; i += 7) parts.update(data.subarray(i, i + 7));
        const partSig = await parts.sign();
        expect(verifyWith(spki, alg, partSig)).toBe(true);
        if (alg.startsWith("RSA")) expect(Buffer.from(partSig).equals(Buffer.from(sig))).toBe(true);
        const other = signer.signParts!();
        other.update(data.subarray(1));
        expect(verifyWith(spki, alg, await other.sign())).toBe(false);
      }
      if (alg.startsWith("EC_")) expect(sig[0]).toBe(0x30); // DER Ecdsa-Sig-Value, not raw r‖s

      // A fresh backend (empty cache) decrypts the stored JSON and signs the same way.
      const stored = JSON.parse(JSON.stringify(ref)) as KeyRef;
      const again = await createSoftwareKeys({ rootKey }).signer(stored, alg);
      expect(verifyWith(spki, alg, await again.sign(data))).toBe(true);

      // The PKCS#8 appears nowhere in the stored form, in any encoding.
      const pkcs8 = open(rootKey, ref.sealed, softwareKeyAad(label));
      createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }); // it really is the key
      const json = JSON.stringify(ref);
      expect(Buffer.from(json, "utf8").includes(pkcs8)).toBe(false);
      expect(json.includes(pkcs8.toString("hex"))).toBe(false);
      for (let shift = 0; shift < 3; shift++) {
        // Every base64 alignment of the DER (trimmed ends, so padding cannot hide a match).
        for (const enc of ["base64", "base64url"] as const) {
          const text = pkcs8.subarray(shift).toString(enc);
          expect(json.includes(text.slice(4, -4))).toBe(false);
        }
      }
      for (const field of Object.values(ref.sealed)) {
        if (typeof field === "string") expect(Buffer.from(field, "base64").includes(pkcs8.subarray(-32))).toBe(false);
      }
    });
  }

  it("ok/importPrivateKey seals an existing key that then signs", async () => {
    const keys = createSoftwareKeys({ rootKey });
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "secp384r1" });
    const der = privateKey.export({ type: "pkcs8", format: "der" });
    const { ref, spki } = keys.importPrivateKey(der, "EC_secp384r1", "imported");
    expect(Buffer.from(spki).equals(publicKey.export({ type: "spki", format: "der" }))).toBe(true);
    expect(JSON.stringify(ref).includes(der.toString("base64").slice(40, 80))).toBe(false);
    const signer = await createSoftwareKeys({ rootKey }).signer(ref, "EC_secp384r1");
    expect(verifyWith(spki, "EC_secp384r1", await signer.sign(data))).toBe(true);
  });

  it("fail/importPrivateKey refuses garbage and a key of another algorithm", () => {
    const keys = createSoftwareKeys({ rootKey });
    const e1 = (() => { try { keys.importPrivateKey(Buffer.from("nope"), "ED25519", "x"); } catch (e) { return e; } })();
    expect(isStampError(e1, "bad_request")).toBe(true);
    const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ type: "pkcs8", format: "der" });
    expect(() => keys.importPrivateKey(rsa, "RSA_3072", "x")).toThrow(/not RSA_3072/);
    expect(() => keys.importPrivateKey(rsa, "EC_prime256v1", "x")).toThrow(/not EC_prime256v1/);
  });

  it("fail/signer refuses another label, another root key, and the wrong algorithm", async () => {
    const keys = createSoftwareKeys({ rootKey });
    const { ref } = await keys.generate("EC_prime256v1", "ca-a");
    if (ref.backend !== "software") throw new Error("unreachable");
    // Moving the sealed key to another label breaks the AAD, even through the cache.
    const moved = await keys.signer({ ...ref, label: "ca-b" }, "EC_prime256v1").catch((e: unknown) => e);
    expect(isStampError(moved, "internal")).toBe(true);
    const other = await createSoftwareKeys({ rootKey: randomBytes(32) }).signer(ref, "EC_prime256v1").catch((e: unknown) => e);
    expect(isStampError(other, "internal")).toBe(true);
    expect((other as Error).message).toMatch(/^stored key could not be decrypted \(wrong root key/);
    await expect(keys.signer(ref, "EC_secp384r1")).rejects.toThrow(/not EC_secp384r1/);
    await expect(createSoftwareKeys({ rootKey }).signer(ref, "ED25519")).rejects.toThrow(/not ED25519/);
  });

  it("fail/bad labels", async () => {
    const keys = createSoftwareKeys({ rootKey });
    await expect(keys.generate("ED25519", "")).rejects.toSatisfy((e) => isStampError(e, "bad_request"));
    await expect(keys.generate("ED25519", "x".repeat(201))).rejects.toSatisfy((e) => isStampError(e, "bad_request"));
  });
});
