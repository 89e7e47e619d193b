import { hash, verify } from "@node-rs/argon2";
import { createHash, timingSafeEqual } from "node:crypto";

// argon2id (the library's default algorithm) with OWASP's second recommended setting.
const OPTS = { memoryCost: 19456, timeCost: 2, parallelism: 1 };

/** Hashes a password with argon2id. */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTS);
}

/** Checks a password against an argon2id hash. */
export async function verifyPassword(stored: string, password: string): Promise<boolean> {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
}

// A hash to verify against when the email is unknown, so both paths take the same time.
let dummy: Promise<string> | null = null;
/** Spends the time of one verification, for unknown accounts. */
export async function verifyDummy(password: string): Promise<void> {
  dummy ??= hashPassword("stamp-timing-equaliser");
  await verifyPassword(await dummy, password);
}

/**
 * SHA-256 (hex) of a secret Stamp made at random — client secrets, generated EST passphrases,
 * one-time SCEP challenges: with no dictionary to guess from, a fast hash is enough, and it keeps
 * machine logins and enrollments cheap. Secrets a person chooses get argon2id (hashPassword).
 */
export function hashRandomSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** Constant-time comparison of two hex SHA-256 strings. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, "hex");
  const y = Buffer.from(b, "hex");
  return x.length === y.length && timingSafeEqual(x, y);
}
