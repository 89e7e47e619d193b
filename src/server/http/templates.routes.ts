import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import * as c from "../../contract/certificates.js";
import { idParams, uuid, violation } from "../../contract/common.js";
import type { Services } from "./services.js";

const TEMPLATES = "/api/v1/cert-manager/certificate-templates";
const PROFILES = "/api/v1/cert-manager/certificate-profiles";

/** Certificate templates and profiles. */
export function templateRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ["templates"];
    app.get(`${TEMPLATES}/presets`, { schema: { tags, summary: "Template presets (TLS server, TLS client, …)", response: { 200: z.object({ presets: z.array(c.templatePreset) }) } } }, async (req) => ({
      presets: s.templates.presets(req.ctx),
    }));
    app.post(TEMPLATES, { schema: { tags, summary: "Create a template (optionally from a preset, which the rules given narrow)", body: c.createTemplateBody, response: { 200: z.object({ certificateTemplate: c.template, warnings: z.array(c.templateWarning) }) } } }, (req) =>
      s.templates.create(req.ctx, req.body),
    );
    app.get(TEMPLATES, { schema: { tags, querystring: z.strictObject({ projectId: uuid }), response: { 200: z.object({ certificateTemplates: z.array(c.template) }) } } }, async (req) => ({
      certificateTemplates: await s.templates.list(req.ctx, req.query.projectId),
    }));
    app.get(`${TEMPLATES}/:id`, { schema: { tags, params: idParams, response: { 200: z.object({ certificateTemplate: c.template }) } } }, async (req) => ({
      certificateTemplate: await s.templates.get(req.ctx, req.params.id),
    }));
    app.patch(`${TEMPLATES}/:id`, { schema: { tags, summary: "Change a template; reports profiles whose defaults it breaks", params: idParams, body: c.updateTemplateBody, response: { 200: z.object({ certificateTemplate: c.template, brokenProfiles: z.array(z.object({ profileId: uuid, slug: z.string(), violations: z.array(violation) })), warnings: z.array(c.templateWarning) }) } } }, (req) =>
      s.templates.update(req.ctx, req.params.id, req.body),
    );
    app.delete(`${TEMPLATES}/:id`, { schema: { tags, params: idParams, response: { 200: z.object({ certificateTemplate: c.template }) } } }, async (req) => ({
      certificateTemplate: await s.templates.remove(req.ctx, req.params.id),
    }));

    const ptags = ["profiles"];
    app.post(PROFILES, { schema: { tags: ptags, summary: "Create a profile (template + issuer + enrollment + defaults)", body: c.createProfileBody, response: { 200: z.object({ certificateProfile: c.profile }) } } }, async (req) => ({
      certificateProfile: await s.profiles.create(req.ctx, req.body),
    }));
    app.get(PROFILES, { schema: { tags: ptags, querystring: z.strictObject({ projectId: uuid }), response: { 200: z.object({ certificateProfiles: z.array(c.profile) }) } } }, async (req) => ({
      certificateProfiles: await s.profiles.list(req.ctx, req.query.projectId),
    }));
    app.get(`${PROFILES}/:id`, { schema: { tags: ptags, params: idParams, response: { 200: z.object({ certificateProfile: c.profile }) } } }, async (req) => ({
      certificateProfile: await s.profiles.get(req.ctx, req.params.id),
    }));
    app.patch(`${PROFILES}/:id`, { schema: { tags: ptags, params: idParams, body: c.updateProfileBody, response: { 200: z.object({ certificateProfile: c.profile }) } } }, async (req) => ({
      certificateProfile: await s.profiles.update(req.ctx, req.params.id, req.body),
    }));
    const eabTags = ["acme"];
    app.post(`${PROFILES}/:id/acme/eab-keys`, { schema: { tags: eabTags, summary: "Create an ACME External Account Binding key (the HMAC key is shown once)", params: idParams, body: c.createEabBody, response: { 200: z.object({ eabKey: c.eabKey.extend({ hmacKey: z.string(), directoryUrl: z.string() }) }) } } }, async (req) => ({
      eabKey: await s.acme.eab.create(req.ctx, req.params.id, req.body.description ?? ""),
    }));
    app.get(`${PROFILES}/:id/acme/eab-keys`, { schema: { tags: eabTags, summary: "The profile's EAB keys (never the HMAC keys)", params: idParams, response: { 200: z.object({ eabKeys: z.array(c.eabKey) }) } } }, async (req) => ({
      eabKeys: await s.acme.eab.list(req.ctx, req.params.id),
    }));
    app.post(`${PROFILES}/:id/acme/eab-keys/:keyId/revoke`, { schema: { tags: eabTags, summary: "Revoke an EAB key", params: idParams.extend({ keyId: z.string().min(1).max(100) }), response: { 200: z.object({ eabKey: c.eabKey }) } } }, async (req) => ({
      eabKey: await s.acme.eab.revoke(req.ctx, req.params.id, req.params.keyId),
    }));
    app.delete(`${PROFILES}/:id`, { schema: { tags: ptags, params: idParams, response: { 200: z.object({ certificateProfile: c.profile }) } } }, async (req) => ({
      certificateProfile: await s.profiles.remove(req.ctx, req.params.id),
    }));
  };
}
