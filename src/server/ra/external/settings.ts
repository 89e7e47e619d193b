import type { ExternalAcmeConfig } from "../../store/schema.js";
import type { ExternalCaRow } from "../../store/external-ca.repo.js";
import type { AcmeCaSettings, ExternalDeps, ExternalSecrets } from "./ports.js";

/** The additional data every external CA's sealed secrets are bound to. */
export const secretsAad = (id: string) => `external-ca:${id}`;

/** Seals an external CA's secrets. */
export function sealSecrets(deps: Pick<ExternalDeps, "secrets">, id: string, s: ExternalSecrets): unknown {
  return deps.secrets.seal(new TextEncoder().encode(JSON.stringify(s)), secretsAad(id));
}

/** Opens an external CA's secrets. */
export function openSecrets(deps: Pick<ExternalDeps, "secrets">, row: Pick<ExternalCaRow, "id" | "secrets_sealed">): ExternalSecrets {
  return JSON.parse(new TextDecoder().decode(deps.secrets.open(row.secrets_sealed, secretsAad(row.id)))) as ExternalSecrets;
}

/** The VA's view of a CA: stored settings plus opened secrets. */
export function settingsOf(cfg: ExternalAcmeConfig, s: ExternalSecrets, accountUrl: string | null): AcmeCaSettings {
  const solver = cfg.dnsSolver.type === "rfc2136" ? { ...cfg.dnsSolver, secret: s.tsigSecret ?? "" } : cfg.dnsSolver;
  return {
    directoryUrl: cfg.directoryUrl,
    accountEmail: cfg.accountEmail,
    accountKeyPem: s.accountKey,
    accountUrl,
    eab: cfg.eabKid && s.eabHmacKey ? { kid: cfg.eabKid, hmacKey: s.eabHmacKey } : null,
    trustBundle: cfg.trustBundle,
    solver,
    propagationTimeoutSeconds: cfg.propagationTimeoutSeconds,
  };
}

/** An ACME CA as the API answers it (no secret). */
export function acmeCaView(r: ExternalCaRow, hasTsigSecret: boolean) {
  const c = r.configuration;
  const dnsSolver = c.dnsSolver.type === "rfc2136" ? { ...c.dnsSolver, type: "rfc2136" as const, algorithm: c.dnsSolver.algorithm as "hmac-sha256", hasSecret: hasTsigSecret } : c.dnsSolver;
  return {
    id: r.id,
    type: "acme" as const,
    status: r.status,
    name: r.name,
    projectId: r.project_id,
    enableDirectIssuance: false,
    configuration: { directoryUrl: c.directoryUrl, accountEmail: c.accountEmail, accountUrl: r.account_url, eabKid: c.eabKid, dnsSolver, trustBundle: c.trustBundle, propagationTimeoutSeconds: c.propagationTimeoutSeconds },
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}
