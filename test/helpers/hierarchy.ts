import type { TestServer } from "./harness.js";

const CA = "/api/v1/cert-manager/ca/internal";

/** A root, an intermediate under it, and a profile over a tls-server template on the intermediate. */
export interface Hierarchy {
  rootId: string;
  intId: string;
  rootPem: string;
  intPem: string;
  profileId: string;
}

/**
 * Creates the usual EC P-256 test hierarchy in the server's default project: CAs `<slug>-root`
 * ("<label> Root") and `<slug>-int` ("<label> Issuing"), template `<slug>-tpl`, profile `<slug>`.
 */
export async function createHierarchy(s: TestServer, slug: string, label: string): Promise<Hierarchy> {
  const t = s.adminToken;
  const p = s.defaultProjectId;
  const root = await s.api("POST", CA, { token: t, body: { projectId: p, name: `${slug}-root`, configuration: { type: "root", commonName: `${label} Root`, keyAlgorithm: "EC_prime256v1" } } });
  const int = await s.api("POST", CA, { token: t, body: { projectId: p, name: `${slug}-int`, configuration: { type: "intermediate", commonName: `${label} Issuing`, keyAlgorithm: "EC_prime256v1", parentCaId: root.body.id } } });
  const rootPem = (await s.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body.certificate;
  const intPem = (await s.api("GET", `${CA}/${int.body.id}/certificate`, { token: t })).body.certificate;
  const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: `${slug}-tpl`, preset: "tls-server" } });
  const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug, templateId: tpl.body.certificateTemplate.id, caId: int.body.id } });
  if (prof.status !== 200) throw new Error(`test hierarchy ${slug}: ${JSON.stringify(prof.body)}`);
  return { rootId: root.body.id, intId: int.body.id, rootPem, intPem, profileId: prof.body.certificateProfile.id };
}
