import { errors, type Violation } from "../../../errors.js";
import { checkDefaults, type ProfileDefaults } from "../../../policy/issuance.js";
import { isUniqueViolation } from "../../store/db.js";
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

/** The API view of a profile row. */
export function profileView(p: ProfileRow, publicUrl = "") {
  return {
    id: p.id,
    projectId: p.project_id,
    slug: p.slug,
    description: p.description,
    templateId: p.template_id,
    issuerType: p.issuer_type,
    caId: p.ca_id,
    enrollmentMethods: p.enrollment_methods,
    defaults: p.defaults,
    apiConfig: p.api_config,
    acmeConfig: p.acme_config ? { ...p.acme_config, directoryUrl: `${publicUrl}/api/v1/cert-manager/acme/profiles/${p.id}/directory` } : null,
    createdAt: new Date(p.created_at).toISOString(),
    updatedAt: new Date(p.updated_at).toISOString(),
  };
}

/** Certificate profiles: template + issuer + enrollment methods + defaults. */
export function createProfiles(deps: { store: Store; rt: Runtime; publicUrl: string }) {
  const { store, rt } = deps;
  const view = (p: ProfileRow) => profileView(p, deps.publicUrl);

  /** Every rule a profile must meet against its project's template and CA. */
  async function check(projectId: string, p: ProfileInput): Promise<Violation[]> {
    const v: Violation[] = [];
    const t = await store.cert.templateById(p.templateId);
    if (!t || t.project_id !== projectId) v.push({ field: "templateId", code: "unknown_template", message: "No certificate template with this id in the project.", value: p.templateId });
    if (p.issuerType === "ca") {
      const ca = p.caId ? await store.ca.caById(p.caId) : undefined;
      if (!p.caId) v.push({ field: "caId", code: "required", message: "issuerType ca needs caId, the CA that signs this profile's certificates." });
      else if (!ca || ca.project_id !== projectId) v.push({ field: "caId", code: "unknown_ca", message: "No CA with this id in the project.", value: p.caId });
      else if (ca.status === "pending-certificate") v.push({ field: "caId", code: "ca_not_ready", message: "The CA is waiting for its certificate; import it first.", value: p.caId });
    } else if (p.caId) {
      v.push({ field: "caId", code: "not_allowed", message: "A self-signed profile has no CA; remove caId.", value: p.caId });
    }
    // Profile defaults must satisfy the template (checked on save).
    if (t && t.project_id === projectId) v.push(...checkDefaults(compileTemplate(t), p.defaults as ProfileDefaults).map((x) => ({ ...x, field: x.field.replace(/^attributes\./, "defaults.") })));
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
  const duplicate = (slug: string) => errors.conflict("The project already has a profile with this slug.", [{ field: "slug", code: "duplicate", message: "The project already has a profile with this slug.", value: slug }]);

  return {
    /** Creates a profile; its defaults must satisfy its template. */
    async create(ctx: RequestContext, body: ProfileInput & { projectId: string }) {
      await requireRole(store, ctx, body.projectId, "admin", { type: "Project", id: body.projectId });
      const v = await check(body.projectId, body);
      if (v.length) throw errors.validation("The profile breaks the rules; see violations.", v);
      const id = rt.uuid();
      try {
        await store.transaction(async (tx) => {
          await tx.cert.insertProfile({ ...body, id, description: body.description ?? "", caId: body.caId ?? null, acmeConfig: body.enrollmentMethods.includes("acme") ? { ...DEFAULT_ACME_CONFIG, ...body.acmeConfig } : null });
          await audit(tx, rt, ctx, { projectId: body.projectId, action: "profile.create", objectType: "certificate-profile", objectId: id, outcome: "success", detail: { slug: body.slug } });
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw duplicate(body.slug);
        throw e;
      }
      return view((await store.cert.profileById(id))!);
    },
    /** One profile. */
    async get(ctx: RequestContext, id: string) {
      return view(await load(ctx, id, "viewer"));
    },
    /** A project's profiles. */
    async list(ctx: RequestContext, projectId: string) {
      await requireRole(store, ctx, projectId, "viewer", { type: "Project", id: projectId });
      return (await store.cert.profilesOf(projectId)).map(view);
    },
    /** Changes a profile; the result must still satisfy its template. */
    async update(ctx: RequestContext, id: string, body: ProfilePatch) {
      const p = await load(ctx, id, "admin");
      if (isEmptyPatch(body as Record<string, unknown>)) return view(p);
      const next: ProfileInput = {
        slug: body.slug ?? p.slug,
        description: body.description ?? p.description,
        templateId: body.templateId ?? p.template_id,
        issuerType: p.issuer_type,
        caId: body.caId ?? p.ca_id ?? undefined,
        enrollmentMethods: body.enrollmentMethods ?? p.enrollment_methods,
        defaults: withoutNulls(mergePatch(p.defaults, body.defaults)),
        apiConfig: mergePatch(p.api_config, body.apiConfig),
        acmeConfig: mergePatch(p.acme_config ?? DEFAULT_ACME_CONFIG, body.acmeConfig),
      };
      const v = await check(p.project_id, next);
      if (v.length) throw errors.validation("The profile breaks the rules; see violations.", v);
      try {
        await store.transaction(async (tx) => {
          await tx.cert.updateProfile(id, { ...next, description: next.description ?? "", caId: next.caId ?? null, acmeConfig: next.enrollmentMethods.includes("acme") ? { ...DEFAULT_ACME_CONFIG, ...next.acmeConfig } : null });
          await audit(tx, rt, ctx, { projectId: p.project_id, action: "profile.update", objectType: "certificate-profile", objectId: id, outcome: "success", detail: { fields: Object.keys(body) } });
        });
      } catch (e) {
        if (isUniqueViolation(e)) throw duplicate(next.slug);
        throw e;
      }
      return view((await store.cert.profileById(id))!);
    },
    /** Deletes a profile; its certificates stay, detached from it. */
    async remove(ctx: RequestContext, id: string) {
      const p = await load(ctx, id, "admin");
      await store.transaction(async (tx) => {
        await tx.cert.deleteProfile(id);
        await audit(tx, rt, ctx, { projectId: p.project_id, action: "profile.delete", objectType: "certificate-profile", objectId: id, outcome: "success", detail: { slug: p.slug } });
      });
      return view(p);
    },
  };
}
