import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { listCasQuery } from "../../contract/ca.js";
import { idParams } from "../../contract/common.js";
import * as x from "../../contract/external-ca.js";
import type { Services } from "./services.js";

const BASE = "/api/v1/cert-manager/ca/acme";

/** External CAs of type ACME (Infisical's path; docs/external-ca.md). */
export function externalCaRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ["certificate authorities"];
    app.post(BASE, { schema: { tags, summary: "Create an ACME external CA (registers the account; every problem listed)", body: x.createAcmeCaBody, response: { 200: x.acmeCaResponse } } }, (req) => s.acmeCas.create(req.ctx, req.body));
    app.get(BASE, { schema: { tags, summary: "A project's ACME CAs", querystring: listCasQuery, response: { 200: z.array(x.acmeCaResponse) } } }, (req) => s.acmeCas.list(req.ctx, req.query.projectId));
    app.get(`${BASE}/:id`, { schema: { tags, params: idParams, response: { 200: x.acmeCaResponse } } }, (req) => s.acmeCas.get(req.ctx, req.params.id));
    app.patch(`${BASE}/:id`, { schema: { tags, summary: "Rename, enable or disable, or change the DNS solver, trust bundle or propagation timeout", params: idParams, body: x.updateAcmeCaBody, response: { 200: x.acmeCaResponse } } }, (req) => s.acmeCas.update(req.ctx, req.params.id, req.body));
    app.delete(`${BASE}/:id`, { schema: { tags, summary: "Delete (refused while profiles issue through it)", params: idParams, response: { 200: x.acmeCaResponse } } }, (req) => s.acmeCas.remove(req.ctx, req.params.id));
  };
}
