import type { CaRow } from "../../store/ca.repo.js";
import type { ProfileRow, TemplateRow } from "../../store/cert.repo.js";
import type { ProfileCounts } from "../../store/profile-stats.repo.js";
import { estConfigView } from "../est/settings.js";

/** defaults.ttl in whole days (Infisical's defaultTtlDays), when it is one; null otherwise. */
export function ttlDays(ttl: unknown): number | null {
  const m = typeof ttl === "string" ? /^(\d+)([dwy])$/.exec(ttl) : null;
  return m ? Number(m[1]) * { d: 1, w: 7, y: 365 }[m[2] as "d" | "w" | "y"] : null;
}

/** The API view of a profile row: Infisical's columns (G2), Stamp's fields beside them. */
export function profileView(p: ProfileRow, publicUrl = "") {
  const acme = p.acme_config;
  return {
    id: p.id,
    projectId: p.project_id,
    slug: p.slug,
    description: p.description,
    caId: p.ca_id ?? p.external_ca_id,
    certificatePolicyId: p.template_id,
    templateId: p.template_id,
    // Infisical has one enrollment type per profile; a Stamp profile with ACME reads as an ACME one.
    enrollmentType: p.enrollment_methods.includes("acme") ? ("acme" as const) : p.enrollment_methods.includes("est") ? ("est" as const) : ("api" as const),
    enrollmentMethods: p.enrollment_methods,
    issuerType: p.issuer_type,
    // Stamp keeps the enrollment settings in the profile itself: no separate config rows.
    estConfigId: null,
    apiConfigId: null,
    acmeConfigId: null,
    externalConfigs: null,
    defaultTtlDays: ttlDays(p.defaults.ttl),
    defaults: p.defaults,
    apiConfig: p.api_config,
    acmeConfig: acme ? { ...acme, directoryUrl: `${publicUrl}/api/v1/cert-manager/acme/profiles/${p.id}/directory`, skipEabBinding: !acme.eabRequired, skipDnsOwnershipVerification: false } : null,
    estConfig: estConfigView(p.id, p.enrollment_methods.includes("est"), p.est_config, publicUrl),
    createdAt: new Date(p.created_at).toISOString(),
    updatedAt: new Date(p.updated_at).toISOString(),
  };
}

/** GET …/:id: the profile with its CA and policy, as Infisical nests them. */
export function profileDetailView(p: ProfileRow, ca: CaRow | undefined, template: TemplateRow | undefined, publicUrl: string) {
  return {
    ...profileView(p, publicUrl),
    certificateAuthority: ca ? { id: ca.id, projectId: ca.project_id, status: ca.status, name: ca.name, isExternal: false, externalType: null } : null,
    certificatePolicy: template ? { id: template.id, projectId: template.project_id, name: template.name, description: template.description } : null,
  };
}

/** Infisical's metrics of a profile's certificates. */
export function metricsView(c: ProfileCounts | undefined) {
  return { totalCertificates: c?.total ?? 0, activeCertificates: c?.active ?? 0, expiredCertificates: c?.expired ?? 0, expiringCertificates: c?.expiring ?? 0, revokedCertificates: c?.revoked ?? 0 };
}
