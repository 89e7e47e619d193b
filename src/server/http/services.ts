import type { RequestContext } from "../ra/context.js";
import type { createProjects } from "../ra/projects.js";
import type { createIdentities } from "../ra/identities.js";
import type { createUsers } from "../ra/users.js";
import type { createAuditLog } from "../ra/audit-log.js";
import type { createCaService } from "../ra/cas/service.js";

/** The use cases the HTTP layer calls; compose.ts builds them. */
export interface Services {
  login: {
    user(ctx: RequestContext, email: string, password: string): Promise<{ accessToken: string; expiresIn: number; tokenType: "Bearer" }>;
    identity(ctx: RequestContext, clientId: string, clientSecret: string): Promise<{ accessToken: string; expiresIn: number; tokenType: "Bearer" }>;
  };
  users: ReturnType<typeof createUsers>;
  projects: ReturnType<typeof createProjects>;
  identities: ReturnType<typeof createIdentities>;
  auditLog: ReturnType<typeof createAuditLog>;
  cas: ReturnType<typeof createCaService>;
  health: { ready(): Promise<boolean> };
}
