/** Signature algorithm identifiers and signature checks over DER (RFC 5280 §4.1.1.2, RFC 4055, RFC 5758, RFC 8410). */
import { verify } from "node:crypto";
import { algorithmParams, type KeyAlgorithm } from "./algorithms.js";
import { derNull, derOid, seq } from "./der.js";
import { publicKeyObject } from "./spki.js";

/** Signature algorithms Stamp verifies: OID → Node hash and the key type that must sign. */
const SIGNATURES: Record<string, { hash: string | null; keyType: "rsa" | "ec" | "ed25519"; name: string }> = {
  "1.2.840.113549.1.1.11": { hash: "sha256", keyType: "rsa", name: "sha256WithRSAEncryption" },
  "1.2.840.113549.1.1.12": { hash: "sha384", keyType: "rsa", name: "sha384WithRSAEncryption" },
  "1.2.840.113549.1.1.13": { hash: "sha512", keyType: "rsa", name: "sha512WithRSAEncryption" },
  "1.2.840.10045.4.3.2": { hash: "sha256", keyType: "ec", name: "ecdsa-with-SHA256" },
  "1.2.840.10045.4.3.3": { hash: "sha384", keyType: "ec", name: "ecdsa-with-SHA384" },
  "1.2.840.10045.4.3.4": { hash: "sha512", keyType: "ec", name: "ecdsa-with-SHA512" },
  "1.3.101.112": { hash: null, keyType: "ed25519", name: "Ed25519" },
};

/** The DER AlgorithmIdentifier a key of `alg` signs with (NULL parameters only for RSA, RFC 4055 §5; none for ECDSA/EdDSA). */
export function signatureAlgorithmDer(alg: KeyAlgorithm): Uint8Array {
  const p = algorithmParams(alg);
  return p.signatureNullParams ? seq(derOid(p.signatureOid), derNull()) : seq(derOid(p.signatureOid));
}

/** A readable name for a signature algorithm OID (the OID itself when unknown). */
export function signatureAlgorithmName(oid: string): string {
  return SIGNATURES[oid]?.name ?? oid;
}

/** Verifies `signature` over `data` with the SPKI's key; false for unknown algorithms, key-type mismatches or bad signatures. */
export function verifySignature(signatureOid: string, spkiDer: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean {
  const algo = SIGNATURES[signatureOid];
  const key = publicKeyObject(spkiDer);
  if (!algo || !key || key.asymmetricKeyType !== algo.keyType) return false;
  try {
    // ECDSA signatures in X.509 are DER Ecdsa-Sig-Value (RFC 5758 §3.2), Node's default encoding.
    return verify(algo.hash, data, { key, dsaEncoding: "der" }, signature);
  } catch {
    return false;
  }
}
