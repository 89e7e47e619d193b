import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { scepChallenge } from "../../../contract/profiles.js";
import { errors } from "../../../errors.js";
import { MAX_PKI_MESSAGE_BYTES } from "../../../pki/scep-cms.js";
import type { Services } from "../services.js";

type ScepRequest = FastifyRequest<{ Params: { profile: string }; Querystring: { operation?: string; message?: string } }>;

/** The GET `message` parameter: base64 (RFC 8894 §4.1), whose '+' a form decoder may have turned into a space. */
function messageFromQuery(m: string | undefined): Uint8Array {
  if (!m) throw errors.badRequest("PKIOperation over GET needs the message parameter (the base64 pkiMessage).");
  if (m.length > Math.ceil((MAX_PKI_MESSAGE_BYTES * 4) / 3) + 4) throw errors.badRequest(`The SCEP message is larger than ${MAX_PKI_MESSAGE_BYTES} bytes.`);
  const b64 = m.replace(/ /g, "+");
  if (!/^[A-Za-z0-9+/=_-]*$/.test(b64)) throw errors.badRequest("The message parameter is not base64.");
  return new Uint8Array(Buffer.from(b64, "base64"));
}

/**
 * SCEP (RFC 8894 §4) at /scep/<profile id or slug>/pkiclient.exe, and without pkiclient.exe:
 * GetCACaps, GetCACert and PKIOperation (GET with a base64 message, or POST with the DER body).
 * No bearer token: a SCEP client proves itself with the challenge or its current certificate.
 * POST /scep/<profile>/challenge hands a member of the profile's project a one-time challenge.
 */
export function scepRoutes(s: Services): FastifyPluginAsync {
  return async (app) => {
    app.addContentTypeParser(["application/x-pki-message", "application/octet-stream"], { parseAs: "buffer", bodyLimit: MAX_PKI_MESSAGE_BYTES }, (_req, body, done) => done(null, body));
    const schema = { tags: ["scep"], security: [], summary: "SCEP (RFC 8894): GetCACaps, GetCACert, PKIOperation" };

    async function handle(req: ScepRequest, reply: FastifyReply) {
      const op = req.query.operation;
      const ref = req.params.profile;
      reply.header("cache-control", "no-store");
      if (op === "GetCACaps") return reply.type("text/plain").send(await s.scep.caps(ref));
      if (op === "GetCACert") return reply.type("application/x-x509-ca-ra-cert").send(Buffer.from(await s.scep.caCert(ref)));
      if (op === "PKIOperation") {
        const body = req.method === "POST" ? (Buffer.isBuffer(req.body) ? new Uint8Array(req.body) : new Uint8Array(0)) : messageFromQuery(req.query.message);
        return reply.type("application/x-pki-message").send(Buffer.from(await s.scep.pkiOperation(ref, body, req.ip ?? null)));
      }
      throw errors.badRequest(`Unknown SCEP operation "${String(op ?? "").slice(0, 40)}"; use GetCACaps, GetCACert or PKIOperation.`);
    }
    for (const path of ["/scep/:profile/pkiclient.exe", "/scep/:profile"]) {
      app.get(path, { schema }, handle);
      app.post(path, { schema: { ...schema, summary: "SCEP PKIOperation over POST (RFC 8894 §4.3)" } }, handle);
    }
    await app.register(challengeRoute(s));
  };
}

/** POST /scep/:profile/challenge: a one-time challenge, for a member of the profile's project. */
function challengeRoute(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.post("/scep/:profile/challenge", {
      schema: {
        tags: ["scep"],
        summary: "A one-time SCEP challenge password for one enrollment (a member of the profile's project, e.g. an MDM's machine identity)",
        params: z.object({ profile: z.string().min(1).max(63) }),
        response: { 200: scepChallenge },
      },
    }, async (req) => s.scep.newChallenge(req.ctx, req.params.profile));
  };
}
