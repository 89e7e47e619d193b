import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import * as c from "../../contract/certificates.js";
import { idParams } from "../../contract/common.js";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "./services.js";

const BASE = "/api/v1/cert-manager/certificates";

/** The Idempotency-Key header of a request (one value), if any. */
function keyOf(req: FastifyRequest): string | undefined {
  const v = req.headers["idempotency-key"];
  return Array.isArray(v) ? v.join(",") : v;
}

/** Leaf certificates: issue, preview, read, list, renew, revoke, export. */
export function certificateRoutes(s: Services): FastifyPluginAsyncZod {
  /** Runs a signing or revoking use case once per Idempotency-Key; a replayed answer says so. */
  const once = async <T>(req: FastifyRequest, reply: FastifyReply, operation: string, request: unknown, fn: () => Promise<T>, issues = false): Promise<T> => {
    const r = await s.idempotency.run(req.ctx, keyOf(req), operation, request, fn);
    if (r.replayed) reply.header("idempotent-replayed", "true");
    // "finish": the answer's last byte went to the connection; a crash or a dropped client before
    // that leaves the certificate unconfirmed for crash reconciliation (docs/operations.md).
    const id = issues ? (r.value as { certificate?: { certificateId?: string } }).certificate?.certificateId : undefined;
    if (id) reply.raw.once("finish", () => s.certificates.confirmDelivery(id));
    return r.value;
  };
  return async (app) => {
    const tags = ["certificates"];
    app.post(BASE, { schema: { tags, summary: "Issue a certificate, from a CSR or with a server-generated key", body: c.issueBody, response: { 200: z.object({ certificate: c.issuedCertificate }) } } }, (req, reply) => once(req, reply, "issue", req.body, () => s.certificates.issue(req.ctx, req.body), true) as Promise<{ certificate: z.infer<typeof c.issuedCertificate> }>);
    app.post(`${BASE}/preview`, { schema: { tags, summary: "Dry run: the certificate that would be issued (unsigned), or every violation", body: c.issueBody, response: { 200: z.object({ preview: c.previewResponse }) } } }, (req) => s.certificates.preview(req.ctx, req.body) as Promise<{ preview: z.infer<typeof c.previewResponse> }>);
    app.get(BASE, { schema: { tags, summary: "List and search a project's certificates (newest first, cursor pagination)", querystring: c.listCertificatesQuery, response: { 200: z.object({ certificates: z.array(c.certificateView), nextCursor: z.string().nullable() }) } } }, (req) => s.certificates.list(req.ctx, req.query));
    app.get(`${BASE}/:id`, { schema: { tags, params: idParams, response: { 200: z.object({ certificate: c.certificateView }) } } }, async (req) => ({ certificate: await s.certificates.get(req.ctx, req.params.id) }));
    app.get(`${BASE}/:id/certificate`, { schema: { tags, summary: "The certificate alone, PEM (default) or DER (?format=der)", params: idParams, querystring: z.strictObject({ format: z.enum(["pem", "der"]).default("pem") }) } }, async (req, reply) => {
      const r = await s.certificates.raw(req.ctx, req.params.id);
      if (req.query.format === "der") return reply.type("application/pkix-cert").send(Buffer.from(r.der));
      return reply.type("application/x-pem-file").send(r.pem);
    });
    app.post(`${BASE}/:id/renew`, { schema: { tags, summary: "Renew (new key by default; reuse, or a new CSR)", params: idParams, body: c.renewBody, response: { 200: z.object({ certificate: c.issuedCertificate }) } } }, (req, reply) => once(req, reply, `renew ${req.params.id}`, req.body, () => s.certificates.renew(req.ctx, req.params.id, req.body), true) as Promise<{ certificate: z.infer<typeof c.issuedCertificate> }>);
    app.get(`${BASE}/:id/latest`, { schema: { tags, summary: "The newest certificate of this certificate's renewal chain", params: idParams, response: { 200: z.object({ certificate: c.certificateView }) } } }, async (req) => ({ certificate: await s.certificates.latest(req.ctx, req.params.id) }));
    app.patch(`${BASE}/:id`, { schema: { tags, summary: "Turn server-driven renewal on or off for this certificate, or set its window", params: idParams, body: c.autoRenewBody, response: { 200: z.object({ certificate: c.certificateView }) } } }, async (req) => ({ certificate: await s.certificates.setAutoRenew(req.ctx, req.params.id, req.body) }));
    app.post(`${BASE}/:id/revoke`, { schema: { tags, summary: "Revoke with an RFC 5280 reason", params: idParams, body: c.revokeBody, response: { 200: z.object({ certificate: c.certificateView }) } } }, (req, reply) => once(req, reply, `revoke ${req.params.id}`, req.body, async () => ({ certificate: await s.certificates.revoke(req.ctx, req.params.id, req.body) })));
    app.post(`${BASE}/:id/lift-hold`, { schema: { tags, summary: "Release a CERTIFICATE_HOLD", params: idParams, response: { 200: z.object({ certificate: c.certificateView }) } } }, async (req) => ({ certificate: await s.certificates.liftHold(req.ctx, req.params.id) }));
    app.get(`${BASE}/:id/bundle`, { schema: { tags, summary: "Certificate, chain and (with permission) the private key", params: idParams, response: { 200: z.object({ certificate: z.string(), certificateChain: z.string(), issuingCaCertificate: z.string(), privateKey: z.string().optional(), serialNumber: z.string(), status: c.certificateStatus }) } } }, (req) => s.certificates.bundle(req.ctx, req.params.id));
    app.get(`${BASE}/:id/private-key`, { schema: { tags, summary: "The private key Stamp generated (admin or canReadPrivateKeys; audited)", params: idParams, response: { 200: z.object({ privateKey: z.string() }) } } }, (req) => s.certificates.privateKey(req.ctx, req.params.id));
    app.post(`${BASE}/:id/pkcs12`, { schema: { tags, summary: "PKCS#12 of certificate, chain and key, encrypted with your password", params: idParams, body: c.pkcs12Body } }, async (req, reply) => {
      const p12 = await s.certificates.pkcs12(req.ctx, req.params.id, req.body.password);
      return reply.type("application/x-pkcs12").header("content-disposition", `attachment; filename="${req.params.id}.p12"`).send(Buffer.from(p12));
    });
  };
}
