import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { Services } from "./services.js";

const BASE = "/api/v1/cert-manager/ocsp";

/** Sends an OCSP answer: always HTTP 200 with application/ocsp-response (RFC 6960 Appendix A). */
function send(reply: FastifyReply, r: { der: Uint8Array; maxAgeSeconds: number }, cacheable: boolean) {
  reply.type("application/ocsp-response");
  // RFC 5019 §6: GET answers may be cached by HTTP caches until they should be refreshed.
  reply.header("cache-control", cacheable && r.maxAgeSeconds > 0 ? `public, max-age=${r.maxAgeSeconds}, no-transform, must-revalidate` : "no-cache, no-store");
  // A view, not a copy: cached answers are sent many times and never changed.
  return reply.send(Buffer.from(r.der.buffer, r.der.byteOffset, r.der.byteLength));
}

/**
 * The OCSP responder at the AIA URL of issued certificates: POST application/ocsp-request and
 * GET with the base64 request in the path. Plain (no zod schema): any bytes are answered with an
 * OCSP status, malformedRequest included, never a problem document.
 */
export function ocspRoutes(s: Services): FastifyPluginAsync {
  return async (app) => {
    // The responder itself refuses requests over 64 KiB with malformedRequest.
    app.addContentTypeParser("application/ocsp-request", { parseAs: "buffer", bodyLimit: 1024 * 1024 }, (_req, body, done) => done(null, body));
    const schema = { tags: ["revocation"], security: [], summary: "OCSP responder (RFC 6960)" };
    app.post<{ Params: { caId: string } }>(`${BASE}/:caId`, { schema }, async (req, reply) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      const answer = await s.ocsp.respond(req.params.caId, body);
      s.metrics.ocspAnswer(answer.status, answer.cached);
      return send(reply, answer, false);
    });
    app.get<{ Params: { caId: string; "*": string } }>(`${BASE}/:caId/*`, { schema }, async (req, reply) => {
      const answer = await s.ocsp.respondToGet(req.params.caId, req.params["*"]);
      s.metrics.ocspAnswer(answer.status, answer.cached);
      return send(reply, answer, true);
    });
  };
}
