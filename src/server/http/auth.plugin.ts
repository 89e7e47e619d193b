import type { FastifyInstance, FastifyRequest } from "fastify";
import { errors } from "../../errors.js";
import type { Principal, RequestContext } from "../ra/context.js";
import type { TokenClaims } from "../ra/auth/tokens.js";
import { checkCsrf, readSessionCookie } from "./session-cookie.js";

declare module "fastify" {
  interface FastifyRequest {
    ctx: RequestContext;
  }
}

/** Where the web UI signs in and out (session.routes.ts). */
export const SESSION_PATH = "/api/v1/auth/session";

/** How the auth hook turns a token into a principal. */
export interface Authenticator {
  verify(token: string): TokenClaims;
  /** The principal behind a verified token, or null when the account is gone or the token was revoked. */
  user(claims: TokenClaims): Promise<Principal | null>;
  identity(claims: TokenClaims): Promise<Principal | null>;
}

/**
 * Reads `Authorization: Bearer …` on every request and sets `req.ctx`. No header means an
 * anonymous caller (use cases that need one answer 401); a bad or expired token is a 401 at
 * once, as is a token whose user or identity was deleted or that was revoked (logout, password
 * change, client secret revoked): the principal's one query per request checks both.
 * Without the header, the web UI's session cookie carries the same token (session-cookie.ts);
 * an unsafe request riding on it must carry the CSRF header. Signing in (`POST
 * /api/v1/auth/session`) ignores a cookie left from an earlier session.
 */
export function registerAuth(app: FastifyInstance, auth: Authenticator) {
  app.decorateRequest("ctx", null as unknown as RequestContext);
  app.addHook("onRequest", async (req: FastifyRequest) => {
    req.ctx = { principal: null, sourceIp: req.ip ?? null };
    const header = req.headers.authorization;
    // EST clients authenticate with HTTP Basic and the profile's passphrase (RFC 7030 §3.2.3; http/est/).
    if (req.url.startsWith("/.well-known/est/")) return;
    // Prometheus scrapers send the metrics token, not an access token (metrics.routes.ts checks it).
    if (req.url === "/metrics") return;
    let token: string;
    if (header) {
      const m = /^Bearer\s+(\S+)$/i.exec(header);
      if (!m) throw errors.unauthenticated("The Authorization header must be 'Bearer <access token>'.");
      token = m[1];
    } else {
      const cookie = req.method === "POST" && req.url === SESSION_PATH ? null : readSessionCookie(req.headers.cookie);
      if (!cookie) return;
      checkCsrf(req);
      token = cookie;
    }
    const claims = auth.verify(token);
    const principal = claims.typ === "user" ? await auth.user(claims) : await auth.identity(claims);
    if (!principal) throw errors.unauthenticated("This access token was revoked (logout, password change or client secret revoked) or its account no longer exists; log in again.");
    req.ctx.principal = principal;
    req.ctx.token = { id: claims.jti, expiresAt: claims.exp };
  });
}
