/** The CA setup the issuance benchmarks share, made through Stamp's REST API: root → intermediate → tls-server template → profile. */
import type { Reply } from "./server.js";

const CA = "/api/v1/cert-manager/ca/internal";

/** One JSON request to a bench server (already authenticated). */
export type Api = (method: string, p: string, body?: unknown) => Promise<Reply>;

/** What a benchmark needs to issue and check: the profile and the root to verify against. */
export interface BenchHierarchy {
  profileId: string;
  rootPem: string;
}

/**
 * A root and an intermediate (both `keyAlgorithm`, e.g. EC_prime256v1 or RSA_2048), a template from
 * the tls-server preset allowing CN and DNS `*.bench.test`, and a profile `<slug>` on the intermediate.
 */
export async function createBenchHierarchy(api: Api, projectId: string, slug: string, keyAlgorithm: string): Promise<BenchHierarchy> {
  const must = async (method: string, p: string, body?: unknown) => {
    const r = await api(method, p, body);
    if (r.status !== 200) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const root = await must("POST", CA, { projectId, name: `${slug}-root`, configuration: { type: "root", commonName: `${slug} Root`, organization: "Bench", keyAlgorithm } });
  const int = await must("POST", CA, { projectId, name: `${slug}-int`, configuration: { type: "intermediate", commonName: `${slug} Issuing`, organization: "Bench", keyAlgorithm, parentCaId: root.id } });
  const tpl = await must("POST", "/api/v1/cert-manager/certificate-templates", {
    projectId, name: `${slug}-tpl`, preset: "tls-server",
    subject: [{ type: "common_name", allowed: ["*.bench.test"] }], sans: [{ type: "dns_name", allowed: ["*.bench.test"] }], validity: { max: "1y" },
  });
  const prof = await must("POST", "/api/v1/cert-manager/certificate-profiles", { projectId, slug, templateId: tpl.certificateTemplate.id, caId: int.id, defaults: { ttl: "30d" } });
  const rootPem = (await must("GET", `${CA}/${root.id}/certificate`)).certificate as string;
  return { profileId: prof.certificateProfile.id, rootPem };
}
