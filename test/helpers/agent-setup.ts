import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestServer } from "./harness.js";

const CA = "/api/v1/cert-manager/ca/internal";

/** What `stamp agent` needs on the server: a root CA, a profile, and a machine identity with a client secret. */
export interface AgentFixture {
  dir: string;
  rootPem: string;
  profileSlug: string;
  profileId: string;
  clientId: string;
  secretFile: string;
}

async function ok<T = any>(p: Promise<{ status: number; body: T }>): Promise<T> {
  const r = await p;
  if (r.status !== 200) throw new Error(`HTTP ${r.status}: ${JSON.stringify(r.body)}`);
  return r.body;
}

/** Sets up CA → template → profile → identity (role member) → client secret, written to a file in a temp dir. */
export async function agentFixture(s: TestServer, slug = "agent-web"): Promise<AgentFixture> {
  const t = s.adminToken;
  const projectId = s.defaultProjectId;
  const root = await ok(s.api("POST", CA, { token: t, body: { projectId, name: `${slug}-root`, configuration: { type: "root", commonName: `Agent Root ${slug}`, keyAlgorithm: "EC_prime256v1" } } }));
  const tpl = await ok(s.api("POST", "/api/v1/cert-manager/certificate-templates", {
    token: t,
    body: { projectId, name: `${slug}-tpl`, preset: "tls-server", subject: [{ type: "common_name", allowed: ["*.acme.test", "localhost"] }], sans: [{ type: "dns_name", allowed: ["*.acme.test", "localhost"] }, { type: "ip_address", allowed: ["127.0.0.1"] }], validity: { max: "365d" } },
  }));
  const prof = await ok(s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId, slug, templateId: tpl.certificateTemplate.id, caId: root.id, defaults: { ttl: "30d" } } }));
  const ident = await ok(s.api("POST", "/api/v1/identities", { token: t, body: { projectId, name: `${slug}-agent`, role: "member" } }));
  const sec = await ok(s.api("POST", `/api/v1/identities/${ident.identity.id}/universal-auth/client-secrets`, { token: t, body: { description: "agent" } }));
  const rootPem = (await ok(s.api("GET", `${CA}/${root.id}/certificate`, { token: t }))).certificate as string;
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-agent-"));
  const secretFile = path.join(dir, "client-secret");
  writeFileSync(secretFile, `${sec.clientSecret}\n`, { mode: 0o600 });
  return { dir, rootPem, profileSlug: slug, profileId: prof.certificateProfile.id, clientId: ident.identity.clientId, secretFile };
}

/** An agent config in YAML (JSON is YAML) for one certificate; `cert` overrides the certificate entry. */
export function agentYaml(o: { server: string; fx: AgentFixture; interval?: string; cert?: Record<string, unknown>; top?: Record<string, unknown> }): string {
  const cert = {
    name: "web",
    profile: o.fx.profileSlug,
    commonName: "web.acme.test",
    altNames: ["dns:web.acme.test"],
    files: { certificate: "out/web.pem", chain: "out/chain.pem", fullChain: "out/fullchain.pem", privateKey: "out/web.key" },
    ...o.cert,
  };
  return JSON.stringify({ server: o.server, auth: { clientId: o.fx.clientId, clientSecretFile: o.fx.secretFile }, interval: o.interval ?? "5m", certificates: [cert], ...o.top }, null, 2);
}
