import { randomBytes } from "node:crypto";
import { errors, isStampError } from "../../errors.js";
import { isSealed, open, seal } from "./envelope.js";
import type { RootKeys } from "./keyring.js";

/** Where sealed server secrets are kept (the store's server_secrets table). */
export interface SecretSlot {
  putSecretIfAbsent(name: string, sealed: unknown): Promise<unknown>;
}

/** The AAD that binds a sealed server secret to its name. */
export const serverSecretAad = (name: string) => `stamp-server-secret:${name}`;

/**
 * A 32-byte secret shared by every server on the database (the access-token HMAC key),
 * sealed under the root key. The first server to start makes it; the others read it.
 * Opening it also proves this server's root key is the one the database was made with.
 */
export async function loadServerSecret(slot: SecretSlot, rootKey: RootKeys, name: string): Promise<Buffer> {
  const aad = serverSecretAad(name);
  const stored = await slot.putSecretIfAbsent(name, seal(rootKey, randomBytes(32), aad));
  if (!isSealed(stored)) throw errors.internal(`server secret ${name} is malformed in the database`);
  try {
    return open(rootKey, stored, aad);
  } catch (e) {
    if (isStampError(e)) {
      throw errors.internal(
        "The root key does not match this database: every server sharing a database must use the same root key file (--root-key-file / STAMP_ROOT_KEY_FILE), and a restored backup needs the root key file that was in use when the backup was taken.",
      );
    }
    throw e;
  }
}
