import type { FastifyInstance } from "fastify";

/**
 * The one Content-Security-Policy for every HTML page Stamp serves (the API docs and the
 * web UI): scripts and styles from this origin only (styles may be inline: Swagger UI
 * and React set style attributes), no plugins, no framing, no form posts elsewhere.
 */
export const HTML_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join("; ");

/** HSTS for one year (RFC 6797 §6.1), sent only when the server itself speaks TLS. */
const HSTS = "max-age=31536000";

/**
 * Security headers on every answer, in one place (issue 14, finding 10):
 * - `X-Content-Type-Options: nosniff` everywhere;
 * - `Strict-Transport-Security` when serving TLS;
 * - `Cache-Control: no-store` on every answer that does not choose its own caching: API
 *   answers carry tokens, private keys, PKCS#12 files, client secrets, EAB and webhook
 *   secrets, and none of them may sit in a cache. Public documents that should be cached
 *   (CRLs, OCSP answers, CA certificates) set their own Cache-Control and keep it;
 * - on HTML, the CSP above with `frame-ancestors 'none'` and `X-Frame-Options: DENY`
 *   (for browsers without CSP level 2).
 */
export function registerSecurityHeaders(app: FastifyInstance, opts: { tls: boolean }): void {
  app.addHook("onSend", async (_req, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    if (opts.tls) reply.header("strict-transport-security", HSTS);
    if (!reply.hasHeader("cache-control")) reply.header("cache-control", "no-store");
    const type = String(reply.getHeader("content-type") ?? "");
    if (/^text\/html\b/i.test(type)) {
      reply.header("content-security-policy", HTML_CSP);
      reply.header("x-frame-options", "DENY");
    }
    return payload;
  });
}
