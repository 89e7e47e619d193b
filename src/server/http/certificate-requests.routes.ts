import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import * as c from "../../contract/certificates.js";
import * as shapes from "../../contract/certificate-shapes.js";
import { idParams } from "../../contract/common.js";
import type { Services } from "./services.js";
import { sendCertificate, sendPrivateKey } from "./certificate-replies.js";

const REQUESTS = "/api/v1/cert-manager/certificate-requests";
const G1 = "/api/v1/pki/certificates";

/**
 * Certificate requests (Infisical's get and search), and the G1 routes keyed by serial number
 * (`/api/v1/pki/certificates/:serialNumber…`): thin aliases of the certificate routes.
 */
export function certificateRequestRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ["certificate requests"];
    app.get(`${REQUESTS}/:id`, { schema: { tags, summary: "One certificate request (a synchronous issuance's id is its certificate's)", params: idParams, response: { 200: shapes.certificateRequest } } }, (req) => s.certificateRequests.get(req.ctx, req.params.id));
    app.post(`${REQUESTS}/:id/cancel`, { schema: { tags, summary: "Cancel a request still waiting", params: idParams, response: { 200: shapes.cancelResponse } } }, (req) => s.certificateRequests.cancel(req.ctx, req.params.id));
    app.post(`${REQUESTS}/:id/trigger-validation`, { schema: { tags, summary: "Re-check a request waiting on validation", params: idParams, response: { 200: shapes.triggerValidationResponse } } }, (req) => s.certificateRequests.triggerValidation(req.ctx, req.params.id));
    // Deprecated by Infisical in favour of POST /search; the same filters as query parameters.
    app.get(REQUESTS, { schema: { tags, summary: "Search (deprecated: POST /search)", hide: true, querystring: shapes.searchRequestsQuery } }, (req) => s.certificateRequests.search(req.ctx, req.query));
    app.post(`${REQUESTS}/search`, { schema: { tags, summary: "Search a project's certificate requests", body: shapes.searchRequestsBody, response: { 200: z.object({ certificateRequests: z.array(shapes.certificateRequest), totalCount: z.number().int() }) } } }, (req) => s.certificateRequests.search(req.ctx, req.body));

    const g1 = { tags: ["certificates (G1 by serial number)"], params: shapes.serialParams };
    const idOf = (req: { ctx: Parameters<Services["certificates"]["idOfSerial"]>[0]; params: { serialNumber: string } }) => s.certificates.idOfSerial(req.ctx, req.params.serialNumber);
    app.get(`${G1}/:serialNumber`, { schema: { ...g1, response: { 200: z.object({ certificate: c.certificateView }) } } }, async (req) => ({ certificate: await s.certificates.get(req.ctx, await idOf(req)) }));
    app.get(`${G1}/:serialNumber/certificate`, { schema: { ...g1, querystring: z.strictObject({ format: z.enum(["json", "pem", "der"]).optional() }) } }, async (req, reply) => sendCertificate(req, reply, await s.certificates.raw(req.ctx, await idOf(req)), req.query.format));
    app.get(`${G1}/:serialNumber/bundle`, { schema: { ...g1 } }, async (req) => s.certificates.bundle(req.ctx, await idOf(req)));
    app.get(`${G1}/:serialNumber/private-key`, { schema: { ...g1 } }, async (req, reply) => sendPrivateKey(req, reply, (await s.certificates.privateKey(req.ctx, await idOf(req))).privateKey));
    app.post(`${G1}/:serialNumber/revoke`, { schema: { ...g1, body: c.revokeBody } }, async (req) => s.certificates.revoke(req.ctx, await s.certificates.idOfSerial(req.ctx, req.params.serialNumber, { deleted: true }), req.body));
  };
}
