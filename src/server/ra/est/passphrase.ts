import { hashPassword, hashRandomSecret, sameHash, verifyPassword } from "../auth/passwords.js";

/**
 * EST passphrases (RFC 7030 §3.2.3, HTTP Basic). One Stamp makes is 24 random bytes, so a fast
 * hash is enough, as for client secrets ("sha256:<hex>"); one an admin chooses may be guessable,
 * so it is kept as an argon2id hash like a user's password.
 */

/** A new random passphrase (base64url, 32 characters) and its stored hash. */
export function newPassphrase(random: (n: number) => Buffer): { passphrase: string; hash: string } {
  const passphrase = random(24).toString("base64url");
  return { passphrase, hash: `sha256:${hashRandomSecret(passphrase)}` };
}

/** The stored hash of a passphrase an admin chose (argon2id). */
export function hashChosenPassphrase(passphrase: string): Promise<string> {
  return hashPassword(passphrase);
}

/** True when `given` is the passphrase whose hash is `stored`. */
export async function passphraseMatches(stored: string, given: string): Promise<boolean> {
  if (stored.startsWith("sha256:")) return sameHash(stored.slice(7), hashRandomSecret(given));
  return verifyPassword(stored, given);
}
