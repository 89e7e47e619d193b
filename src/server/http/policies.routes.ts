import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import * as c from "../../contract/policies.js";
import { idParams, uuid, violation } from "../../contract/common.js";
import { errors } from "../../errors.js";
import type { Services } from "./services.js";

const CM = "/api/v1/cert-manager";

/**
 * One set of template routes under a path and the names Infisical wraps them in:
 * certificate-templates (Stamp's word), certificate-policies (Infisical's G2) and
 * /api/v2/certificate-templates (Infisical's deprecated alias). Stamp's extras (warnings,
 * brokenProfiles) sit beside the wrapped object.
 */
function templateSet(s: Services, base: string, one: string, many: string, hide = false): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ["templates"];
    const wrap = (extra: z.ZodRawShape = {}) => z.object({ [one]: c.template, ...extra });
    const broken = z.array(z.object({ profileId: uuid, slug: z.string(), violations: z.array(violation) }));
    app.post(base, { schema: { hide, tags, summary: "Create a certificate policy (template), optionally from a preset", body: c.createTemplateBody, response: { 200: wrap({ warnings: z.array(c.templateWarning) }) } } }, async (req) => {
      const r = await s.templates.create(req.ctx, req.body);
      return { [one]: r.certificateTemplate, warnings: r.warnings } as never;
    });
    app.get(base, { schema: { hide, tags, summary: "A page of a project's policies (offset, limit ≤ 100, name search) and how many match", querystring: c.listTemplatesQuery, response: { 200: z.object({ [many]: z.array(c.template), totalCount: z.number().int() }) } } }, async (req) => {
      const r = await s.templates.list(req.ctx, req.query);
      return { [many]: r.templates, totalCount: r.totalCount } as never;
    });
    app.get(`${base}/:id`, { schema: { hide, tags, params: idParams, querystring: c.getTemplateQuery, response: { 200: wrap() } } }, async (req) => {
      if (req.query.applicationId) throw errors.badRequest("Stamp has no Applications (Infisical's G3); leave applicationId out.", [{ field: "query.applicationId", code: "not_supported", message: "Stamp has no Applications.", value: req.query.applicationId }]);
      return { [one]: await s.templates.get(req.ctx, req.params.id) } as never;
    });
    app.patch(`${base}/:id`, { schema: { hide, tags, summary: "Change a policy; reports profiles whose defaults it breaks", params: idParams, body: c.updateTemplateBody, response: { 200: wrap({ brokenProfiles: broken, warnings: z.array(c.templateWarning) }) } } }, async (req) => {
      const r = await s.templates.update(req.ctx, req.params.id, req.body);
      return { [one]: r.certificateTemplate, brokenProfiles: r.brokenProfiles, warnings: r.warnings } as never;
    });
    app.delete(`${base}/:id`, { schema: { hide, tags, params: idParams, response: { 200: wrap() } } }, async (req) => ({ [one]: await s.templates.remove(req.ctx, req.params.id) }) as never);
  };
}

/** Certificate templates and their Infisical names (certificate policies). */
export function policyRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.get(`${CM}/certificate-templates/presets`, { schema: { tags: ["templates"], summary: "Template presets (TLS server, TLS client, …)", response: { 200: z.object({ presets: z.array(c.templatePreset) }) } } }, async (req) => ({
      presets: s.templates.presets(req.ctx),
    }));
    await app.register(templateSet(s, `${CM}/certificate-templates`, "certificateTemplate", "certificateTemplates"));
    await app.register(templateSet(s, `${CM}/certificate-policies`, "certificatePolicy", "certificatePolicies"));
    // Infisical's deprecated v2 path: served, left out of the OpenAPI document.
    await app.register(templateSet(s, "/api/v2/certificate-templates", "certificateTemplate", "certificateTemplates", true));
  };
}
