import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import * as c from "../../contract/ca.js";
import { idParams, uuid } from "../../contract/common.js";
import { acmeCaResponse } from "../../contract/external-ca.js";
import type { Services } from "./services.js";

const CM = "/api/v1/cert-manager";
const BASE = `${CM}/ca/internal`;

/** Internal certificate authorities (Infisical's paths, field names and answers; Stamp's extras beside). */
export function caRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ["certificate authorities"];
    app.get(`${CM}/ca`, { schema: { tags, summary: "Every CA of a project: internal ones, then external ACME ones (type acme)", querystring: c.listCasQuery, response: { 200: z.object({ certificateAuthorities: z.array(z.discriminatedUnion("type", [c.caResponse, acmeCaResponse])) }) } } }, async (req) => ({
      certificateAuthorities: [...(await s.cas.list(req.ctx, req.query.projectId)), ...(await s.acmeCas.list(req.ctx, req.query.projectId))],
    }));
    app.get(`${CM}/ca/:type`, { schema: { tags, summary: "CAs of another type Infisical knows: Stamp runs none, so the list is empty", params: z.object({ type: z.enum(c.CA_TYPES).exclude(["internal", "acme"]) }), querystring: c.listCasQuery, response: { 200: z.array(c.caResponse) } } }, async (req) => {
      await s.projects.get(req.ctx, req.query.projectId);
      return [];
    });
    app.post(BASE, { schema: { tags, summary: "Create a root or intermediate CA", body: c.createCaBody, response: { 200: c.caResponse } } }, (req) => s.cas.create(req.ctx, req.body));
    app.get(BASE, { schema: { tags, summary: "List a project's CAs", querystring: c.listCasQuery, response: { 200: z.array(c.caResponse) } } }, (req) => s.cas.list(req.ctx, req.query.projectId));
    app.get(`${BASE}/:id`, { schema: { tags, params: idParams, response: { 200: c.caResponse } } }, (req) => s.cas.get(req.ctx, req.params.id));
    app.patch(`${BASE}/:id`, { schema: { tags, summary: "Rename, set active/disabled, or change CRL distribution points and OCSP", params: idParams, body: c.updateCaBody, response: { 200: c.caResponse } } }, (req) => s.cas.update(req.ctx, req.params.id, req.body));
    app.delete(`${BASE}/:id`, { schema: { tags, summary: "Delete (refused while active child CAs depend on it unless ?force=true)", params: idParams, querystring: c.deleteCaQuery, response: { 200: c.caResponse } } }, (req) =>
      s.cas.remove(req.ctx, req.params.id, req.query.force),
    );
    app.get(`${BASE}/:id/certificate`, { schema: { tags, summary: "The active CA certificate and its chain (PEM)", params: idParams, response: { 200: c.caCertificateResponse } } }, (req) => s.cas.certificate(req.ctx, req.params.id));
    app.get(`${BASE}/:id/ca-certificates`, { schema: { tags, summary: "Every certificate the CA has had", params: idParams, response: { 200: z.array(c.caCertificateVersion) } } }, (req) => s.cas.certificates(req.ctx, req.params.id));
    app.get(`${BASE}/:id/csr`, { schema: { tags, summary: "The CSR for an intermediate signed outside Stamp", params: idParams, response: { 200: z.object({ csr: z.string() }) } } }, (req) => s.cas.csr(req.ctx, req.params.id));
    app.post(`${BASE}/:id/import-certificate`, { schema: { tags, summary: "Import the certificate an outside CA issued for the CSR", params: idParams, body: c.importCertificateBody, response: { 200: c.importCertificateResponse } } }, (req) =>
      s.cas.importCertificate(req.ctx, req.params.id, req.body),
    );
    app.post(`${BASE}/:id/sign-intermediate`, { schema: { tags, summary: "Sign another CA's CSR as a subordinate CA", params: idParams, body: c.signIntermediateBody, response: { 200: c.signIntermediateResponse } } }, (req) =>
      s.cas.signIntermediate(req.ctx, req.params.id, req.body),
    );
    app.post(`${BASE}/:id/renew`, { schema: { tags, summary: "Renew with the same key or roll over to a new one", params: idParams, body: c.renewCaBody, response: { 200: c.renewCaResponse } } }, (req) => s.cas.renew(req.ctx, req.params.id, req.body));

    await app.register(caIssuersRoute(s));
  };
}

/** Unauthenticated: relying parties follow the AIA caIssuers URL here (RFC 5280 §4.2.2.1); also on the plain-HTTP listener. */
export function caIssuersRoute(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ["certificate authorities"];
    app.get(`${CM}/ca-certificates/:id/der`, { schema: { tags, summary: "A CA certificate as DER (no authentication; the AIA caIssuers URL)", params: idParams, security: [] } }, async (req, reply) => {
      const der = await s.cas.publicDer(req.params.id);
      return reply.type("application/pkix-cert").header("cache-control", "public, max-age=86400").send(Buffer.from(der));
    });
    app.get(`${BASE}/:id/certificates/:caCertId/der`, { schema: { tags, summary: "A CA certificate as DER, at Infisical's path (no authentication)", params: idParams.extend({ caCertId: uuid }), security: [] } }, async (req, reply) => {
      const der = await s.cas.publicDer(req.params.caCertId, req.params.id);
      return reply.type("application/pkix-cert").header("cache-control", "public, max-age=86400").send(Buffer.from(der));
    });
  };
}
