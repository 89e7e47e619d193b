import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { baseApp } from "./base-app.js";
import type { ConnectionLimits } from "./connections.js";
import { caIssuersRoute } from "./ca.routes.js";
import { crlPublicRoutes } from "./crl.routes.js";
import { ocspRoutes } from "./ocsp.routes.js";
import type { Services } from "./services.js";

/**
 * The plain-HTTP listener (--http-listen): CRLs, OCSP and CA certificates only, the URLs
 * certificates carry. RFC 5280 §4.2.1.13 and §4.2.2.1 expect http:// there (fetching them over
 * TLS would need the very revocation data being fetched), and OpenSSL, GnuTLS and nginx refuse
 * https:// ones. Everything else answers 404, so no token or key ever crosses plain HTTP.
 */
export async function buildRevocationApp(services: Services, opts: { logger: FastifyServerOptions["logger"]; limits: ConnectionLimits }): Promise<FastifyInstance> {
  // OCSP requests are small: 64 KiB is plenty.
  const app = baseApp({ logger: opts.logger, https: null, bodyLimitBytes: 64 * 1024, limits: opts.limits });
  await app.register(crlPublicRoutes(services));
  await app.register(ocspRoutes(services));
  await app.register(caIssuersRoute(services));
  return app;
}
