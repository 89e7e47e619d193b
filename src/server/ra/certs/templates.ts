import { errors, type Violation } from "../../../errors.js";
import type { ReposOf, Transactional } from "../../shared-types.js";
import { checkDefaults } from "../../../policy/issuance.js";
import { TEMPLATE_PRESETS } from "../../../policy/presets.js";
import { parseTemplate, type Template, type TemplateInput } from "../../../policy/template.js";
import { narrowPreset, templateWarnings } from "../../../policy/template-narrow.js";
import type { TemplateRow } from "../../store/cert.repo.js";
import type { Store } from "../../store/store.js";
import { audit } from "../audit.js";
import { requirePrincipal, requireRole } from "../authz.js";
import type { RequestContext, Runtime } from "../context.js";
import { isEmptyPatch, mergePatch, withoutNulls } from "../merge-patch.js";

const RULE_KEYS = ["subject", "sans", "keyUsages", "extendedKeyUsages", "algorithms", "validity", "basicConstraints"] as const;
type PresetName = keyof typeof TEMPLATE_PRESETS;

/** Only the rule fields of a body (undefined fields stay "not configured"). */
function rulesOf(body: Record<string, unknown>): TemplateInput {
  const r: Record<string, unknown> = {};
  for (const k of RULE_KEYS) if (body[k] !== undefined) r[k] = body[k];
  return r as TemplateInput;
}

/** The API view of a template row. */
export function templateView(t: TemplateRow) {
  // Every rule present, as Infisical's policy carries them: [] and {} configure nothing, exactly as an absent rule.
  const unset = { subject: [], sans: [], keyUsages: {}, extendedKeyUsages: {}, algorithms: {}, validity: {}, basicConstraints: {} };
  return { id: t.id, projectId: t.project_id, name: t.name, description: t.description, ...unset, ...(t.rules as TemplateInput), createdAt: new Date(t.created_at).toISOString(), updatedAt: new Date(t.updated_at).toISOString() };
}

// Compiled templates per row version: the cached store hands out one row object until the row
// changes (docs/adr/0007-caches.md), so the row object is the version.
const compiled = new WeakMap<TemplateRow, Template>();

/** Parses a stored template (validated when saved, so a failure means a corrupt row); memoized per row version. */
export function compileTemplate(t: TemplateRow): Template {
  const hit = compiled.get(t);
  if (hit) return hit;
  const parsed = parseTemplate(t.rules as TemplateInput);
  if ("violations" in parsed) throw errors.internal(`Template ${t.id} no longer parses: ${parsed.violations.map((v) => v.message).join("; ")}`);
  compiled.set(t, parsed.template);
  return parsed.template;
}

/** The repositories these use cases call. */
export type TemplatesRepos = ReposOf<{ cert: "profilesOfTemplate" | "templateById" | "templatesOf" | "deleteTemplate" | "insertTemplate" | "updateTemplate"; identity: "membership"; misc: "audit"; }>;
/** The store as these use cases see it. */
export type TemplatesStore = TemplatesRepos & Transactional<TemplatesRepos> & Pick<Store, "isUniqueViolation">;

/** Certificate templates: the rules a certificate must meet. */
export function createTemplates(deps: { store: TemplatesStore; rt: Runtime }) {
  const { store, rt } = deps;
  async function load(ctx: RequestContext, id: string, need: "viewer" | "admin") {
    const t = await store.cert.templateById(id);
    if (!t) throw errors.notFound("Certificate template", id);
    await requireRole(store, ctx, t.project_id, need, { type: "Certificate template", id });
    return t;
  }
  function parse(rules: TemplateInput): Template {
    const parsed = parseTemplate(rules);
    if ("violations" in parsed) throw errors.validation("The template's rules are not valid; see violations.", parsed.violations);
    return parsed.template;
  }
  /** Profiles on this template whose defaults the new rules would break. */
  async function brokenProfiles(templateId: string, template: Template) {
    const out: { profileId: string; slug: string; violations: Violation[] }[] = [];
    for (const p of await store.cert.profilesOfTemplate(templateId)) {
      const v = checkDefaults(template, p.defaults);
      if (v.length) out.push({ profileId: p.id, slug: p.slug, violations: v });
    }
    return out;
  }
  return {
    /** The presets served by the API. */
    presets(ctx: RequestContext) {
      requirePrincipal(ctx);
      return (Object.keys(TEMPLATE_PRESETS) as PresetName[]).map((k) => ({ preset: k, name: TEMPLATE_PRESETS[k].name, description: TEMPLATE_PRESETS[k].description, rules: TEMPLATE_PRESETS[k].template }));
    },
    /** Creates a template, from a preset when one is named (fields given narrow the preset's, never widen them). */
    async create(ctx: RequestContext, body: { projectId: string; name: string; description?: string; preset?: PresetName } & Record<string, unknown>) {
      await requireRole(store, ctx, body.projectId, "admin", { type: "Project", id: body.projectId });
      let rules = rulesOf(body);
      if (body.preset) {
        const narrowed = narrowPreset(body.preset, TEMPLATE_PRESETS[body.preset].template, rules);
        if ("violations" in narrowed) throw errors.validation(`The rules given would widen the preset ${body.preset}; see violations.`, narrowed.violations);
        rules = narrowed.rules;
      }
      parse(rules);
      const id = rt.uuid();
      try {
        await store.transaction(async (tx) => {
          await tx.cert.insertTemplate({ id, projectId: body.projectId, name: body.name, description: body.description ?? (body.preset ? TEMPLATE_PRESETS[body.preset].description : ""), rules });
          await audit(tx, rt, ctx, { projectId: body.projectId, action: "template.create", objectType: "certificate-template", objectId: id, outcome: "success", detail: { name: body.name, preset: body.preset ?? null } });
        });
      } catch (e) {
        if (store.isUniqueViolation(e)) throw errors.conflict("The project already has a template with this name.", [{ field: "name", code: "duplicate", message: "The project already has a template with this name.", value: body.name }]);
        throw e;
      }
      return { certificateTemplate: templateView((await store.cert.templateById(id))!), warnings: templateWarnings(rules) };
    },
    /** One template. */
    async get(ctx: RequestContext, id: string) {
      return templateView(await load(ctx, id, "viewer"));
    },
    /** A page of a project's templates, oldest first, with the count of all that match (Infisical's offset pagination). */
    async list(ctx: RequestContext, q: { projectId: string; offset: number; limit: number; search?: string }) {
      await requireRole(store, ctx, q.projectId, "viewer", { type: "Project", id: q.projectId });
      const term = q.search?.toLowerCase();
      const all = (await store.cert.templatesOf(q.projectId)).filter((t) => !term || t.name.toLowerCase().includes(term));
      return { templates: all.slice(q.offset, q.offset + q.limit).map(templateView), totalCount: all.length };
    },
    /**
     * Changes a template (PATCH): rules left out stay, a rule given merges into the stored one
     * (its lists replace), null removes a rule; reports profiles whose defaults it breaks.
     */
    async update(ctx: RequestContext, id: string, body: { name?: string; description?: string } & Record<string, unknown>) {
      const t = await load(ctx, id, "admin");
      if (isEmptyPatch(body)) return { certificateTemplate: templateView(t), brokenProfiles: [], warnings: templateWarnings(t.rules as TemplateInput) };
      const rules = withoutNulls(mergePatch(t.rules as Record<string, unknown>, rulesOf(body))) as TemplateInput;
      const template = parse(rules);
      const broken = await brokenProfiles(id, template);
      try {
        await store.transaction(async (tx) => {
          await tx.cert.updateTemplate(id, { name: body.name ?? t.name, description: body.description ?? t.description, rules });
          await audit(tx, rt, ctx, { projectId: t.project_id, action: "template.update", objectType: "certificate-template", objectId: id, outcome: "success", detail: { brokenProfiles: broken.map((b) => b.slug) } });
        });
      } catch (e) {
        if (store.isUniqueViolation(e)) throw errors.conflict("The project already has a template with this name.", [{ field: "name", code: "duplicate", message: "The project already has a template with this name.", value: body.name }]);
        throw e;
      }
      return { certificateTemplate: templateView((await store.cert.templateById(id))!), brokenProfiles: broken, warnings: templateWarnings(rules) };
    },
    /** Deletes a template that no profile uses. */
    async remove(ctx: RequestContext, id: string) {
      const t = await load(ctx, id, "admin");
      const users = await store.cert.profilesOfTemplate(id);
      if (users.length) throw errors.conflict(`The template is used by ${users.length} profile(s) (${users.map((p) => p.slug).slice(0, 5).join(", ")}); point them at another template first.`);
      await store.transaction(async (tx) => {
        await tx.cert.deleteTemplate(id);
        await audit(tx, rt, ctx, { projectId: t.project_id, action: "template.delete", objectType: "certificate-template", objectId: id, outcome: "success", detail: { name: t.name } });
      });
      return templateView(t);
    },
  };
}
