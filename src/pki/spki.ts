/** SubjectPublicKeyInfo helpers (RFC 5280 §4.1.2.7): describe the key, compare keys, key identifiers. */
import { createHash, createPublicKey, type KeyObject } from "node:crypto";
import { errors } from "../errors.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { TAG, childrenOf, readOctetAlignedBits, readOid, readRoot } from "./der.js";

const CURVES: Record<string, { name: string; alg: KeyAlgorithm }> = {
  prime256v1: { name: "P-256", alg: "EC_prime256v1" },
  secp384r1: { name: "P-384", alg: "EC_secp384r1" },
  secp521r1: { name: "P-521", alg: "EC_secp521r1" },
};
const RSA_SIZES: Record<number, KeyAlgorithm> = { 2048: "RSA_2048", 3072: "RSA_3072", 4096: "RSA_4096" };

/** Splits an SPKI into its algorithm OID and subjectPublicKey bits; throws badRequest on malformed DER. */
export function spkiParts(spkiDer: Uint8Array): { algorithmOid: string; publicKey: Uint8Array } {
  try {
    const [alg, bits, extra] = childrenOf(spkiDer, readRoot(spkiDer, TAG.SEQUENCE), TAG.SEQUENCE);
    if (extra) throw new Error("trailing elements");
    const [oid] = childrenOf(spkiDer, alg, TAG.SEQUENCE);
    return { algorithmOid: readOid(spkiDer, oid), publicKey: readOctetAlignedBits(spkiDer, bits) };
  } catch (e) {
    throw errors.badRequest(`The public key could not be parsed: ${(e as Error).message}.`);
  }
}

/** A Node KeyObject for an SPKI, or null when Node cannot read it. */
export function publicKeyObject(spkiDer: Uint8Array): KeyObject | null {
  try {
    return createPublicKey({ key: Buffer.from(spkiDer), format: "der", type: "spki" });
  } catch {
    return null;
  }
}

/** The Stamp key algorithm of an SPKI (null when unsupported) and a short description like "RSA 2048" or "EC P-256". */
export function describeSpki(spkiDer: Uint8Array, key: KeyObject | null = publicKeyObject(spkiDer)): { keyAlgorithm: KeyAlgorithm | null; description: string } {
  const { algorithmOid } = spkiParts(spkiDer);
  const details = key?.asymmetricKeyDetails;
  switch (key?.asymmetricKeyType) {
    case "rsa": {
      const bits = details?.modulusLength ?? 0;
      // Only e = 65537 keys are Stamp key algorithms; others are described but not accepted.
      const alg = details?.publicExponent === 65537n ? RSA_SIZES[bits] ?? null : null;
      return { keyAlgorithm: alg, description: `RSA ${bits}` };
    }
    case "ec": {
      const curve = details?.namedCurve ?? "unknown curve";
      const known = CURVES[curve];
      return { keyAlgorithm: known?.alg ?? null, description: `EC ${known?.name ?? curve}` };
    }
    case "ed25519":
      return { keyAlgorithm: "ED25519", description: "Ed25519" };
    case undefined:
      return { keyAlgorithm: null, description: `unsupported key (${algorithmOid})` };
    default: {
      const type = key?.asymmetricKeyType ?? algorithmOid;
      const bits = details?.modulusLength;
      return { keyAlgorithm: null, description: bits ? `${type.toUpperCase()} ${bits}` : type };
    }
  }
}

/** True when two SPKIs are the same key (DER is canonical, so byte equality). */
export function spkiEquals(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

/** RFC 5280 §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value (without the unused-bits octet). */
export function keyIdentifier(spkiDer: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha1").update(spkiParts(spkiDer).publicKey).digest());
}
