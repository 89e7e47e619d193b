import type { FastifyRequest } from "fastify";
import { errors } from "../../errors.js";

/**
 * The web UI's session: the same access token a Bearer client gets, carried in a cookie the
 * page's script cannot read (HttpOnly), sent only over HTTPS or to loopback (Secure), never on a
 * request started by another site (SameSite=Strict, RFC 6265bis §5.4.7), and only to /api.
 */
export const SESSION_COOKIE = "stamp_session";
/**
 * Unsafe requests authenticated by the cookie must carry this header (any other site's form or
 * `fetch` cannot set it without a CORS preflight Stamp never grants): the CSRF defence beside
 * SameSite. Bearer-token clients never need it.
 */
export const CSRF_HEADER = "x-stamp-csrf";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const TOKEN = /^[A-Za-z0-9._~+/=-]{1,4096}$/;

/** The session token from a Cookie header (RFC 6265 §5.4), or null when there is none. */
export function readSessionCookie(header: string | undefined): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return TOKEN.test(value) ? value : null;
  }
  return null;
}

/** The Set-Cookie value that starts a session of `maxAgeSeconds`. */
export function sessionCookie(token: string, maxAgeSeconds: number): string {
  return `${SESSION_COOKIE}=${token}; Path=/api; Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}; HttpOnly; Secure; SameSite=Strict`;
}

/** The Set-Cookie value that ends the session in the browser. */
export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/api; Max-Age=0; HttpOnly; Secure; SameSite=Strict`;
}

/** Refuses an unsafe request riding on the session cookie without the CSRF header. */
export function checkCsrf(req: FastifyRequest): void {
  if (SAFE_METHODS.has(req.method)) return;
  if (req.headers[CSRF_HEADER] === "1") return;
  throw errors.forbidden(`A request authenticated by the session cookie that changes anything must carry the header '${CSRF_HEADER}: 1' (cross-site request forgery defence); API clients send 'Authorization: Bearer <token>' instead.`);
}
