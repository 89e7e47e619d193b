import type { TLSSocket } from "node:tls";
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { StampError, type ErrorKind } from "../../../errors.js";
import type { EstCredentials } from "../../ra/est/deps.js";
import type { Services } from "../services.js";
import { hasBadCharacters } from "../input-checks.js";

/** HTTP status per error kind for EST clients (RFC 7030 §4.2.3: 4xx for a refused request, 401 to authenticate). */
const EST_STATUS: Record<ErrorKind, number> = {
  bad_request: 400,
  validation: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  rate_limited: 429,
  payload_too_large: 413,
  unavailable: 503,
  internal: 500,
};
const OPS = ["cacerts", "simpleenroll", "simplereenroll", "serverkeygen", "csrattrs"] as const;
type Op = (typeof OPS)[number];
const POST_OPS: readonly Op[] = ["simpleenroll", "simplereenroll", "serverkeygen"];
const PKCS7 = "application/pkcs7-mime; smime-type=certs-only";
const MAX_BODY = 128 * 1024;

/** Base64 with 64-character lines (RFC 7030 §4.1.3 / RFC 8951: base64 DER, no MIME headers needed). */
const b64 = (der: Uint8Array) => `${(Buffer.from(der).toString("base64").match(/.{1,64}/g) ?? []).join("\r\n")}\r\n`;

/** The TLS client certificate chain the client sent (leaf first), DER; empty without one. */
function clientChain(req: FastifyRequest): Uint8Array[] {
  const sock = req.raw.socket as Partial<TLSSocket>;
  if (typeof sock.getPeerCertificate !== "function") return [];
  const out: Uint8Array[] = [];
  let c = sock.getPeerCertificate(true);
  while (c && c.raw && out.length < 10) {
    out.push(new Uint8Array(c.raw));
    const next = c.issuerCertificate;
    if (!next || next === c || next.raw?.equals(c.raw)) break;
    c = next;
  }
  return out;
}

/** HTTP Basic credentials (RFC 7617), or undefined; a malformed header is a 401. */
function basic(req: FastifyRequest): EstCredentials["basic"] {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Basic\s+([A-Za-z0-9+/=]{1,1400})$/i.exec(h);
  const text = m ? Buffer.from(m[1], "base64").toString("utf8") : "";
  const at = text.indexOf(":");
  if (!m || at < 0) throw new StampError("unauthenticated", "The Authorization header must be HTTP Basic: base64 of 'user:passphrase' (RFC 7617).");
  return { user: text.slice(0, at), password: text.slice(at + 1) };
}

/**
 * EST (RFC 7030) on the HTTPS listener at /.well-known/est/<profile id or slug>/<operation>:
 * PKCS#10 in (base64 DER, PEM or DER), base64 certs-only CMS out, plain-text errors with the
 * status the RFC names, and 401 with a Basic challenge (§3.2.3).
 */
export function estRoutes(s: Services): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    // Any body is read as bytes here, and only application/pkcs10 gets that far (the hook below).
    app.removeAllContentTypeParsers();
    app.addContentTypeParser("*", { parseAs: "buffer", bodyLimit: MAX_BODY }, (_req, body, done) => done(null, body));

    const fail = (reply: FastifyReply, status: number, text: string) => {
      if (status === 401) reply.header("www-authenticate", 'Basic realm="stamp-est", charset="UTF-8"');
      return reply.code(status).header("cache-control", "no-store").type("text/plain; charset=utf-8").send(`${text}\n`);
    };
    app.setErrorHandler(async (err: FastifyError, req, reply) => {
      const e = err instanceof StampError ? err : err.statusCode === 413 ? new StampError("payload_too_large", `The request body is larger than ${MAX_BODY} bytes.`) : err.statusCode && err.statusCode < 500 ? new StampError("bad_request", err.message) : new StampError("internal", "Internal error; the server log has the details.");
      if (e.kind === "internal") req.log.error({ err }, "EST internal error");
      if (e.retryAfterSeconds) reply.header("retry-after", String(e.retryAfterSeconds));
      const lines = [e.message, ...e.violations.slice(0, 50).map((v) => `- ${v.field}: ${v.message}`)];
      return fail(reply, EST_STATUS[e.kind], lines.join("\n"));
    });

    type Req = FastifyRequest<{ Params: { label: string; op: string } }>;
    // RFC 7030 §4.2.1: enrollment bodies are application/pkcs10; anything else is 415 before the body is read.
    app.addHook("onRequest", async (req, reply) => {
      const { label, op } = (req.params ?? {}) as { label?: string; op?: string };
      if (typeof label === "string" && (hasBadCharacters(label) || /\s/.test(label) || label.length > 100)) return fail(reply, 400, "The EST label must be a profile id or slug.");
      if (!OPS.includes(op as Op)) return fail(reply, 404, `Unknown EST operation "${String(op).slice(0, 40)}"; one of ${OPS.join(", ")}.`);
      const post = POST_OPS.includes(op as Op);
      if (req.method !== (post ? "POST" : "GET")) {
        reply.header("allow", post ? "POST" : "GET");
        return fail(reply, 405, `${op} takes ${post ? "POST" : "GET"} (RFC 7030 §3.2.2).`);
      }
      if (!post) return;
      const type = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
      if (type !== "application/pkcs10") {
        reply.header("accept-post", "application/pkcs10");
        return fail(reply, 415, `${op} takes a PKCS#10 request as application/pkcs10 (RFC 7030 §4.2.1), not ${type ? type.slice(0, 100) : "a body without a Content-Type"}.`);
      }
    });

    const handler = async (req: Req, reply: FastifyReply) => {
      const { label, op } = req.params;
      reply.header("cache-control", "no-store");
      if (op === "cacerts") return reply.type(PKCS7).header("content-transfer-encoding", "base64").send(b64(await s.est.cacerts(label)));
      if (op === "csrattrs") {
        const der = await s.est.csrattrs(label);
        return der ? reply.type("application/csrattrs").header("content-transfer-encoding", "base64").send(b64(der)) : reply.code(204).send();
      }
      const body = Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : new Uint8Array(0);
      if (!body.length) throw new StampError("bad_request", "The body is empty; send the base64 DER (or PEM) of a PKCS#10 request.");
      const creds: EstCredentials = { basic: basic(req), clientChain: clientChain(req) };
      const ip = req.ip ?? null;
      if (op === "simpleenroll") return reply.type(PKCS7).header("content-transfer-encoding", "base64").send(b64((await s.est.simpleenroll(label, body, creds, ip)).pkcs7));
      if (op === "simplereenroll") return reply.type(PKCS7).header("content-transfer-encoding", "base64").send(b64((await s.est.simplereenroll(label, body, creds, ip)).pkcs7));
      // RFC 7030 §4.4.2: multipart/mixed, the PKCS#8 key first, then the certificate.
      const r = await s.est.serverkeygen(label, body, creds, ip);
      const boundary = `stamp-est-${r.certificateId}`;
      const part = (type: string, der: Uint8Array) => `--${boundary}\r\nContent-Type: ${type}\r\nContent-Transfer-Encoding: base64\r\n\r\n${b64(der)}`;
      return reply.type(`multipart/mixed; boundary=${boundary}`).send(`${part("application/pkcs8", r.privateKey!)}${part(PKCS7, r.pkcs7)}--${boundary}--\r\n`);
    };
    app.route({ method: ["GET", "POST", "PUT", "DELETE", "PATCH"], url: "/.well-known/est/:label/:op", schema: { hide: true }, handler });
  };
}
