/** Signature algorithm identifiers and signature checks over DER (RFC 5280 §4.1.1.2, RFC 4055, RFC 5758, RFC 8410). */
import { constants, verify, type KeyObject, type VerifyKeyObjectInput } from "node:crypto";
import { algorithmParams, type KeyAlgorithm } from "./algorithms.js";
import { DerError, TAG, childrenOf, content, derNull, derOid, readOid, readRoot, readSmallInt, seq } from "./der.js";
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

/** id-RSASSA-PSS (RFC 4055 §3.1): the hash, mask generation and salt length sit in the parameters. */
const RSASSA_PSS = "1.2.840.113549.1.1.10";
const MGF1 = "1.2.840.113549.1.1.8";
/** Hashes Stamp accepts in PSS parameters (RFC 4055 §2.1; SHA-1, the DEFAULT, is not accepted). */
const PSS_HASHES: Record<string, string> = { "2.16.840.1.101.3.4.2.1": "sha256", "2.16.840.1.101.3.4.2.2": "sha384", "2.16.840.1.101.3.4.2.3": "sha512" };

/** The hash OID of a HashAlgorithm AlgorithmIdentifier (parameters absent or NULL, RFC 4055 §2.1). */
function hashOid(alg: Uint8Array | undefined): string {
  if (!alg) return "1.3.14.3.2.26"; // DEFAULT sha1
  const [oidT, paramsT, extra] = childrenOf(alg, readRoot(alg, TAG.SEQUENCE), TAG.SEQUENCE);
  if (extra || (paramsT && (paramsT.tag !== TAG.NULL || paramsT.end !== paramsT.contentStart))) throw new DerError("malformed hash AlgorithmIdentifier");
  return readOid(alg, oidT);
}

/** RSASSA-PSS-params (RFC 4055 §3.1) as Node verify options; throws DerError when malformed or not supported. */
export function pssParameters(params: Uint8Array): { hash: string; saltLength: number } {
  const fields = childrenOf(params, readRoot(params, TAG.SEQUENCE), TAG.SEQUENCE);
  const tagged = (n: number) => {
    const t = fields.find((f) => f.tag === (0xa0 | n));
    return t ? content(params, t) : undefined;
  };
  if (fields.some((f) => f.tag < 0xa0 || f.tag > 0xa3)) throw new DerError("malformed RSASSA-PSS-params");
  const hash = PSS_HASHES[hashOid(tagged(0))];
  if (!hash) throw new DerError("RSASSA-PSS with a hash other than SHA-256, SHA-384 or SHA-512");
  const mgf = tagged(1);
  if (!mgf) throw new DerError("RSASSA-PSS with the default MGF1-SHA-1 mask");
  const [mgfOidT, mgfHashT, extra] = childrenOf(mgf, readRoot(mgf, TAG.SEQUENCE), TAG.SEQUENCE);
  if (extra || readOid(mgf, mgfOidT) !== MGF1 || !mgfHashT) throw new DerError("RSASSA-PSS mask generation must be MGF1");
  // Node (OpenSSL) masks with the signature's hash, so MGF1's hash must be the same one.
  if (PSS_HASHES[hashOid(mgf.subarray(mgfHashT.start, mgfHashT.end))] !== hash) throw new DerError("RSASSA-PSS with an MGF1 hash different from the message hash");
  const salt = tagged(2);
  const saltLength = salt ? readSmallInt(salt, readRoot(salt, TAG.INTEGER)) : 20;
  const trailer = tagged(3);
  if (trailer && readSmallInt(trailer, readRoot(trailer, TAG.INTEGER)) !== 1) throw new DerError("RSASSA-PSS trailerField must be 1 (RFC 4055 §3.1)");
  return { hash, saltLength };
}

/** The DER AlgorithmIdentifier a key of `alg` signs with (NULL parameters only for RSA, RFC 4055 §5; none for ECDSA/EdDSA). */
export function signatureAlgorithmDer(alg: KeyAlgorithm): Uint8Array {
  const p = algorithmParams(alg);
  return p.signatureNullParams ? seq(derOid(p.signatureOid), derNull()) : seq(derOid(p.signatureOid));
}

/** A readable name for a signature algorithm OID (the OID itself when unknown). */
export function signatureAlgorithmName(oid: string): string {
  return oid === RSASSA_PSS ? "RSASSA-PSS" : SIGNATURES[oid]?.name ?? oid;
}

/**
 * Verifies `signature` over `data` with the SPKI's key; false for unknown algorithms, key-type
 * mismatches or bad signatures. `parameters` (the AlgorithmIdentifier's parameters, DER) are
 * needed for RSASSA-PSS (RFC 4055 §3.1), whose hash and salt length live there.
 */
export function verifySignature(signatureOid: string, spkiDer: Uint8Array, data: Uint8Array, signature: Uint8Array, parameters?: Uint8Array, key: KeyObject | null = publicKeyObject(spkiDer)): boolean {
  const v = verification(signatureOid, parameters, key);
  if (!v) return false;
  try {
    return verify(v.hash, data, v.key, signature);
  } catch {
    return false;
  }
}

/**
 * verifySignature on libuv's thread pool (crypto.verify with a callback): the same answer, while
 * the event loop goes on with other requests (an ECDSA P-256 check is ~70 µs of CPU).
 */
export function verifySignatureAsync(signatureOid: string, data: Uint8Array, signature: Uint8Array, parameters: Uint8Array | undefined, key: KeyObject | null): Promise<boolean> {
  const v = verification(signatureOid, parameters, key);
  if (!v) return Promise.resolve(false);
  return new Promise((resolve) => {
    try {
      verify(v.hash, data, v.key, signature, (err, ok) => resolve(!err && ok));
    } catch {
      resolve(false);
    }
  });
}

/** The hash and key options to check a signature of `signatureOid` with `key`; null when they cannot match. */
function verification(signatureOid: string, parameters: Uint8Array | undefined, key: KeyObject | null): { hash: string | null; key: VerifyKeyObjectInput } | null {
  if (signatureOid === RSASSA_PSS) return pssVerification(key, parameters);
  const algo = SIGNATURES[signatureOid];
  if (!algo || !key || key.asymmetricKeyType !== algo.keyType) return null;
  // ECDSA signatures in X.509 are DER Ecdsa-Sig-Value (RFC 5758 §3.2), Node's default encoding.
  return { hash: algo.hash, key: { key, dsaEncoding: "der" } };
}

/** RSASSA-PSS with an rsaEncryption or id-RSASSA-PSS key (RFC 4055 §3.1, RFC 8017 §8.1); null when malformed or the key cannot match. */
function pssVerification(key: KeyObject | null, parameters: Uint8Array | undefined): { hash: string; key: VerifyKeyObjectInput } | null {
  if (!parameters || !key || (key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "rsa-pss")) return null;
  try {
    const { hash, saltLength } = pssParameters(parameters);
    return { hash, key: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength } };
  } catch {
    return null;
  }
}
