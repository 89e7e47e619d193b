import { timingSafeEqual, createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { errors } from "../../errors.js";
import type { Metrics } from "../metrics/metrics.js";

/**
 * `GET /metrics` in Prometheus text format, for a scraper sending `Authorization: Bearer
 * <--metrics-token>`; 404 while no token is configured. Every request's duration is observed by
 * route pattern (bounded labels, never the raw URL), and OCSP answers are counted in ocsp.routes.
 */
export function registerMetrics(app: FastifyInstance, metrics: Metrics, token: string | null): void {
  app.addHook("onResponse", async (req, reply) => {
    const route = req.routeOptions.url ?? "unmatched";
    metrics.httpRequest(route, req.method, reply.statusCode, reply.elapsedTime / 1000);
  });
  const want = token ? createHash("sha256").update(token).digest() : null;
  app.get("/metrics", { schema: { hide: true } }, async (req, reply) => {
    if (!want) throw errors.notFound("Metrics (start the server with --metrics-token to turn them on)");
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    const given = m ? createHash("sha256").update(m[1]).digest() : null;
    if (!given || !timingSafeEqual(given, want)) throw errors.unauthenticated("/metrics needs Authorization: Bearer <the --metrics-token value>.");
    const out = await metrics.render();
    return reply.type(out.contentType).header("cache-control", "no-store").send(out.body);
  });
}
