import { errors, isStampError } from "../../../errors.js";
import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import { parseCertificate } from "../../../pki/certificate-parse.js";
import { pemBlocks, toPem } from "../../../pki/pem.js";
import type { IssuanceAttributes } from "../../../policy/issuance.js";
import type { CertificateRow, ProfileRow } from "../../store/cert.repo.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import { requirePrivateKeyAccess, requireProfileAccess } from "./access.js";
import { issueCertificate, type CertDeps, type IssueInput } from "./issue.js";
import { liftHold, revokeCertificate } from "./revoke.js";
import { certificatePem, certificateStatus, certificateView } from "./view.js";
import { isEmptyPatch } from "../merge-patch.js";
import { createDeliveryConfirmations } from "./delivery.js";


/**
 * Renews `c`: a new certificate with the same request, linked to the old one; a new key by
 * default, the same key on request, or a new CSR. Callers have authorized the renewal.
 */
export async function renewCertificate(deps: CertDeps, ctx: RequestContext, c: CertificateRow, profile: ProfileRow | undefined, body: { renewalKeySource: "new" | "reuse"; csr?: string }, via?: { method: "api"; actor: { type: string; id: string } }, awaitDelivery = false) {
  if (!profile) throw errors.conflict("The certificate's profile was deleted; issue a new certificate on another profile.");
  if (c.status === "revoked") throw errors.conflict("A revoked certificate cannot be renewed; issue a new one.");
  if (c.renewed_by_id) throw errors.conflict(`This certificate was already renewed by ${c.renewed_by_id}; renew that one.`);
  const req = c.request as { attributes: IssuanceAttributes; removeRootsFromChain?: boolean };
  // The new certificate keeps the request's names and lifetime, not its fixed dates.
  const { notBefore: _nb, notAfter: _na, ...attributes } = req.attributes;
  const lifetime = new Date(c.not_after).getTime() - new Date(c.not_before).getTime();
  const withTtl = attributes.ttl ? attributes : { ...attributes, ttl: `${Math.max(1, Math.round(lifetime / 1000))}s` };
  const input: IssueInput = { profileId: profile.id, attributes: withTtl, removeRootsFromChain: req.removeRootsFromChain ?? false };
  if (c.key_source === "csr") {
    if (!body.csr) throw errors.validation("This certificate was issued from a CSR; renew it with a new CSR.", [{ field: "csr", code: "required", message: "Send the CSR for the renewed certificate (the same key or a new one)." }]);
    return issueCertificate(deps, ctx, { ...input, csr: body.csr }, { renewedFrom: c, via, awaitDelivery });
  }
  if (body.csr) return issueCertificate(deps, ctx, { ...input, csr: body.csr }, { renewedFrom: c, via, awaitDelivery });
  const reuseKey = body.renewalKeySource === "reuse" ? { ref: c.key_ref, spki: parseCertificate(c.certificate).spki, keyAlgorithm: c.key_algorithm as KeyAlgorithm } : undefined;
  return issueCertificate(deps, ctx, input, { renewedFrom: c, reuseKey, via, awaitDelivery });
}

/** Certificates: issue, preview, read, list, renew, revoke, export. */
export function createCertificates(deps: CertDeps) {
  const { store, rt } = deps;
  const what = (id: string) => ({ type: "Certificate", id });
  const deliveries = createDeliveryConfirmations(store);

  async function load(ctx: RequestContext, id: string): Promise<CertificateRow> {
    const c = await store.cert.certificateById(id);
    if (!c) throw errors.notFound("Certificate", id);
    await requireRole(store, ctx, c.project_id, "viewer", what(id));
    return c;
  }
  /** Loads a certificate the caller may act on (member on its profile). */
  async function loadForChange(ctx: RequestContext, id: string) {
    const c = await load(ctx, id);
    const profile = c.profile_id ? await store.cert.profileById(c.profile_id) : undefined;
    if (profile) await requireProfileAccess(store, ctx, profile, what(id));
    else await requireRole(store, ctx, c.project_id, "admin", what(id));
    return { c, profile };
  }
  async function keyPem(ctx: RequestContext, c: CertificateRow, action: string) {
    if (!c.key_ref) throw errors.conflict("Stamp does not hold this certificate's private key: it was issued from a CSR.");
    await requirePrivateKeyAccess(store, ctx, c.project_id, what(c.id));
    await audit(store, rt, ctx, { projectId: c.project_id, action, objectType: "certificate", objectId: c.id, outcome: "success" });
    return toPem(await deps.leaf.exportSubjectKey(c.key_ref, c.key_algorithm as KeyAlgorithm), "PRIVATE KEY");
  }

  return {
    /** Issues a certificate; its answer is awaited (`confirmDelivery`). */
    issue: (ctx: RequestContext, input: IssueInput) => issueCertificate(deps, ctx, input, { awaitDelivery: true }),
    /** The HTTP answer carrying this certificate was written to its connection (batched). */
    confirmDelivery: deliveries.confirm,
    /** Writes confirmations still queued (at shutdown). */
    flushDeliveries: deliveries.flush,
    /** Runs the whole decision and returns the unsigned certificate, or the violations. */
    preview: (ctx: RequestContext, input: IssueInput) => issueCertificate(deps, ctx, input, { preview: true }),
    /** One certificate (no key material). */
    async get(ctx: RequestContext, id: string) {
      return certificateView(await load(ctx, id), rt.clock());
    },
    /** The certificate as PEM or DER. */
    async raw(ctx: RequestContext, id: string) {
      const c = await load(ctx, id);
      return { der: c.certificate, pem: certificatePem(c) };
    },
    /** A page of a project's certificates, newest first. */
    async list(ctx: RequestContext, q: { projectId: string; status?: "active" | "expired" | "revoked" | "renewed"; profileId?: string; caId?: string; search?: string; expiresBefore?: string; limit: number; cursor?: string }) {
      await requireRole(store, ctx, q.projectId, "viewer", { type: "Project", id: q.projectId });
      // The cursor is the last row's created_at in microseconds (a Date would lose them) and its id.
      let cursor: { createdAtMicros: string; id: string } | undefined;
      if (q.cursor) {
        const m = /^(\d{1,16})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(q.cursor);
        if (!m) throw errors.badRequest("The cursor is not one this server returned.", [{ field: "query.cursor", code: "invalid", message: "Use the nextCursor of a previous page.", value: q.cursor }]);
        cursor = { createdAtMicros: m[1], id: m[2] };
      }
      const now = rt.clock();
      const rows = await store.cert.list({ ...q, expiresBefore: q.expiresBefore ? new Date(q.expiresBefore) : undefined, now, cursor, limit: q.limit });
      const last = rows[rows.length - 1];
      return {
        certificates: rows.map((r) => certificateView(r, now)),
        nextCursor: rows.length === q.limit && last ? `${last.page_key}_${last.id}` : null,
      };
    },
    /** Renews: a new certificate with the same request; a new key by default, the same key on request, or a new CSR. */
    async renew(ctx: RequestContext, id: string, body: { renewalKeySource: "new" | "reuse"; csr?: string }) {
      const { c, profile } = await loadForChange(ctx, id);
      return renewCertificate(deps, ctx, c, profile, body, undefined, true);
    },
    /** The newest certificate of a renewal chain (server-driven renewals included). */
    async latest(ctx: RequestContext, id: string) {
      let c = await load(ctx, id);
      for (let i = 0; i < 1000 && c.renewed_by_id; i++) {
        const next = await store.cert.certificateById(c.renewed_by_id);
        if (!next) break;
        c = next;
      }
      return certificateView(c, rt.clock());
    },
    /** Sets a certificate's own server-driven renewal (null: follow the profile's apiConfig). */
    async setAutoRenew(ctx: RequestContext, id: string, body: { autoRenew?: boolean | null; renewBeforeDays?: number | null }) {
      const { c } = await loadForChange(ctx, id);
      // An empty PATCH changes nothing (and must not become an UPDATE with an empty SET).
      if (isEmptyPatch(body)) return certificateView(c, rt.clock());
      if (body.autoRenew && c.key_source !== "server") throw errors.conflict("Stamp can renew only certificates whose key it holds; this one was issued from a CSR (use the agent, or ACME).");
      const lifetimeDays = (new Date(c.not_after).getTime() - new Date(c.not_before).getTime()) / 86_400_000;
      if (body.renewBeforeDays && body.renewBeforeDays >= lifetimeDays) {
        throw errors.validation("The renewal window must be shorter than the certificate's lifetime.", [{ field: "renewBeforeDays", code: "window_too_long", message: `Must be below ${Math.floor(lifetimeDays)} days, the certificate's lifetime.`, value: body.renewBeforeDays }]);
      }
      await store.transaction(async (tx) => {
        await tx.cert.setAutoRenew(id, body);
        await audit(tx, rt, ctx, { projectId: c.project_id, action: "certificate.auto-renew", objectType: "certificate", objectId: id, outcome: "success", detail: body });
      });
      return certificateView((await store.cert.certificateById(id))!, rt.clock());
    },
    /** Revokes with an RFC 5280 reason; CERTIFICATE_HOLD can be lifted later. */
    async revoke(ctx: RequestContext, id: string, body: { revocationReason: string; invalidityDate?: string }) {
      const { c } = await loadForChange(ctx, id);
      return certificateView(await revokeCertificate(deps, ctx, c, { reason: body.revocationReason, invalidityDate: body.invalidityDate }), rt.clock());
    },
    /** Lifts a certificateHold: the certificate is valid again. */
    async liftHold(ctx: RequestContext, id: string) {
      const { c } = await loadForChange(ctx, id);
      return certificateView(await liftHold(deps, ctx, c), rt.clock());
    },
    /** Certificate, chain and — when the caller may read it — the private key. */
    async bundle(ctx: RequestContext, id: string) {
      const c = await load(ctx, id);
      let privateKey: string | undefined;
      if (c.key_ref) {
        try {
          privateKey = await keyPem(ctx, c, "certificate.bundle-with-key");
        } catch (e) {
          if (!isStampError(e, "forbidden")) throw e;
        }
      }
      const blocks = pemBlocks(c.chain_pem);
      return {
        certificate: certificatePem(c),
        certificateChain: c.chain_pem,
        issuingCaCertificate: blocks.length ? toPem(blocks[0].der, "CERTIFICATE") : certificatePem(c),
        privateKey,
        serialNumber: c.serial,
        status: certificateStatus(c, rt.clock()),
      };
    },
    /** The private key (its own permission; audited). */
    async privateKey(ctx: RequestContext, id: string) {
      return { privateKey: await keyPem(ctx, await load(ctx, id), "certificate.private-key") };
    },
    /** A PKCS#12 file of certificate, chain and key, protected by the caller's password. */
    async pkcs12(ctx: RequestContext, id: string, password: string) {
      const c = await load(ctx, id);
      if (!c.key_ref) throw errors.conflict("Stamp does not hold this certificate's private key: it was issued from a CSR.");
      await requirePrivateKeyAccess(store, ctx, c.project_id, what(id));
      await audit(store, rt, ctx, { projectId: c.project_id, action: "certificate.pkcs12", objectType: "certificate", objectId: id, outcome: "success" });
      return deps.leaf.buildPkcs12(c.certificate, pemBlocks(c.chain_pem).map((b) => b.der), c.key_ref, c.key_algorithm as KeyAlgorithm, password);
    },
  };
}
