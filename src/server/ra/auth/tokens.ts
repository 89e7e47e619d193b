import { createHmac, timingSafeEqual } from "node:crypto";
import { errors } from "../../../errors.js";
import type { Principal } from "../context.js";

/** Claims inside a Stamp access token. */
export interface TokenClaims {
  sub: string;
  typ: Principal["type"];
  iat: number;
  exp: number;
  jti: string;
  /** The principal's token generation when issued; a later generation ends this token. */
  gen?: number;
  /** The client secret a machine identity logged in with; revoking it ends this token. */
  sid?: string;
}

const PREFIX = "stamp.";
/** Tokens whose signature this server already checked (each request carries one; an HMAC costs ~30 µs). */
const VERIFIED_MAX = 10_000;

/**
 * Short-lived access tokens: `stamp.<base64url claims>.<base64url HMAC-SHA256>`.
 * The HMAC key is shared by every server through the database (sealed under the root key),
 * so any server accepts a token another issued.
 */
export function createTokenService(key: Buffer, clock: () => Date, newId: () => string) {
  const mac = (body: string) => createHmac("sha256", key).update(body).digest();
  // Keyed by the whole token, so only the exact bytes that verified hit; expiry is checked on every use.
  const verified = new Map<string, TokenClaims>();
  return {
    /** Issues a token for a principal that lives `ttlSeconds`. */
    issue(type: Principal["type"], id: string, ttlSeconds: number, bind: { gen: number; sid?: string }): { accessToken: string; expiresIn: number } {
      const now = Math.floor(clock().getTime() / 1000);
      const claims: TokenClaims = { sub: id, typ: type, iat: now, exp: now + ttlSeconds, jti: newId(), gen: bind.gen, ...(bind.sid ? { sid: bind.sid } : {}) };
      const body = Buffer.from(JSON.stringify(claims)).toString("base64url");
      return { accessToken: `${PREFIX}${body}.${mac(body).toString("base64url")}`, expiresIn: ttlSeconds };
    },
    /** Verifies a token's signature and expiry; throws unauthenticated otherwise. */
    verify(token: string): TokenClaims {
      const bad = () => errors.unauthenticated("The access token is invalid or has expired; log in again.");
      const known = verified.get(token);
      if (known) {
        if (known.exp > Math.floor(clock().getTime() / 1000)) return known;
        verified.delete(token);
        throw bad();
      }
      if (!token.startsWith(PREFIX) || token.length > 2048) throw bad();
      const [body, sig] = token.slice(PREFIX.length).split(".");
      if (!body || !sig) throw bad();
      const given = Buffer.from(sig, "base64url");
      const want = mac(body);
      if (given.length !== want.length || !timingSafeEqual(given, want)) throw bad();
      let claims: TokenClaims;
      try {
        claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
      } catch {
        throw bad();
      }
      if (typeof claims.exp !== "number" || claims.exp <= Math.floor(clock().getTime() / 1000)) throw bad();
      if (claims.typ !== "user" && claims.typ !== "identity") throw bad();
      if (typeof claims.sub !== "string" || typeof claims.jti !== "string") throw bad();
      // Machine identity tokens name their client secret, so revoking the secret ends them.
      if (claims.typ === "identity" && typeof claims.sid !== "string") throw bad();
      if (verified.size >= VERIFIED_MAX) verified.delete(verified.keys().next().value!);
      verified.set(token, Object.freeze(claims));
      return claims;
    },
  };
}

export type TokenService = ReturnType<typeof createTokenService>;
