import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from "fastify";
import { StampError, type ErrorKind } from "../../errors.js";
import type { Services } from "./services.js";
import { hasBadCharacters } from "./input-checks.js";

const PREFIX = "/api/v1/cert-manager/acme/profiles/:profileId";

/** HTTP status and default ACME type per error kind (RFC 8555 §6.7). */
const ACME_STATUS: Record<ErrorKind, [number, string]> = {
  bad_request: [400, "malformed"],
  validation: [400, "rejectedIdentifier"],
  unauthenticated: [401, "unauthorized"],
  forbidden: [403, "unauthorized"],
  not_found: [404, "malformed"],
  conflict: [409, "malformed"],
  rate_limited: [429, "rateLimited"],
  payload_too_large: [413, "malformed"],
  unavailable: [503, "serverInternal"],
  internal: [500, "serverInternal"],
};

type Params = { profileId: string; id?: string };
type Req = FastifyRequest<{ Params: Params }>;

/**
 * The ACME server's transport: JOSE bodies in, ACME JSON and problem documents out, a fresh
 * Replay-Nonce and the directory Link on every answer (RFC 8555 §6.5, §7.1).
 */
export function acmeRoutes(s: Services, publicUrl: string): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.addContentTypeParser("application/jose+json", { parseAs: "string", bodyLimit: 256 * 1024 }, (_req, body, done) => {
      try {
        done(null, JSON.parse(body as string));
      } catch {
        done(new StampError("bad_request", "The request body is not JSON.", { acmeType: "malformed" }), undefined);
      }
    });

    // Path ids are copied into headers and queries: refuse control characters before either.
    const safeId = (v: unknown): v is string => typeof v === "string" && !hasBadCharacters(v) && !/\s/.test(v);
    app.addHook("onRequest", async (req) => {
      for (const [k, v] of Object.entries((req.params ?? {}) as Record<string, unknown>)) {
        if (!safeId(v)) throw new StampError("bad_request", `The ${k === "profileId" ? "profile id" : "id"} in the URL must not contain spaces, NUL bytes, control characters or unpaired surrogates.`, { acmeType: "malformed" });
      }
    });
    const common = async (req: Req, reply: FastifyReply) => {
      reply.header("replay-nonce", s.acme.nonce());
      // A malformed profile id (refused with 400) gets no directory link.
      if (safeId(req.params.profileId)) reply.header("link", `<${publicUrl}/api/v1/cert-manager/acme/profiles/${encodeURIComponent(req.params.profileId)}/directory>;rel="index"`);
      reply.header("cache-control", "no-store");
    };
    const problem = async (req: FastifyRequest, reply: FastifyReply, status: number, type: string, detail: string, extra: Record<string, unknown> = {}) => {
      await common(req as Req, reply).catch(() => undefined);
      return reply.code(status).type("application/problem+json").send({ type: `urn:ietf:params:acme:error:${type}`, detail, status, ...extra });
    };
    app.setErrorHandler(async (err: FastifyError, req, reply) => {
      const e = err instanceof StampError ? err : err.statusCode === 413 ? new StampError("payload_too_large", "The request body is too large.") : err.statusCode && err.statusCode < 500 ? new StampError("bad_request", err.message) : new StampError("internal", "Internal error; the server log has the details.");
      if (!(err instanceof StampError) && e.kind === "internal") req.log.error({ err }, "ACME internal error");
      const [status, type] = ACME_STATUS[e.kind];
      if (e.retryAfterSeconds) reply.header("retry-after", String(e.retryAfterSeconds));
      const subproblems = s.acme.subproblems(e);
      return problem(req, reply, status, e.acmeType ?? type, e.message, subproblems ? { subproblems } : {});
    });
    // RFC 8555 §6.2: a POST must be application/jose+json; anything else (application/json
    // included) is 415 with a malformed problem, before the body is parsed.
    app.addHook("onRequest", async (req, reply) => {
      if (req.method !== "POST") return;
      const type = String(req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
      if (type === "application/jose+json") return;
      reply.header("accept-post", "application/jose+json");
      return problem(req, reply, 415, "malformed", `ACME requests must be sent as application/jose+json, not ${type ? type.slice(0, 100) : "without a Content-Type"} (RFC 8555 §6.2).`);
    });

    const send = async (req: Req, reply: FastifyReply, r: { status: number; body?: unknown; headers?: Record<string, string>; pem?: string }) => {
      await common(req, reply);
      for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v);
      reply.code(r.status);
      if (r.pem !== undefined) return reply.type("application/pem-certificate-chain").send(r.pem);
      if (r.body === undefined) return reply.send();
      // An error answered as a value (keyChange's 409 with Location) is still a problem document (RFC 8555 §6.7).
      return reply.type(r.status >= 400 ? "application/problem+json" : "application/json").send(r.body);
    };
    const hide = { hide: true } as const;
    const ip = (req: FastifyRequest) => req.ip ?? null;
    const post = (path: string, handler: (req: Req) => Promise<{ status: number; body?: unknown; headers?: Record<string, string>; pem?: string }>) =>
      // Each POST is counted against its address's limit as its nonce is used (ra/acme/auth.ts).
      app.post<{ Params: Params }>(`${PREFIX}/${path}`, { schema: hide }, async (req, reply) => send(req, reply, await handler(req)));

    app.get<{ Params: Params }>(`${PREFIX}/directory`, { schema: hide }, async (req, reply) => send(req, reply, await s.acme.directory(req.params.profileId)));
    // The directory at the URLs Infisical's versions give (issue 15); the URLs it lists are Stamp's own.
    app.get<{ Params: Params }>("/api/v1/pki/acme/profiles/:profileId/directory", { schema: hide }, async (req, reply) => send(req, reply, await s.acme.directory(req.params.profileId)));
    app.get<{ Params: { id: string } }>("/api/v1/cert-manager/certificate-profiles/:id/acme/directory", { schema: hide }, async (req, reply) => {
      const as = req as unknown as Req;
      as.params.profileId = req.params.id;
      return send(as, reply, await s.acme.directory(req.params.id));
    });
    app.head<{ Params: Params }>(`${PREFIX}/new-nonce`, { schema: hide }, async (req, reply) => {
      await s.acme.directory(req.params.profileId);
      return send(req, reply, { status: 200 });
    });
    app.get<{ Params: Params }>(`${PREFIX}/new-nonce`, { schema: hide, exposeHeadRoute: false }, async (req, reply) => {
      await s.acme.directory(req.params.profileId);
      return send(req, reply, { status: 204 });
    });
    post("new-account", (req) => s.acme.newAccount(req.params.profileId, req.body, ip(req)));
    post("account/:id", (req) => s.acme.account(req.params.profileId, req.params.id!, req.body, ip(req)));
    post("account/:id/orders", (req) => s.acme.orders(req.params.profileId, req.params.id!, req.body, ip(req)));
    post("key-change", (req) => s.acme.keyChange(req.params.profileId, req.body, ip(req)));
    post("new-order", (req) => s.acme.newOrder(req.params.profileId, req.body, ip(req)));
    post("order/:id", (req) => s.acme.order(req.params.profileId, req.params.id!, req.body, ip(req)));
    post("order/:id/finalize", (req) => s.acme.finalize(req.params.profileId, req.params.id!, req.body, ip(req)));
    post("authz/:id", (req) => s.acme.authz(req.params.profileId, req.params.id!, req.body, ip(req)));
    post("chall/:id", (req) => s.acme.challenge(req.params.profileId, req.params.id!, req.body, ip(req)));
    post("cert/:id", (req) => s.acme.certificate(req.params.profileId, req.params.id!, req.body, ip(req)));
    post("revoke-cert", (req) => s.acme.revoke(req.params.profileId, req.body, ip(req)));
    app.get<{ Params: Params }>(`${PREFIX}/renewal-info/:id`, { schema: hide }, async (req, reply) => send(req, reply, await s.acme.renewalInfo(req.params.profileId, req.params.id!)));
  };
}
