import type { FastifyInstance, FastifyRequest } from "fastify";
import { errors } from "../../errors.js";
import type { Principal, RequestContext } from "../ra/context.js";

declare module "fastify" {
  interface FastifyRequest {
    ctx: RequestContext;
  }
}

/** How the auth hook turns a token into a principal. */
export interface Authenticator {
  verify(token: string): { sub: string; typ: "user" | "identity" };
  user(id: string): Promise<Principal | null>;
  identity(id: string): Promise<Principal | null>;
}

/**
 * Reads `Authorization: Bearer …` on every request and sets `req.ctx`. No header means an
 * anonymous caller (use cases that need one answer 401); a bad or expired token is a 401 at
 * once, as is a token whose user or identity was deleted.
 */
export function registerAuth(app: FastifyInstance, auth: Authenticator) {
  app.decorateRequest("ctx", null as unknown as RequestContext);
  app.addHook("onRequest", async (req: FastifyRequest) => {
    req.ctx = { principal: null, sourceIp: req.ip ?? null };
    const header = req.headers.authorization;
    if (!header) return;
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw errors.unauthenticated("The Authorization header must be 'Bearer <access token>'.");
    const claims = auth.verify(m[1]);
    const principal = claims.typ === "user" ? await auth.user(claims.sub) : await auth.identity(claims.sub);
    if (!principal) throw errors.unauthenticated("The account behind this access token no longer exists.");
    req.ctx.principal = principal;
  });
}
