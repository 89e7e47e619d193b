import { errors, type Violation } from "../../../errors.js";
import type { ReposOf, Transactional } from "../../shared-types.js";
import { checkDefaults } from "../../../policy/issuance.js";
import type { ProfileRow } from "../../store/cert.repo.js";
import type { AcmeConfig } from "../../store/schema.js";
import type { Store } from "../../store/store.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext, Runtime } from "../context.js";
import { compileTemplate } from "./templates.js";
import { isEmptyPatch, mergePatch, withoutNulls } from "../merge-patch.js";
import { renewalWindowViolation } from "../../../policy/renewal-window.js";
import { parseDuration } from "../../../policy/duration.js";
import { readProfileAliases, type ProfileBody } from "./profile-input.js";
import { nextEstConfig } from "../est/settings.js";
import { metricsView, profileDetailView, profileView } from "./profile-view.js";
import { challengeHashOf, putScepSettings, scepConfigView } from "../scep/settings.js";

/** A certificate counts as expiring in the profile metrics when it ends within this many days. */
export const EXPIRING_DAYS = 30;

/** What a profile is made of, as the API sends it. */
export interface ProfileInput {
  slug: string;
  description?: string;
  templateId: string;
  issuerType: "ca" | "self-signed";
  caId?: string;
  enrollmentMethods: string[];
  defaults: Record<string, unknown>;
  apiConfig: { autoRenew: boolean; renewBeforeDays: number | null };
  acmeConfig?: AcmeConfig;
}

/** PATCH …/certificate-profiles/:id: absent fields stay; nested objects merge (merge-patch.ts). */
export interface ProfilePatch {
  slug?: string;
  description?: string;
  templateId?: string;
  caId?: string;
  enrollmentMethods?: string[];
  defaults?: Record<string, unknown>;
  apiConfig?: Partial<ProfileInput["apiConfig"]>;
  acmeConfig?: Partial<AcmeConfig>;
}

/** Defaults of the acme enrollment method. */
export const DEFAULT_ACME_CONFIG: AcmeConfig = { eabRequired: true, challengeTypes: ["http-01", "dns-01", "tls-alpn-01"], orderLifetimeSeconds: 86400, authorizationLifetimeSeconds: 86400 };

/** The repositories these use cases call. */
export type ProfilesRepos = ReposOf<{ ca: "caById"; cert: "profileById" | "profilesOf" | "templateById" | "deleteProfile" | "insertProfile" | "setEstConfig" | "updateProfile"; external: "caById" | "setProfileCa"; profileStats: "counts"; scep: "settings" | "putSettings"; identity: "membership"; misc: "audit"; }>;
/** The store as these use cases see it. */
export type ProfilesStore = ProfilesRepos & Transactional<ProfilesRepos> & Pick<Store, "isUniqueViolation">;

/** Certificate profiles: template + issuer + enrollment methods + defaults. */
export function createProfiles(deps: { store: ProfilesStore; rt: Runtime; publicUrl: string }) {
  const { store, rt } = deps;
  const view = (p: ProfileRow) => profileView(p, deps.publicUrl);
  const detail = async (p: ProfileRow) => ({
    ...profileDetailView(p, p.ca_id ? await store.ca.caById(p.ca_id) : undefined, await store.cert.templateById(p.template_id), deps.publicUrl),
    scepConfig: p.enrollment_methods.includes("scep") ? scepConfigView(await store.scep.settings(p.id), p.id, deps.publicUrl) : null,
  });

  /** The external CA `caId` names in the project, if it names one (issue 11). */
  const externalOf = async (projectId: string, caId: string | undefined) => {
    const ext = caId ? await store.external.caById(caId) : undefined;
    return ext && ext.project_id === projectId ? ext : undefined;
  };

  /** Every rule a profile must meet against its project's template and CA. */
  async function check(projectId: string, p: ProfileInput): Promise<Violation[]> {
    const v: Violation[] = [];
    const t = await store.cert.templateById(p.templateId);
    if (!t || t.project_id !== projectId) v.push({ field: "templateId", code: "unknown_template", message: "No certificate template with this id in the project.", value: p.templateId });
    if (p.issuerType === "ca") {
      const ca = p.caId ? await store.ca.caById(p.caId) : undefined;
      const ext = await externalOf(projectId, p.caId);
      if (!p.caId) v.push({ field: "caId", code: "required", message: "issuerType ca needs caId, the CA that signs this profile's certificates." });
      else if (ext) {
        // An external CA is reached by Stamp's API only: ACME and EST clients cannot wait on a public CA's order.
        const others = p.enrollmentMethods.filter((m) => m !== "api");
        if (others.length) v.push({ field: "enrollmentType", code: "not_supported_by_ca", message: "A profile on an external CA issues through the API only.", value: others.join(", ") });
      } else if (!ca || ca.project_id !== projectId) v.push({ field: "caId", code: "unknown_ca", message: "No CA with this id in the project.", value: p.caId });
      else if (ca.status === "pending-certificate") v.push({ field: "caId", code: "ca_not_ready", message: "The CA is waiting for its certificate; import it first.", value: p.caId });
    } else if (p.caId) {
      v.push({ field: "caId", code: "not_allowed", message: "A self-signed profile has no CA; remove caId.", value: p.caId });
    }
    // Profile defaults must satisfy the template (checked on save).
    if (t && t.project_id === projectId) v.push(...checkDefaults(compileTemplate(t), p.defaults).map((x) => ({ ...x, field: x.field.replace(/^attributes\./, "defaults.") })));
    // RFC 8894 §2.2: SCEP needs an RA certificate, which the profile's CA issues.
    if (p.enrollmentMethods.includes("scep") && p.issuerType !== "ca") v.push({ field: "enrollmentMethods", code: "scep_needs_ca", message: "SCEP needs a CA-issued profile: its CA issues the SCEP RA certificate.", value: p.enrollmentMethods });
    if (p.apiConfig.autoRenew && !p.apiConfig.renewBeforeDays) v.push({ field: "apiConfig.renewBeforeDays", code: "required", message: "autoRenew needs renewBeforeDays (how many days before expiry to renew)." });
    // Auto-renewal must converge: the default lifetime and the template's longest one must outlive the window.
    const window = p.apiConfig.autoRenew ? p.apiConfig.renewBeforeDays : null;
    if (window) {
      const ttl = typeof p.defaults.ttl === "string" ? parseDuration(p.defaults.ttl) : null;
      const fromTtl = ttl && "ms" in ttl ? renewalWindowViolation(ttl.ms, window, "defaults.ttl", "The default ttl gives certificates") : null;
      const maxMs = t && t.project_id === projectId ? compileTemplate(t).validity.maxMs : undefined;
      const fromTemplate = maxMs !== undefined ? renewalWindowViolation(maxMs, window, "apiConfig.renewBeforeDays", "The template lets certificates live at most") : null;
      for (const x of [fromTtl, fromTemplate]) if (x) v.push(x);
    }
    return v;
  }
  async function load(ctx: RequestContext, id: string, need: "viewer" | "admin") {
    const p = await store.cert.profileById(id);
    if (!p) throw errors.notFound("Certificate profile", id);
    await requireRole(store, ctx, p.project_id, need, { type: "Certificate profile", id });
    return p;
  }
  /** Violations named by the field the caller wrote: certificatePolicyId when that alias was used. */
  const named = (v: Violation[], raw: ProfileBody) => (raw.certificatePolicyId && !raw.templateId ? v.map((x) => (x.field === "templateId" ? { ...x, field: "certificatePolicyId" } : x)) : v);
  const duplicate = (slug: string) => errors.conflict("The project already has a profile with this slug.", [{ field: "slug", code: "duplicate", message: "The project already has a profile with this slug.", value: slug }]);

  return {
    /** Creates a profile; its defaults must satisfy its template. */
    async create(ctx: RequestContext, raw: ProfileBody & { projectId: string; slug: string; description?: string; issuerType: "ca" | "self-signed"; caId?: string }) {
      await requireRole(store, ctx, raw.projectId, "admin", { type: "Project", id: raw.projectId });
      const read = readProfileAliases(raw, "create");
      const body: ProfileInput & { projectId: string } = {
        projectId: raw.projectId,
        slug: raw.slug,
        description: raw.description,
        templateId: read.templateId!,
        issuerType: raw.issuerType,
        caId: raw.caId,
        enrollmentMethods: read.enrollmentMethods ?? ["api"],
        defaults: read.defaults ?? {},
        apiConfig: { autoRenew: false, renewBeforeDays: null, ...read.apiConfig },
        acmeConfig: read.acmeConfig ? { ...DEFAULT_ACME_CONFIG, ...read.acmeConfig } : undefined,
      };
      const v = named(await check(body.projectId, body), raw);
      if (v.length) throw errors.validation("The profile breaks the rules; see violations.", v);
      const est = read.estConfig ? await nextEstConfig(null, read.estConfig) : undefined;
      const id = rt.uuid();
      const ext = await externalOf(body.projectId, body.caId);
      const challengeHash = await challengeHashOf(raw.scepConfig);
      try {
        await store.transaction(async (tx) => {
          await tx.cert.insertProfile({ ...body, id, description: body.description ?? "", caId: ext ? null : (body.caId ?? null), acmeConfig: body.enrollmentMethods.includes("acme") ? { ...DEFAULT_ACME_CONFIG, ...body.acmeConfig } : null });
          if (est) await tx.cert.setEstConfig(id, est);
          if (ext) await tx.external.setProfileCa(id, ext.id);
          if (body.enrollmentMethods.includes("scep")) await putScepSettings(tx, id, raw.scepConfig, challengeHash);
          await audit(tx, rt, ctx, { projectId: body.projectId, action: "profile.create", objectType: "certificate-profile", objectId: id, outcome: "success", detail: { slug: body.slug } });
        });
      } catch (e) {
        if (store.isUniqueViolation(e)) throw duplicate(body.slug);
        throw e;
      }
      return detail((await store.cert.profileById(id))!);
    },
    /** One profile, with its CA and template (Infisical's certificateAuthority and certificatePolicy). */
    async get(ctx: RequestContext, id: string) {
      return detail(await load(ctx, id, "viewer"));
    },
    /** A profile by its slug within a project. */
    async bySlug(ctx: RequestContext, projectId: string, slug: string) {
      await requireRole(store, ctx, projectId, "viewer", { type: "Project", id: projectId });
      const p = (await store.cert.profilesOf(projectId)).find((x) => x.slug === slug);
      if (!p) throw errors.notFound("Certificate profile", slug);
      return detail(p);
    },
    /** A page of a project's profiles with their certificate counts, and how many match in all. */
    async list(ctx: RequestContext, q: { projectId: string; offset: number; limit: number; search?: string; enrollmentType?: "api" | "est" | "acme"; issuerType?: "ca" | "self-signed"; caId?: string }) {
      const access = await requireRole(store, ctx, q.projectId, "viewer", { type: "Project", id: q.projectId });
      const term = q.search?.toLowerCase();
      // A membership narrowed to named profiles lists only those (the web UI shows what the caller may use).
      const all = (await store.cert.profilesOf(q.projectId)).filter(
        (p) =>
          (!access.profiles || access.profiles.includes(p.id) || access.profiles.includes(p.slug)) &&
          (!term || p.slug.includes(term) || p.description.toLowerCase().includes(term)) &&
          (!q.enrollmentType || view(p).enrollmentType === q.enrollmentType) &&
          (!q.issuerType || p.issuer_type === q.issuerType) &&
          (!q.caId || p.ca_id === q.caId || p.external_ca_id === q.caId),
      );
      const page = all.slice(q.offset, q.offset + q.limit);
      const now = rt.clock();
      const counts = await store.profileStats.counts(page.map((p) => p.id), now, new Date(now.getTime() + EXPIRING_DAYS * 86_400_000));
      return { profiles: page.map((p) => ({ ...view(p), metrics: metricsView(counts.get(p.id)) })), totalCount: all.length };
    },
    /** Changes a profile; the result must still satisfy its template. */
    async update(ctx: RequestContext, id: string, raw: ProfileBody & { slug?: string; description?: string; caId?: string }) {
      const p = await load(ctx, id, "admin");
      if (isEmptyPatch(raw as Record<string, unknown>)) return detail(p);
      const read = readProfileAliases(raw, "update");
      const body: ProfilePatch = { slug: raw.slug, description: raw.description, caId: raw.caId, ...read };
      const next: ProfileInput = {
        slug: body.slug ?? p.slug,
        description: body.description ?? p.description,
        templateId: body.templateId ?? p.template_id,
        issuerType: p.issuer_type,
        caId: body.caId ?? p.ca_id ?? p.external_ca_id ?? undefined,
        enrollmentMethods: body.enrollmentMethods ?? p.enrollment_methods,
        defaults: withoutNulls(mergePatch(p.defaults, body.defaults)),
        apiConfig: mergePatch(p.api_config, body.apiConfig),
        acmeConfig: mergePatch(p.acme_config ?? DEFAULT_ACME_CONFIG, body.acmeConfig),
      };
      const v = named(await check(p.project_id, next), raw);
      if (v.length) throw errors.validation("The profile breaks the rules; see violations.", v);
      const est = read.estConfig ? await nextEstConfig(p.est_config, read.estConfig) : undefined;
      const ext = await externalOf(p.project_id, next.caId);
      const challengeHash = await challengeHashOf(raw.scepConfig);
      try {
        await store.transaction(async (tx) => {
          if (next.enrollmentMethods.includes("scep")) await putScepSettings(tx, id, raw.scepConfig, challengeHash);
          await tx.cert.updateProfile(id, { ...next, description: next.description ?? "", caId: ext ? null : (next.caId ?? null), acmeConfig: next.enrollmentMethods.includes("acme") ? { ...DEFAULT_ACME_CONFIG, ...next.acmeConfig } : null });
          if (est) await tx.cert.setEstConfig(id, est);
          await tx.external.setProfileCa(id, ext?.id ?? null);
          await audit(tx, rt, ctx, { projectId: p.project_id, action: "profile.update", objectType: "certificate-profile", objectId: id, outcome: "success", detail: { fields: Object.keys(raw) } });
        });
      } catch (e) {
        if (store.isUniqueViolation(e)) throw duplicate(next.slug);
        throw e;
      }
      return detail((await store.cert.profileById(id))!);
    },
    /** Deletes a profile; its certificates stay, detached from it. */
    async remove(ctx: RequestContext, id: string) {
      const p = await load(ctx, id, "admin");
      await store.transaction(async (tx) => {
        await tx.cert.deleteProfile(id);
        await audit(tx, rt, ctx, { projectId: p.project_id, action: "profile.delete", objectType: "certificate-profile", objectId: id, outcome: "success", detail: { slug: p.slug } });
      });
      return detail(p);
    },
  };
}
