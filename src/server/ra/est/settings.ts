import { errors, isStampError, type Violation } from "../../../errors.js";
import type { ReposOf, Transactional } from "../../shared-types.js";
import { parseCertificate } from "../../../pki/certificate-parse.js";
import { pemBlocks } from "../../../pki/pem.js";
import type { EstConfig } from "../../store/schema.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext, Runtime } from "../context.js";
import { estBaseUrl } from "./deps.js";
import { hashChosenPassphrase, newPassphrase } from "./passphrase.js";

/** estConfig as the profile API takes it: a passphrase to set, the bootstrap chain (null removes either). */
export interface EstConfigInput {
  passphrase?: string | null;
  caChain?: string | null;
}

const MAX_CHAIN = 20;

/** Violations of a bootstrap CA chain: PEM certificates, each a CA (RFC 5280 §4.2.1.9), at most 20. */
export function checkBootstrapChain(pem: string, field = "estConfig.caChain"): Violation[] {
  let blocks;
  try {
    blocks = pemBlocks(pem).filter((b) => b.label === "CERTIFICATE");
  } catch (e) {
    if (isStampError(e)) return [{ field, code: "invalid_pem", message: e.message }];
    throw e;
  }
  if (!blocks.length) return [{ field, code: "no_certificates", message: "The bootstrap CA chain must hold PEM certificates (-----BEGIN CERTIFICATE-----)." }];
  if (blocks.length > MAX_CHAIN) return [{ field, code: "too_many", message: `At most ${MAX_CHAIN} certificates.`, value: blocks.length }];
  const v: Violation[] = [];
  blocks.forEach((b, i) => {
    try {
      const c = parseCertificate(b.der);
      if (!c.isCa) v.push({ field: `${field}[${i}]`, code: "not_a_ca", message: `"${c.subjectText}" is not a CA certificate; a bootstrap chain holds the CAs that issue client certificates.` });
    } catch (e) {
      if (!isStampError(e)) throw e;
      v.push({ field: `${field}[${i}]`, code: "unparseable", message: e.message });
    }
  });
  return v;
}

/** The next EST settings of a profile from `input` (hashing a chosen passphrase; do it outside transactions). */
export async function nextEstConfig(current: EstConfig | null, input: EstConfigInput): Promise<EstConfig> {
  const next: EstConfig = { passphraseHash: current?.passphraseHash ?? null, bootstrapCaChain: current?.bootstrapCaChain ?? null };
  if (input.passphrase !== undefined) next.passphraseHash = input.passphrase === null ? null : await hashChosenPassphrase(input.passphrase);
  if (input.caChain !== undefined) next.bootstrapCaChain = input.caChain === null ? null : input.caChain;
  return next;
}

/** The API view of a profile's EST settings: never the passphrase or its hash. */
export function estConfigView(profileId: string, enabled: boolean, c: EstConfig | null, publicUrl: string) {
  if (!enabled && !c) return null;
  return { baseUrl: estBaseUrl(publicUrl, profileId), passphraseSet: !!c?.passphraseHash, caChain: c?.bootstrapCaChain ?? null, disableBootstrapCaValidation: false };
}

/** The repositories these use cases call. */
export type EstSettingsRepos = ReposOf<{ cert: "profileById" | "setEstConfig"; identity: "membership"; misc: "audit"; }>;
/** The store as these use cases see it. */
export type EstSettingsStore = EstSettingsRepos & Transactional<EstSettingsRepos>;

/** Rotating a profile's EST passphrase: a new random one, shown once. */
export function createEstSettings(deps: { store: EstSettingsStore; rt: Runtime; publicUrl: string }) {
  const { store, rt } = deps;
  return {
    /** Makes (or, with `chosen`, sets) the profile's EST passphrase; the old one stops working at once. Admins. */
    async rotatePassphrase(ctx: RequestContext, profileId: string, chosen?: string) {
      const p = await store.cert.profileById(profileId);
      if (!p) throw errors.notFound("Certificate profile", profileId);
      await requireRole(store, ctx, p.project_id, "admin", { type: "Certificate profile", id: profileId });
      const made = chosen === undefined ? newPassphrase(rt.random) : null;
      const hash = made ? made.hash : await hashChosenPassphrase(chosen!);
      const next: EstConfig = { passphraseHash: hash, bootstrapCaChain: p.est_config?.bootstrapCaChain ?? null };
      await store.transaction(async (tx) => {
        await tx.cert.setEstConfig(p.id, next);
        await audit(tx, rt, ctx, { projectId: p.project_id, action: "profile.est.passphrase", objectType: "certificate-profile", objectId: p.id, outcome: "success", detail: { generated: !!made } });
      });
      return { passphrase: made?.passphrase ?? null, baseUrl: estBaseUrl(deps.publicUrl, p.id), enabled: p.enrollment_methods.includes("est") };
    },
  };
}
