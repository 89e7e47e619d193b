/**
 * Envelope encryption of stored private keys: a fresh data key (DEK) per secret encrypts it with
 * AES-256-GCM, and the root key wraps the DEK with AES-256-GCM. The AAD (which names the key)
 * is bound to both layers, so a sealed blob cannot be moved to another key's record.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { errors } from "../../errors.js";

/** A sealed secret as stored (JSON-serialisable; every binary field is base64). */
export interface Sealed {
  v: 1;
  alg: "A256GCM";
  /** The DEK encrypted under the root key. */
  wrappedKey: string;
  keyIv: string;
  keyTag: string;
  /** The secret encrypted under the DEK. */
  iv: string;
  tag: string;
  ciphertext: string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12; // NIST SP 800-38D §8.2: 96-bit IVs, random per encryption
const TAG_BYTES = 16;

/** Encrypts `plaintext` under a fresh data key wrapped by `rootKey`, binding `aad`. */
export function seal(rootKey: Buffer, plaintext: Uint8Array, aad: string): Sealed {
  checkRootKey(rootKey);
  const aadBytes = Buffer.from(aad, "utf8");
  const dek = randomBytes(KEY_BYTES);
  try {
    const data = gcmEncrypt(dek, plaintext, aadBytes);
    const wrapped = gcmEncrypt(rootKey, dek, aadBytes);
    return {
      v: 1,
      alg: "A256GCM",
      wrappedKey: wrapped.ciphertext.toString("base64"),
      keyIv: wrapped.iv.toString("base64"),
      keyTag: wrapped.tag.toString("base64"),
      iv: data.iv.toString("base64"),
      tag: data.tag.toString("base64"),
      ciphertext: data.ciphertext.toString("base64"),
    };
  } finally {
    dek.fill(0);
  }
}

/** Decrypts a sealed secret; any failure (wrong root key, wrong AAD, tampering) is one internal error. */
export function open(rootKey: Buffer, sealed: Sealed, aad: string): Buffer {
  checkRootKey(rootKey);
  let dek: Buffer | undefined;
  try {
    if (!sealed || sealed.v !== 1 || sealed.alg !== "A256GCM") throw new Error("unknown envelope version");
    const aadBytes = Buffer.from(aad, "utf8");
    dek = gcmDecrypt(rootKey, b64(sealed.keyIv, IV_BYTES), b64(sealed.keyTag, TAG_BYTES), b64(sealed.wrappedKey, KEY_BYTES), aadBytes);
    return gcmDecrypt(dek, b64(sealed.iv, IV_BYTES), b64(sealed.tag, TAG_BYTES), b64(sealed.ciphertext), aadBytes);
  } catch (e) {
    throw errors.internal("stored key could not be decrypted (wrong root key or tampered data)", e);
  } finally {
    dek?.fill(0);
  }
}

/** True when `x` has the shape of a Sealed object (fields present and strings). */
export function isSealed(x: unknown): x is Sealed {
  if (typeof x !== "object" || x === null) return false;
  const s = x as Record<string, unknown>;
  return (
    s.v === 1 &&
    s.alg === "A256GCM" &&
    ["wrappedKey", "keyIv", "keyTag", "iv", "tag", "ciphertext"].every((k) => typeof s[k] === "string")
  );
}

function checkRootKey(rootKey: Buffer): void {
  if (!Buffer.isBuffer(rootKey) || rootKey.length !== KEY_BYTES) throw errors.internal("root key must be 32 bytes");
}

function gcmEncrypt(key: Buffer, plaintext: Uint8Array, aad: Buffer) {
  const iv = randomBytes(IV_BYTES);
  const c = createCipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  c.setAAD(aad);
  const ciphertext = Buffer.concat([c.update(plaintext), c.final()]);
  return { iv, tag: c.getAuthTag(), ciphertext };
}

function gcmDecrypt(key: Buffer, iv: Buffer, tag: Buffer, ciphertext: Buffer, aad: Buffer): Buffer {
  const d = createDecipheriv("aes-256-gcm", key, iv, { authTagLength: TAG_BYTES });
  d.setAAD(aad);
  d.setAuthTag(tag);
  return Buffer.concat([d.update(ciphertext), d.final()]);
}

function b64(s: unknown, expectedLength?: number): Buffer {
  if (typeof s !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) throw new Error("field is not base64");
  const buf = Buffer.from(s, "base64");
  if (expectedLength !== undefined && buf.length !== expectedLength) throw new Error("field has the wrong length");
  return buf;
}
