import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import type { FastifyReply, FastifyRequest } from "fastify";
import { Readable } from "node:stream";
import { z } from "zod";
import { idParams } from "../../contract/common.js";
import { caCrl } from "../../contract/ca.js";
import type { Services } from "./services.js";

/** Bytes of DER per PEM block written: 64-character lines hold 48 bytes each. */
const PEM_BLOCK = 48 * 1024;

/** PEM of a CRL, a block at a time, so a 53 MB CRL is never a 72 MB string (OpenSSL 3 reads only this label, STACK.md). */
function* pemOf(der: Buffer): Generator<string> {
  yield "-----BEGIN X509 CRL-----\n";
  for (let at = 0; at < der.length; at += PEM_BLOCK) {
    yield der.subarray(at, at + PEM_BLOCK).toString("base64").replace(/.{1,64}/g, "$&\n");
  }
  yield "-----END X509 CRL-----\n";
}

/** Sends a CRL with validators and caching up to its nextUpdate (RFC 5280 §5; RFC 7232). */
function sendCrl(req: FastifyRequest, reply: FastifyReply, row: { id: string; der: Buffer; this_update: Date; next_update: Date }, format: "der" | "pem", now: Date) {
  const etag = `"${row.id}"`;
  const maxAge = Math.max(0, Math.floor((new Date(row.next_update).getTime() - now.getTime()) / 1000));
  reply.header("etag", etag).header("last-modified", new Date(row.this_update).toUTCString()).header("cache-control", `public, max-age=${maxAge}, no-transform`);
  if (req.headers["if-none-match"] === etag) return reply.code(304).send();
  // The body is the per-server cached buffer (ra/revocation/crls.ts): sent as it is, not copied.
  if (format === "pem") return reply.type("application/x-pem-file").send(row.der.length <= PEM_BLOCK ? [...pemOf(row.der)].join("") : Readable.from(pemOf(row.der)));
  return reply.type("application/pkix-crl").send(row.der);
}

/** CRLs served without authentication at the URLs certificates carry (also on the plain-HTTP listener). */
export function crlPublicRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    const tags = ["revocation"];
    // Not strict: relying parties and caches may add query parameters to a CRL URL; they are ignored.
    const format = z.object({ format: z.enum(["der", "pem"]).default("der") });
    app.get("/api/v1/cert-manager/crl/:id", { schema: { tags, summary: "The latest full CRL of a CA key (no authentication; the CRL distribution point)", params: idParams, querystring: format, security: [] } }, async (req, reply) =>
      sendCrl(req, reply, await s.crls.latest(req.params.id, false), req.query.format, new Date()),
    );
    app.get("/api/v1/cert-manager/crl/:id/der", { schema: { tags, summary: "The latest full CRL of a CA key as DER, at Infisical's path (no authentication)", params: idParams, security: [] } }, async (req, reply) =>
      sendCrl(req, reply, await s.crls.latest(req.params.id, false), "der", new Date()),
    );
    app.get("/api/v1/cert-manager/crl/:id/delta", { schema: { tags, summary: "The latest delta CRL of a CA key (no authentication; the Freshest CRL pointer)", params: idParams, querystring: format, security: [] } }, async (req, reply) =>
      sendCrl(req, reply, await s.crls.latest(req.params.id, true), req.query.format, new Date()),
    );
    app.get("/api/v1/cert-manager/crl/archive/:id", { schema: { tags, summary: "One published CRL, kept for audit (no authentication)", params: idParams, querystring: format, security: [] } }, async (req, reply) =>
      sendCrl(req, reply, await s.crls.archived(req.params.id), req.query.format, new Date()),
    );
  };
}

/** CRLs: served without authentication at the URLs certificates carry; listed per CA. */
export function crlRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    await app.register(crlPublicRoutes(s));
    app.get("/api/v1/cert-manager/ca/internal/:id/crls", {
      schema: { tags: ["certificate authorities"], summary: "The latest full CRL of each of the CA's keys, as PEM (Infisical's [{id, crl}])", params: idParams, response: { 200: z.array(caCrl) } },
    }, (req) => s.crls.current(req.ctx, req.params.id));
    app.get("/api/v1/cert-manager/crl/:id/crl", {
      schema: { tags: ["certificate authorities"], summary: "The latest full CRL of a CA's active key, as PEM (Infisical's { crl }; :id is the CA's id)", params: idParams, response: { 200: caCrl } },
    }, (req) => s.crls.ofCa(req.ctx, req.params.id));
    app.get("/api/v1/cert-manager/ca/internal/:id/crls/archive", {
      schema: {
        tags: ["certificate authorities"],
        summary: "Every CRL the CA published, newest first (kept for audit)",
        params: idParams,
        querystring: z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(50) }),
        response: { 200: z.object({ crls: z.array(z.object({ id: z.string(), caKeyId: z.string(), crlNumber: z.string(), deltaCrlBase: z.string().nullable(), thisUpdate: z.string(), nextUpdate: z.string(), entries: z.number(), url: z.string(), downloadUrl: z.string() })) }) },
      },
    }, async (req) => ({ crls: await s.crls.list(req.ctx, req.params.id, req.query.limit) }));
    app.post("/api/v1/cert-manager/ca/internal/:id/crls", {
      schema: {
        tags: ["certificate authorities"],
        summary: "Rebuild the CA's CRLs now (admins)",
        params: idParams,
        response: { 200: z.object({ results: z.array(z.object({ caKeyId: z.string(), status: z.enum(["built", "busy"]), fullCrlNumber: z.string().nullable(), deltaCrlNumber: z.string().nullable(), entries: z.number().nullable() })) }) },
      },
    }, async (req) => ({ results: await s.crls.rebuild(req.ctx, req.params.id) }));
  };
}
