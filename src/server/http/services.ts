import type { RequestContext } from "../ra/context.js";
import type { createProjects } from "../ra/projects.js";
import type { createIdentities } from "../ra/identities.js";
import type { createUsers } from "../ra/users.js";
import type { createSessions } from "../ra/auth/sessions.js";
import type { createAuditLog } from "../ra/audit-log.js";
import type { createCaService } from "../ra/cas/service.js";
import type { createTemplates } from "../ra/certs/templates.js";
import type { createProfiles } from "../ra/certs/profiles.js";
import type { createProfileCertificates } from "../ra/certs/profile-certificates.js";
import type { createCertificates } from "../ra/certs/certificates.js";
import type { createCertificateInventory } from "../ra/certs/inventory.js";
import type { createCertificateRequests } from "../ra/certs/certificate-requests.js";
import type { createCrls } from "../ra/revocation/crls.js";
import type { createOcsp } from "../ra/revocation/ocsp.js";
import type { createAcme } from "../ra/acme/service.js";
import type { createAlertRules } from "../ra/alerts/rules.js";
import type { createIdempotency } from "../ra/idempotency.js";
import type { createBackup } from "../ra/backup.js";
import type { createReconciliation } from "../ra/reconcile.js";
import type { createEst } from "../ra/est/service.js";
import type { createEstSettings } from "../ra/est/settings.js";
import type { createAcmeCas } from "../ra/external/acme-cas.js";
import type { Scep } from "../ra/scep/service.js";

/** The use cases the HTTP layer calls; compose.ts builds them. */
export interface Services {
  login: {
    user(ctx: RequestContext, email: string, password: string): Promise<{ accessToken: string; expiresIn: number; tokenType: "Bearer" }>;
    identity(ctx: RequestContext, clientId: string, clientSecret: string): Promise<{ accessToken: string; expiresIn: number; tokenType: "Bearer" }>;
  };
  sessions: ReturnType<typeof createSessions>;
  users: ReturnType<typeof createUsers>;
  projects: ReturnType<typeof createProjects>;
  identities: ReturnType<typeof createIdentities>;
  auditLog: ReturnType<typeof createAuditLog>;
  cas: ReturnType<typeof createCaService>;
  acmeCas: ReturnType<typeof createAcmeCas>;
  templates: ReturnType<typeof createTemplates>;
  profiles: ReturnType<typeof createProfiles>;
  profileCertificates: ReturnType<typeof createProfileCertificates>;
  certificates: ReturnType<typeof createCertificates>;
  certificateInventory: ReturnType<typeof createCertificateInventory>;
  certificateRequests: ReturnType<typeof createCertificateRequests>;
  idempotency: ReturnType<typeof createIdempotency>;
  reconciliation: ReturnType<typeof createReconciliation>;
  crls: ReturnType<typeof createCrls>;
  ocsp: ReturnType<typeof createOcsp>;
  acme: ReturnType<typeof createAcme>;
  est: ReturnType<typeof createEst>;
  estSettings: ReturnType<typeof createEstSettings>;
  alerts: ReturnType<typeof createAlertRules>;
  /** Readiness, one check per dependency (the database; the embedded store's disk). */
  health: { checks(): Promise<ReadinessCheck[]> };
  backup: ReturnType<typeof createBackup>;
  scep: Scep;
}

/** One dependency's state for /readyz: `detail` says what was seen, in words. */
export interface ReadinessCheck {
  name: "database" | "disk";
  ok: boolean;
  detail: string;
}
