/**
 * The Signer port: the only way the CA module reaches a private key. Adapters: software.ts
 * (keys sealed under the root key) and pkcs11.ts (keys that never leave a token).
 */
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import type { Sealed } from "./envelope.js";

/** A private key that can sign, with its public half. */
export interface Signer {
  keyAlgorithm: KeyAlgorithm;
  /** DER SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
  spki: Uint8Array;
  /**
   * Signs `data` exactly as X.509 carries the signature: RSA PKCS#1 v1.5 with the algorithm's
   * hash, ECDSA as a DER Ecdsa-Sig-Value (RFC 3279 §2.2.3), Ed25519 as 64 raw bytes (RFC 8410 §6).
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /**
   * A signature over a message given in parts, each hashed as it comes, for messages too large
   * to hold at once (a CRL of a million entries). The result is what `sign` gives for the parts
   * concatenated. Absent for Ed25519: PureEdDSA (RFC 8032 §5.1.6) hashes the message twice, so it
   * cannot stream.
   */
  signParts?(): SignParts;
}

/** An incremental signature: `update` with each part in order, then `sign` once. */
export interface SignParts {
  update(part: Uint8Array): void;
  sign(): Promise<Uint8Array>;
}

/**
 * What the database stores (as JSON) to find a key again. Software keys hold only the sealed
 * PKCS#8 and the label bound into its AAD — never clear key bytes.
 */
export type KeyRef =
  | { backend: "software"; label: string; sealed: Sealed }
  | { backend: "pkcs11"; tokenLabel: string; /** hex CKA_ID */ id: string };

/** A place keys are made and used. */
export interface KeyBackend {
  /** Makes a key pair; returns its stored reference and DER SubjectPublicKeyInfo. */
  generate(alg: KeyAlgorithm, label: string): Promise<{ ref: KeyRef; spki: Uint8Array }>;
  /** A signer for a stored reference; `alg` is checked against the key. */
  signer(ref: KeyRef, alg: KeyAlgorithm): Promise<Signer>;
}
