import { createHmac, timingSafeEqual } from "node:crypto";

/** How long a nonce may wait to be used (RFC 8555 §6.5 leaves it to the server). */
export const NONCE_LIFETIME_MS = 3600_000;

const EXPIRY_BYTES = 6;
const RANDOM_BYTES = 10;
const MAC_BYTES = 16;
const LENGTH = EXPIRY_BYTES + RANDOM_BYTES + MAC_BYTES;

/**
 * Self-authenticating ACME nonces (RFC 8555 §6.5): expiry (ms) ‖ random ‖ HMAC-SHA256 of both
 * under a key every server shares. Issuing one writes nothing; `check` tells a nonce this
 * deployment made and that has not expired from any other. Single use is the store's part: the
 * first use is recorded, and a second finds the record (acme.repo.ts useNonce).
 */
export function createNonces(key: Uint8Array, random: (n: number) => Buffer, clock: () => Date) {
  const mac = (body: Buffer) => createHmac("sha256", key).update(body).digest().subarray(0, MAC_BYTES);
  return {
    /** A fresh nonce, valid on every server for NONCE_LIFETIME_MS. */
    issue(): string {
      const body = Buffer.alloc(EXPIRY_BYTES + RANDOM_BYTES);
      body.writeUIntBE(clock().getTime() + NONCE_LIFETIME_MS, 0, EXPIRY_BYTES);
      random(RANDOM_BYTES).copy(body, EXPIRY_BYTES);
      return Buffer.concat([body, mac(body)]).toString("base64url");
    },
    /** When a nonce this deployment issued expires; undefined for anything else, or one already expired. */
    check(nonce: string): Date | undefined {
      if (nonce.length !== Math.ceil((LENGTH * 4) / 3) || !/^[A-Za-z0-9_-]+$/.test(nonce)) return undefined;
      const raw = Buffer.from(nonce, "base64url");
      if (raw.length !== LENGTH) return undefined;
      const body = raw.subarray(0, EXPIRY_BYTES + RANDOM_BYTES);
      if (!timingSafeEqual(mac(body), raw.subarray(EXPIRY_BYTES + RANDOM_BYTES))) return undefined;
      const expires = new Date(body.readUIntBE(0, EXPIRY_BYTES));
      return expires > clock() ? expires : undefined;
    },
  };
}

export type Nonces = ReturnType<typeof createNonces>;
