import type { FastifyPluginAsyncZod, ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import * as c from "../../contract/certificates.js";
import * as shapes from "../../contract/certificate-shapes.js";
import { idParams } from "../../contract/common.js";
import type { FastifyReply, FastifyRequest } from "fastify";
import type { Services } from "./services.js";
import { sendCertificate, sendPrivateKey } from "./certificate-replies.js";

const BASE = "/api/v1/cert-manager/certificates";

/** The Idempotency-Key header of a request (one value), if any. */
function keyOf(req: FastifyRequest): string | undefined {
  const v = req.headers["idempotency-key"];
  return Array.isArray(v) ? v.join(",") : v;
}

const bundle = z.object({ certificate: z.string(), certificateChain: z.string(), privateKey: z.string().nullable(), serialNumber: z.string(), issuingCaCertificate: z.string(), status: z.enum(["active", "expired", "revoked", "renewed"]) });
const revoked = z.object({ message: z.string(), serialNumber: z.string(), revokedAt: z.string(), certificate: c.certificateView });

/** Leaf certificates: issue, preview, read, list, renew, revoke, export, delete, import (Infisical's shapes). */
export function certificateRoutes(s: Services): FastifyPluginAsyncZod {
  /** Runs a signing or revoking use case once per Idempotency-Key; a replayed answer says so. */
  const once = async <T>(req: FastifyRequest, reply: FastifyReply, operation: string, request: unknown, fn: () => Promise<T>, issues = false): Promise<T> => {
    const r = await s.idempotency.run(req.ctx, keyOf(req), operation, request, fn);
    if (r.replayed) reply.header("idempotent-replayed", "true");
    // "finish": the answer's last byte went to the connection; a crash or a dropped client before
    // that leaves the certificate unconfirmed for crash reconciliation (docs/operations.md).
    const v = r.value as { certificate?: { certificateId?: string } | string | null; certificateId?: string };
    const id = issues ? (typeof v.certificate === "object" && v.certificate ? v.certificate.certificateId : v.certificateId) : undefined;
    if (id) reply.raw.once("finish", () => s.certificates.confirmDelivery(id));
    return r.value;
  };
  return async (app) => {
    const tags = ["certificates"];
    const idOrThumb = shapes.idOrThumbprintParams;
    app.post(BASE, { schema: { tags, summary: "Issue a certificate, from a CSR or with a server-generated key", body: c.issueBody, response: { 200: c.issueResponse, 202: c.issueResponse } } }, async (req, reply) => {
      const r = (await once(req, reply, "issue", req.body, () => s.certificates.issue(req.ctx, req.body), true)) as z.infer<typeof c.issueResponse>;
      // A profile on an external CA answers at once with the request it queued (issue 11).
      if (r.status === "pending") reply.code(202);
      return r;
    });
    // Infisical's deprecated, hidden G2 variants: flat bodies, read into the issue body by their
    // schemas, through the one issue path; the flat G1-style answer.
    const flatIssue = async (req: FastifyRequest & { body: z.infer<typeof c.deprecatedIssueBody> | z.infer<typeof c.deprecatedSignBody> }, reply: FastifyReply) => {
      const r = (await once(req, reply, "issue", req.body, () => s.certificates.issue(req.ctx, req.body), true)) as z.infer<typeof c.issueResponse>;
      return { ...r.certificate!, certificateRequestId: r.certificateRequestId };
    };
    app.post(`${BASE}/issue-certificate`, { schema: { tags, hide: true, summary: "Issue (deprecated: POST /certificates)", body: c.deprecatedIssueBody } }, flatIssue);
    app.post(`${BASE}/sign-certificate`, { schema: { tags, hide: true, summary: "Sign a CSR (deprecated: POST /certificates)", body: c.deprecatedSignBody } }, flatIssue);
    app.post(`${BASE}/preview`, { schema: { tags, summary: "Dry run: the certificate that would be issued (unsigned), or every violation", body: c.issueBody, response: { 200: z.object({ preview: c.previewResponse }) } } }, (req) => s.certificates.preview(req.ctx, req.body) as Promise<{ preview: z.infer<typeof c.previewResponse> }>);
    app.post(`${BASE}/import-certificate`, { schema: { tags, summary: "Import a certificate Stamp did not issue, with its key and chain when given", body: shapes.importCertificateBody, response: { 200: z.object({ certificateId: z.string(), certificate: z.string(), certificateChain: z.string().nullable(), serialNumber: z.string() }) } } }, (req) => s.certificateInventory.importCertificate(req.ctx, req.body));
    app.get(BASE, { schema: { tags, summary: "List and search a project's certificates (newest first, cursor pagination)", querystring: c.listCertificatesQuery, response: { 200: z.object({ certificates: z.array(c.certificateView), nextCursor: z.string().nullable() }) } } }, (req) => s.certificates.list(req.ctx, req.query));
    app.get(`${BASE}/:id`, { schema: { tags, params: idOrThumb, response: { 200: z.object({ certificate: c.certificateView }) } } }, async (req) => ({ certificate: await s.certificates.get(req.ctx, req.params.id) }));
    app.get(`${BASE}/:id/certificate`, { schema: { tags, summary: "JSON {certificate, certificateChain, serialNumber}; PEM to Accept: application/x-pem-file or ?format=pem; DER to Accept: application/pkix-cert or ?format=der", params: idOrThumb, querystring: z.strictObject({ format: z.enum(["json", "pem", "der"]).optional() }) } }, async (req, reply) => sendCertificate(req, reply, await s.certificates.raw(req.ctx, req.params.id), req.query.format));
    // Infisical's renew body is nullable: an empty JSON body here means `{}` (elsewhere it is refused).
    await app.register(async (plain) => {
      const sub = plain.withTypeProvider<ZodTypeProvider>();
      const json = sub.getDefaultJsonParser("error", "error");
      sub.removeContentTypeParser("application/json");
      sub.addContentTypeParser("application/json", { parseAs: "string" }, (req, body, done) => (body === "" ? done(null, null) : json(req, body as string, done)));
      sub.post(`${BASE}/:id/renew`, { schema: { tags, summary: "Renew (new key by default; reuse, or a new CSR); the body may be empty or null", params: idOrThumb, body: c.renewBody, response: { 200: c.renewResponse, 202: c.issueResponse } } }, async (req, reply) => {
        const r = await once(req, reply, `renew ${req.params.id}`, req.body ?? {}, async () => {
          const x = await s.certificates.renew(req.ctx, req.params.id, req.body ?? {});
          // A profile on an external CA answers with the request it queued (issue 11).
          if (!x.certificate) return { certificate: null, certificateRequestId: x.certificateRequestId!, status: "pending" as const };
          return { ...x.certificate, certificateRequestId: x.certificateRequestId! };
        }, true);
        if ("status" in r && r.status === "pending") return reply.code(202).send(r);
        return r as z.infer<typeof c.renewResponse>;
      });
    });
    app.get(`${BASE}/:id/latest`, { schema: { tags, summary: "The newest certificate of this certificate's renewal chain", params: idOrThumb, response: { 200: z.object({ certificate: c.certificateView }) } } }, async (req) => ({ certificate: await s.certificates.latest(req.ctx, req.params.id) }));
    app.patch(`${BASE}/:id`, { schema: { tags, summary: "Replace the metadata (Infisical), or set this certificate's server-driven renewal", params: idOrThumb, body: c.autoRenewBody, response: { 200: z.object({ metadata: shapes.metadataList, certificate: c.certificateView }) } } }, async (req) => {
      const certificate = await s.certificates.update(req.ctx, req.params.id, req.body);
      return { metadata: certificate.metadata, certificate };
    });
    app.patch(`${BASE}/:id/config`, { schema: { tags, summary: "Infisical's renewal config: renewBeforeDays 1-30, enableAutoRenewal", params: idOrThumb, body: shapes.certificateConfigBody, response: { 200: z.object({ message: z.string(), renewBeforeDays: z.number().int().optional(), certificate: c.certificateView }) } } }, async (req) => {
      const certificate = await s.certificates.update(req.ctx, req.params.id, { autoRenew: req.body.enableAutoRenewal, renewBeforeDays: req.body.renewBeforeDays });
      return { message: "Successfully updated certificate renewal configuration", ...(certificate.renewBeforeDays !== null ? { renewBeforeDays: certificate.renewBeforeDays } : {}), certificate };
    });
    app.delete(`${BASE}/:id`, { schema: { tags, summary: "Take the certificate out of the inventory (it stays on CRLs and can still be revoked)", params: idOrThumb, response: { 200: z.object({ certificate: c.certificateView }) } } }, async (req) => ({ certificate: await s.certificateInventory.remove(req.ctx, req.params.id) }));
    app.post(`${BASE}/:id/revoke`, { schema: { tags, summary: "Revoke with an RFC 5280 reason; :id is a UUID or a SHA-1/SHA-256 thumbprint", params: idOrThumb, body: c.revokeBody, response: { 200: revoked } } }, (req, reply) => once(req, reply, `revoke ${req.params.id}`, req.body, () => s.certificates.revoke(req.ctx, req.params.id, req.body)));
    app.post(`${BASE}/:id/lift-hold`, { schema: { tags, summary: "Release a CERTIFICATE_HOLD", params: idParams, response: { 200: z.object({ certificate: c.certificateView }) } } }, async (req) => ({ certificate: await s.certificates.liftHold(req.ctx, req.params.id) }));
    app.get(`${BASE}/:id/bundle`, { schema: { tags, summary: "Certificate, chain and (with permission) the private key, else null", params: idOrThumb, response: { 200: bundle } } }, (req) => s.certificates.bundle(req.ctx, req.params.id));
    app.get(`${BASE}/:id/private-key`, { schema: { tags, summary: "The private key Stamp holds, PEM (no-cache); JSON {privateKey} to Accept: application/json (admin or canReadPrivateKeys; audited)", params: idOrThumb } }, async (req, reply) => sendPrivateKey(req, reply, (await s.certificates.privateKey(req.ctx, req.params.id)).privateKey));
    app.post(`${BASE}/:id/pkcs12`, { schema: { tags, summary: "PKCS#12 of certificate, chain and key, encrypted with your password", params: idOrThumb, body: c.pkcs12Body } }, async (req, reply) => {
      const p12 = await s.certificates.pkcs12(req.ctx, req.params.id, req.body.password);
      return reply.type("application/x-pkcs12").header("content-disposition", `attachment; filename="${req.params.id}.p12"`).send(Buffer.from(p12));
    });
  };
}
