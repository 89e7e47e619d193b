/**
 * Envelope encryption of stored private keys: a fresh data key (DEK) per secret encrypts it with
 * AES-256-GCM, and the root key wraps the DEK with AES-256-GCM. The AAD (which names the key)
 * is bound to both layers, so a sealed blob cannot be moved to another key's record.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { errors } from "../../errors.js";
import { allKeys, asKeyring, type Keyring, type RootKeys } from "./keyring.js";

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
  /** The id of the root key that wraps the DEK (keyring.ts); absent on envelopes sealed before rotation existed. */
  kid?: string;
}

const KEY_BYTES = 32;
const IV_BYTES = 12; // NIST SP 800-38D §8.2: 96-bit IVs, random per encryption
const TAG_BYTES = 16;

/** Encrypts `plaintext` under a fresh data key wrapped by the current root key, binding `aad`. */
export function seal(rootKeys: RootKeys, plaintext: Uint8Array, aad: string): Sealed {
  const root = asKeyring(rootKeys).current;
  const rootKey = root.key;
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
      kid: root.id,
    };
  } finally {
    dek.fill(0);
  }
}

/**
 * Decrypts a sealed secret with the root key its envelope names (any key of the ring for an
 * envelope without a key id); any failure (wrong root key, wrong AAD, tampering) is one internal error.
 */
export function open(rootKeys: RootKeys, sealed: Sealed, aad: string): Buffer {
  const ring = asKeyring(rootKeys);
  let dek: Buffer | undefined;
  try {
    dek = unwrapDek(ring, sealed, aad);
    return gcmDecrypt(dek, b64(sealed.iv, IV_BYTES), b64(sealed.tag, TAG_BYTES), b64(sealed.ciphertext), Buffer.from(aad, "utf8"));
  } catch (e) {
    throw openError(e);
  } finally {
    dek?.fill(0);
  }
}

/**
 * Re-wraps an envelope's data key under the ring's current root key; the secret's own
 * ciphertext is kept. Null when it is already wrapped by the current key.
 */
export function rewrap(ring: Keyring, sealed: Sealed, aad: string): Sealed | null {
  if (sealed?.kid === ring.current.id) return null;
  let dek: Buffer | undefined;
  try {
    dek = unwrapDek(ring, sealed, aad);
    // The data layer must still open under this AAD: never re-wrap something already broken.
    gcmDecrypt(dek, b64(sealed.iv, IV_BYTES), b64(sealed.tag, TAG_BYTES), b64(sealed.ciphertext), Buffer.from(aad, "utf8")).fill(0);
    const wrapped = gcmEncrypt(ring.current.key, dek, Buffer.from(aad, "utf8"));
    return { ...sealed, wrappedKey: wrapped.ciphertext.toString("base64"), keyIv: wrapped.iv.toString("base64"), keyTag: wrapped.tag.toString("base64"), kid: ring.current.id };
  } catch (e) {
    throw openError(e);
  } finally {
    dek?.fill(0);
  }
}

/** The key id an envelope names, or null for one sealed before key ids existed. */
export function sealedKeyId(sealed: Sealed): string | null {
  return typeof sealed.kid === "string" ? sealed.kid : null;
}

class UnknownRootKey extends Error {}

function openError(e: unknown) {
  if (e instanceof UnknownRootKey) return errors.internal(e.message);
  return errors.internal("stored key could not be decrypted (wrong root key or tampered data)", e);
}

/** Decrypts the data key with the named root key, or tries each key for an envelope without an id. */
function unwrapDek(ring: Keyring, sealed: Sealed, aad: string): Buffer {
  if (!sealed || sealed.v !== 1 || sealed.alg !== "A256GCM") throw new Error("unknown envelope version");
  const aadBytes = Buffer.from(aad, "utf8");
  const candidates = sealed.kid === undefined ? allKeys(ring) : allKeys(ring).filter((k) => k.id === sealed.kid);
  if (candidates.length === 0) {
    throw new UnknownRootKey(
      `stored key could not be decrypted (wrong root key: it is sealed under root key ${String(sealed.kid).slice(0, 32)}, which is not in this server's root key file; copy the root key file from the host where the key was rotated, see docs/operations.md "Rotating the root key")`,
    );
  }
  let last: unknown;
  for (const k of candidates) {
    checkRootKey(k.key);
    try {
      return gcmDecrypt(k.key, b64(sealed.keyIv, IV_BYTES), b64(sealed.keyTag, TAG_BYTES), b64(sealed.wrappedKey, KEY_BYTES), aadBytes);
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

/** True when `x` has the shape of a Sealed object (fields present and strings). */
export function isSealed(x: unknown): x is Sealed {
  if (typeof x !== "object" || x === null) return false;
  const s = x as Record<string, unknown>;
  return (
    s.v === 1 &&
    s.alg === "A256GCM" &&
    ["wrappedKey", "keyIv", "keyTag", "iv", "tag", "ciphertext"].every((k) => typeof s[k] === "string") &&
    (s.kid === undefined || typeof s.kid === "string")
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
