/**
 * The root keys a server holds (docs/adr/0005-root-key-rotation.md): one `current` key that
 * seals, and during a rotation `previous` keys (being re-wrapped away) or a `next` key (staged
 * on every server before it becomes current). Every key opens what names it.
 */
import { createHash } from "node:crypto";
import { errors } from "../../errors.js";

/** A key's place in a rotation. */
export type RootKeyRole = "current" | "previous" | "next";

/** One root key with its id (a hash of the key, so the file and the envelopes agree without a registry). */
export interface RootKeyEntry {
  id: string;
  role: RootKeyRole;
  key: Buffer;
}

/** The root keys of a server: exactly one current, any others accepted for opening. */
export interface Keyring {
  current: RootKeyEntry;
  others: RootKeyEntry[];
}

/** A bare 32-byte key (the original single-key form) or a keyring. */
export type RootKeys = Buffer | Keyring;

const KEY_BYTES = 32;

/** The id of a root key: 16 hex digits of SHA-256 over a fixed label and the key (reveals nothing of it). */
export function rootKeyId(key: Buffer): string {
  return createHash("sha256").update("stamp-root-key-id\0").update(key).digest("hex").slice(0, 16);
}

/** A keyring from a current key and the others it should accept. */
export function makeKeyring(current: Buffer, others: { role: Exclude<RootKeyRole, "current">; key: Buffer }[] = []): Keyring {
  for (const k of [current, ...others.map((o) => o.key)]) {
    if (!Buffer.isBuffer(k) || k.length !== KEY_BYTES) throw errors.internal("root key must be 32 bytes");
  }
  return { current: { id: rootKeyId(current), role: "current", key: current }, others: others.map((o) => ({ id: rootKeyId(o.key), role: o.role, key: o.key })) };
}

/** Normalises a bare key or a keyring into a keyring. */
export function asKeyring(keys: RootKeys): Keyring {
  return Buffer.isBuffer(keys) ? makeKeyring(keys) : keys;
}

/** Every key of the ring, current first. */
export function allKeys(ring: Keyring): RootKeyEntry[] {
  return [ring.current, ...ring.others];
}
