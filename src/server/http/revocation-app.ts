import Fastify, { type FastifyInstance, type FastifyServerOptions } from "fastify";
import { serializerCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { caIssuersRoute } from "./ca.routes.js";
import { crlPublicRoutes } from "./crl.routes.js";
import { ocspRoutes } from "./ocsp.routes.js";
import { errorHandler, frameworkErrorHandler, notFoundHandler, zodValidatorCompiler } from "./problem.js";
import type { Services } from "./services.js";

/**
 * The plain-HTTP listener (--http-listen): CRLs, OCSP and CA certificates only, the URLs
 * certificates carry. RFC 5280 §4.2.1.13 and §4.2.2.1 expect http:// there (fetching them over
 * TLS would need the very revocation data being fetched), and OpenSSL, GnuTLS and nginx refuse
 * https:// ones. Everything else answers 404, so no token or key ever crosses plain HTTP.
 */
export async function buildRevocationApp(services: Services, opts: { logger: FastifyServerOptions["logger"] }): Promise<FastifyInstance> {
  const app = Fastify({ logger: opts.logger, bodyLimit: 1024 * 1024, trustProxy: false, routerOptions: { maxParamLength: 200 }, frameworkErrors: frameworkErrorHandler } as FastifyServerOptions).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(zodValidatorCompiler as never);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.removeContentTypeParser("text/plain");
  await app.register(crlPublicRoutes(services));
  await app.register(ocspRoutes(services));
  await app.register(caIssuersRoute(services));
  return app;
}
