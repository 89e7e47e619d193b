import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from "fastify";
import { serializerCompiler, type ZodTypeProvider } from "fastify-type-provider-zod";
import { errorHandler, frameworkErrorHandler, notFoundHandler, zodValidatorCompiler } from "./problem.js";
import { registerSecurityHeaders } from "./security-headers.js";
import { registerRequestId, requestLogOptions } from "./request-log.js";
import { answerPlainHttpOnTls, limitConnectionsPerAddress, serverOptions, tlsOptions, type ConnectionLimits } from "./connections.js";

/** What every Stamp listener shares: the logger, TLS (or none), body size, client bounds. */
export interface BaseAppOptions {
  logger: FastifyServerOptions["logger"];
  https?: { cert: string; key: string } | null;
  bodyLimitBytes: number;
  limits: ConnectionLimits;
  /** What answers a request no route matches (default: the problem+json 404). */
  notFound?: (req: FastifyRequest, reply: FastifyReply) => unknown;
  /** The URL to name when a plain-HTTP request reaches the HTTPS listener. */
  publicUrl?: string;
}

/**
 * A Fastify app with the house transport rules, for the API listener and the plain-HTTP
 * revocation listener alike: zod validation, problem+json errors, security headers, bounded
 * client time and connections per address, JSON bodies only.
 */
export function baseApp(opts: BaseAppOptions) {
  const app = Fastify({
    logger: opts.logger,
    ...requestLogOptions(),
    bodyLimit: opts.bodyLimitBytes,
    // Client certificates are asked for, never required: EST clients may authenticate with one (RFC 7030 §3.3.2), checked per profile in ra/est.
    https: opts.https ? { ...opts.https, ...tlsOptions(opts.limits), ...serverOptions(opts.limits), requestCert: true, rejectUnauthorized: false } : null,
    http: serverOptions(opts.limits),
    requestTimeout: opts.limits.requestTimeoutMs,
    keepAliveTimeout: opts.limits.keepAliveTimeoutMs,
    trustProxy: false,
    routerOptions: { maxParamLength: 200 },
    frameworkErrors: frameworkErrorHandler,
  } as FastifyServerOptions).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(zodValidatorCompiler as never);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(opts.notFound ?? notFoundHandler);
  registerSecurityHeaders(app, { tls: !!opts.https });
  registerRequestId(app);
  limitConnectionsPerAddress(app.server, opts.limits.maxConnectionsPerAddress);
  if (opts.https) answerPlainHttpOnTls(app.server, () => opts.publicUrl ?? "https://");
  // JSON only: a text/plain body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser("text/plain");
  return app as unknown as FastifyInstance & ReturnType<FastifyInstance["withTypeProvider"]>;
}
