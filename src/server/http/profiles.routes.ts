import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import * as c from "../../contract/profiles.js";
import { createEabBody, eabKey } from "../../contract/certificates.js";
import { idParams } from "../../contract/common.js";
import type { Services } from "./services.js";

/** Certificate profiles at `base`: Infisical mounts them at /api/v1/cert-manager/… and /api/v1/pki/…. */
function profileSet(s: Services, base: string, hide: boolean): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ["profiles"];
    const one = z.object({ certificateProfile: c.profileDetail });
    const detail = z.object({ certificateProfile: c.profileDetail });
    app.post(base, { schema: { hide, tags, summary: "Create a profile (template + issuer + enrollment + defaults)", body: c.createProfileBody, response: { 200: one } } }, async (req) => ({
      certificateProfile: await s.profiles.create(req.ctx, req.body),
    }));
    app.get(base, { schema: { hide, tags, summary: "A page of a project's profiles with their certificate counts, and how many match", querystring: c.listProfilesQuery, response: { 200: z.object({ certificateProfiles: z.array(c.profile.extend({ metrics: c.profileMetrics })), totalCount: z.number().int() }) } } }, async (req) => {
      const r = await s.profiles.list(req.ctx, req.query);
      return { certificateProfiles: r.profiles, totalCount: r.totalCount };
    });
    app.get(`${base}/slug/:slug`, { schema: { hide, tags, summary: "A profile by its slug within a project", params: c.slugParams, querystring: c.slugQuery, response: { 200: detail } } }, async (req) => ({
      certificateProfile: await s.profiles.bySlug(req.ctx, req.query.projectId, req.params.slug),
    }));
    app.get(`${base}/:id`, { schema: { hide, tags, summary: "A profile with its CA and certificate policy", params: idParams, response: { 200: detail } } }, async (req) => ({
      certificateProfile: await s.profiles.get(req.ctx, req.params.id),
    }));
    app.patch(`${base}/:id`, { schema: { hide, tags, params: idParams, body: c.updateProfileBody, response: { 200: one } } }, async (req) => ({
      certificateProfile: await s.profiles.update(req.ctx, req.params.id, req.body),
    }));
    app.delete(`${base}/:id`, { schema: { hide, tags, params: idParams, response: { 200: one } } }, async (req) => ({
      certificateProfile: await s.profiles.remove(req.ctx, req.params.id),
    }));
    app.get(`${base}/:id/certificates`, { schema: { hide, tags, summary: "A page of the profile's certificates (newest first) with the profile's counts", params: idParams, querystring: c.profileCertificatesQuery, response: { 200: z.object({ certificates: z.array(c.profileCertificate), totalCount: z.number().int(), metrics: c.profileMetrics }) } } }, (req) =>
      s.profileCertificates.list(req.ctx, req.params.id, req.query),
    );
    app.get(`${base}/:id/certificates/latest-active-bundle`, { schema: { hide, tags, summary: "The newest active certificate, its chain and (with permission) its key; all null when there is none", params: idParams, response: { 200: c.latestActiveBundle } } }, (req) =>
      s.profileCertificates.latestActiveBundle(req.ctx, req.params.id),
    );

    app.post(`${base}/:id/scep/challenge-password`, { schema: { hide, tags: ["scep"], summary: "Set a new random static SCEP challenge password (admins; shown this once)", params: idParams, response: { 200: c.scepChallengePassword } } }, (req) => s.scep.rotateChallengePassword(req.ctx, req.params.id));

    const eabTags = ["acme"];
    app.get(`${base}/:id/acme/eab-secret/reveal`, { schema: { hide, tags: eabTags, summary: "The profile's current unused EAB key id and HMAC key (made on first use; admins; audited)", params: idParams, response: { 200: c.eabSecret } } }, (req) => s.acme.eab.reveal(req.ctx, req.params.id));
    app.post(`${base}/:id/acme/eab-keys`, { schema: { hide, tags: eabTags, summary: "Create an ACME External Account Binding key (the HMAC key is shown once)", params: idParams, body: createEabBody, response: { 200: z.object({ eabKey: eabKey.extend({ hmacKey: z.string(), directoryUrl: z.string() }) }) } } }, async (req) => ({
      eabKey: await s.acme.eab.create(req.ctx, req.params.id, req.body.description ?? ""),
    }));
    app.get(`${base}/:id/acme/eab-keys`, { schema: { hide, tags: eabTags, summary: "The profile's EAB keys (never the HMAC keys)", params: idParams, response: { 200: z.object({ eabKeys: z.array(eabKey) }) } } }, async (req) => ({
      eabKeys: await s.acme.eab.list(req.ctx, req.params.id),
    }));
    app.post(`${base}/:id/acme/eab-keys/:keyId/revoke`, { schema: { hide, tags: eabTags, summary: "Revoke an EAB key", params: idParams.extend({ keyId: z.string().min(1).max(100) }), response: { 200: z.object({ eabKey }) } } }, async (req) => ({
      eabKey: await s.acme.eab.revoke(req.ctx, req.params.id, req.params.keyId),
    }));
  };
}

/** Certificate profiles, at Infisical's G2 path and its /api/v1/pki alias (hidden from the OpenAPI document). */
export function profileRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    await app.register(profileSet(s, "/api/v1/cert-manager/certificate-profiles", false));
    await app.register(profileSet(s, "/api/v1/pki/certificate-profiles", true));
  };
}
