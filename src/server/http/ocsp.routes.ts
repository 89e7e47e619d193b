import type { FastifyPluginAsync, FastifyReply } from "fastify";
import type { OcspAnswer } from "../shared-types.js";
import type { Services } from "./services.js";

const BASE = "/api/v1/cert-manager/ocsp";

/** Sends an OCSP answer, counted in the metrics: always HTTP 200 with application/ocsp-response (RFC 6960 Appendix A). */
function send(s: Services, reply: FastifyReply, r: OcspAnswer, cacheable: boolean) {
  s.metrics.ocspAnswer(r.status, r.cached);
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
      return send(s, reply, await s.ocsp.respond(req.params.caId, body), false);
    });
    app.get<{ Params: { caId: string; "*": string } }>(`${BASE}/:caId/*`, { schema }, async (req, reply) => send(s, reply, await s.ocsp.respondToGet(req.params.caId, req.params["*"]), true));
  };
}
