/**
 * The sealing box handed to the RA (EAB HMAC keys, idempotent answers, alert-rule secrets).
 * It seals under the same root key as CA private keys, but only within the AAD namespaces it was
 * given: a CA key's envelope is bound to a `stamp-key:` AAD (software.ts), so code outside `keys/`
 * and `ca/` can never ask this box to open one — the request is refused before any decryption.
 */
import { errors } from "../../errors.js";
import type { RootKeys } from "./keyring.js";
import { open, seal, type Sealed } from "./envelope.js";

/** Seal and open secrets whose AAD starts with one of the box's namespaces. */
export interface SecretBox {
  seal(plaintext: Uint8Array, aad: string): Sealed;
  open(sealed: unknown, aad: string): Uint8Array;
}

/** A box over `rootKeys` limited to AADs beginning with one of `namespaces` (each ending in ":"). */
export function createSecretBox(rootKeys: RootKeys, namespaces: readonly string[]): SecretBox {
  if (namespaces.some((n) => !n.endsWith(":") || n.length < 2)) throw new Error("each secret-box namespace must be a non-empty prefix ending in ':'");
  const check = (aad: string) => {
    if (!namespaces.some((n) => aad.startsWith(n))) throw errors.internal(`This secret box may not use the AAD namespace of "${aad.split(":")[0]}".`);
  };
  return {
    seal(plaintext, aad) {
      check(aad);
      return seal(rootKeys, plaintext, aad);
    },
    open(sealed, aad) {
      check(aad);
      return new Uint8Array(open(rootKeys, sealed as Sealed, aad));
    },
  };
}
