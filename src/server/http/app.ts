import type { FastifyInstance, FastifyServerOptions } from "fastify";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import { jsonSchemaTransform } from "fastify-type-provider-zod";
import { registerAuth, type Authenticator } from "./auth.plugin.js";
import { authRoutes } from "./auth.routes.js";
import { sessionRoutes } from "./session.routes.js";
import { createWebUi } from "./web-ui.js";
import { projectRoutes } from "./projects.routes.js";
import { caRoutes } from "./ca.routes.js";
import { externalCaRoutes } from "./external-ca.routes.js";
import { policyRoutes } from "./policies.routes.js";
import { profileRoutes } from "./profiles.routes.js";
import { certificateRoutes } from "./certificates.routes.js";
import { certificateRequestRoutes } from "./certificate-requests.routes.js";
import { crlRoutes } from "./crl.routes.js";
import { ocspRoutes } from "./ocsp.routes.js";
import { acmeRoutes } from "./acme.routes.js";
import { estManagementRoutes, estRoutes } from "./est/index.js";
import { alertRoutes } from "./alerts.routes.js";
import { auditRoutes } from "./audit.routes.js";
import { backupRoutes } from "./backup.routes.js";
import { reconciliationRoutes } from "./reconciliation.routes.js";
import { scepRoutes } from "./scep/scep.routes.js";
import { registerRefusalAudit } from "./refusal-audit.js";
import type { Services } from "./services.js";
import type { ConnectionLimits } from "./connections.js";
import { baseApp } from "./base-app.js";

/** Options for the HTTP front end. */
export interface AppOptions {
  logger: FastifyServerOptions["logger"];
  https?: { cert: string; key: string } | null;
  bodyLimitBytes: number;
  publicUrl: string;
  /** Header/request/keep-alive timeouts and connections per address (defaults: config.ts). */
  limits: ConnectionLimits;
}

/** Builds the Fastify app: transport only — schemas, auth, routes, problem+json errors, the web UI. */
export async function buildApp(services: Services, auth: Authenticator, opts: AppOptions): Promise<FastifyInstance> {
  const ui = createWebUi();
  const app = baseApp({ ...opts, notFound: ui.notFound });

  await app.register(swagger, {
    openapi: {
      openapi: "3.0.3",
      info: { title: "Stamp API", version: "1", description: "Private certificate authority and certificate lifecycle server." },
      servers: [{ url: opts.publicUrl }],
      components: { securitySchemes: { bearer: { type: "http", scheme: "bearer" } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: "/api/docs" });

  registerAuth(app, auth);
  registerRefusalAudit(app, services);

  app.get("/healthz", { schema: { hide: true } }, async () => ({ status: "ok" }));
  app.get("/readyz", { schema: { hide: true } }, async (_req, reply) => {
    // Every dependency by name; `reason` joins what is failing (kept for existing probes).
    const checks = await services.health.checks();
    const failing = checks.filter((c) => !c.ok);
    if (!failing.length) return reply.code(200).send({ status: "ready", checks });
    return reply.code(503).send({ status: "not ready", reason: failing.map((c) => c.detail).join("; "), checks });
  });

  await app.register(authRoutes(services));
  await app.register(sessionRoutes(services));
  await app.register(projectRoutes(services));
  await app.register(caRoutes(services));
  await app.register(externalCaRoutes(services));
  await app.register(policyRoutes(services));
  await app.register(profileRoutes(services));
  await app.register(certificateRoutes(services));
  await app.register(certificateRequestRoutes(services));
  await app.register(crlRoutes(services));
  await app.register(ocspRoutes(services));
  await app.register(acmeRoutes(services, opts.publicUrl));
  await app.register(estRoutes(services));
  await app.register(estManagementRoutes(services));
  await app.register(alertRoutes(services));
  await app.register(auditRoutes(services));
  await app.register(backupRoutes(services));
  await app.register(reconciliationRoutes(services));
  await app.register(scepRoutes(services));
  ui.register(app);
  return app;
}
