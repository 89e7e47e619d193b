import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import * as c from "../../contract/reconciliation.js";
import type { Services } from "./services.js";

/** Crash reconciliation's report (server admins). */
export function reconciliationRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(
      "/api/v1/reconciliation",
      { schema: { tags: ["operations"], summary: "After a crash: open and abandoned signing records, and certificates whose answer was never confirmed written (server admins)", response: { 200: c.reconciliationView } } },
      (req) => s.reconciliation.view(req.ctx),
    );
  };
}
