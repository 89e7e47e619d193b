import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import * as c from "../../contract/audit.js";
import type { Services } from "./services.js";

/** The server-wide audit log (server admins). */
export function auditRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/api/v1/audit-log",
      { schema: { tags: ["audit"], summary: "The whole audit log with its hash chain (server admins): every project, logins and refusals", querystring: c.serverAuditQuery, response: { 200: c.serverAuditPage } } },
      (req) => s.auditLog.listServer(req.ctx, req.query),
    );
  };
}
