import type { FastifyInstance } from "fastify";
import { StampError } from "../../errors.js";
import type { Services } from "./services.js";

/**
 * Audits every refused request once, here, instead of in each use case (docs/security.md,
 * "Refusals"): a 403, or a 404 that hid another project's object (the use case marks those
 * with `refusal`). ACME's own protocol errors (orderNotReady…) are not refusals. The action
 * is the route, e.g. `DELETE /api/v1/cert-manager/ca/internal/:id`. A failed write is logged
 * and the caller still gets its answer.
 */
export function registerRefusalAudit(app: FastifyInstance, s: Pick<Services, "auditLog">) {
  app.addHook("onError", async (req, _reply, err) => {
    if (!(err instanceof StampError)) return;
    if (!err.refusal && (err.kind !== "forbidden" || err.acmeType)) return;
    const action = `${req.method} ${req.routeOptions.url ?? req.url.split("?")[0].slice(0, 200)}`;
    try {
      await s.auditLog.recordRefusal(req.ctx, action, err.refusal, err.message);
    } catch (e) {
      req.log.error({ err: e }, "could not audit a refused request");
    }
  });
}
