import { errors, isStampError } from "../../../errors.js";
import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import { pemBlocks, toPem } from "../../../pki/pem.js";
import type { CertificateRow } from "../../store/cert.repo.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import { requirePrivateKeyAccess } from "./access.js";
import { issueCertificate, type CertDeps, type IssueInput } from "./issue.js";
import { renewCertificate, type RenewInput } from "./renew.js";
import { liftHold, revokeCertificate } from "./revoke.js";
import { certificatePem } from "./view.js";
import { isEmptyPatch } from "../merge-patch.js";
import { createDeliveryConfirmations } from "./delivery.js";
import { createCertificateLookup } from "./lookup.js";

/** Certificates: issue, preview, read, list, renew, revoke, export. */
export function createCertificates(deps: CertDeps) {
  const { store, rt } = deps;
  const what = (id: string) => ({ type: "Certificate", id });
  const deliveries = createDeliveryConfirmations(store);
  const { load, loadForChange, view, bySerial } = createCertificateLookup(deps);

  async function keyPem(ctx: RequestContext, c: CertificateRow, action: string) {
    if (!c.key_ref) throw errors.conflict(c.key_source === "imported" ? "This certificate was imported without its private key." : "Stamp does not hold this certificate's private key: it was issued from a CSR.");
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
    /** The certificate id a G1 serial number names (the newest with that serial the caller may see). */
    idOfSerial: async (ctx: RequestContext, serial: string, opts: { deleted?: boolean } = {}) => (await bySerial(ctx, serial, opts)).id,
    /** One certificate (no key material). */
    async get(ctx: RequestContext, id: string) {
      return view(await load(ctx, id));
    },
    /** The certificate with its chain (Infisical's JSON), and its DER and PEM. */
    async raw(ctx: RequestContext, id: string) {
      const c = await load(ctx, id);
      return { der: c.certificate, pem: certificatePem(c), certificateChain: c.chain_pem, serialNumber: c.serial };
    },
    /** A page of a project's certificates, newest first. */
    async list(ctx: RequestContext, q: { projectId: string; status?: "active" | "expired" | "revoked" | "renewed"; profileId?: string; caId?: string; search?: string; expiresBefore?: string; metadata?: string | string[]; limit: number; cursor?: string }) {
      await requireRole(store, ctx, q.projectId, "viewer", { type: "Project", id: q.projectId });
      // The cursor is the last row's created_at in microseconds (a Date would lose them) and its id.
      let cursor: { createdAtMicros: string; id: string } | undefined;
      if (q.cursor) {
        const m = /^(\d{1,16})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(q.cursor);
        if (!m) throw errors.badRequest("The cursor is not one this server returned.", [{ field: "query.cursor", code: "invalid", message: "Use the nextCursor of a previous page.", value: q.cursor }]);
        cursor = { createdAtMicros: m[1], id: m[2] };
      }
      const metadata = (q.metadata === undefined ? [] : Array.isArray(q.metadata) ? q.metadata : [q.metadata]).map((m) => {
        const i = m.indexOf("=");
        return i < 0 ? { key: m } : { key: m.slice(0, i), value: m.slice(i + 1) };
      });
      const now = rt.clock();
      const rows = await store.cert.list({ ...q, metadata, expiresBefore: q.expiresBefore ? new Date(q.expiresBefore) : undefined, now, cursor, limit: q.limit });
      const last = rows[rows.length - 1];
      return {
        certificates: await Promise.all(rows.map((r) => view(r, now))),
        nextCursor: rows.length === q.limit && last ? `${last.page_key}_${last.id}` : null,
      };
    },
    /** Renews: a new certificate with the same request; a new key by default, the same key on request, or a new CSR. */
    async renew(ctx: RequestContext, id: string, body: RenewInput) {
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
      return view(c);
    },
    /** PATCH: replaces the metadata, and sets the certificate's own server-driven renewal (null: follow the profile's apiConfig). */
    async update(ctx: RequestContext, id: string, body: { metadata?: { key: string; value: string }[]; autoRenew?: boolean | null; renewBeforeDays?: number | null }) {
      const { c } = await loadForChange(ctx, id);
      // An empty PATCH changes nothing (and must not become an UPDATE with an empty SET).
      if (isEmptyPatch(body)) return view(c);
      const { metadata, ...renewal } = body;
      if (renewal.autoRenew && c.key_source !== "server") throw errors.conflict("Stamp can renew only certificates whose key it made; this one was issued from a CSR or imported (use the agent, or ACME).");
      const lifetimeDays = (new Date(c.not_after).getTime() - new Date(c.not_before).getTime()) / 86_400_000;
      if (renewal.renewBeforeDays && renewal.renewBeforeDays >= lifetimeDays) {
        throw errors.validation("The renewal window must be shorter than the certificate's lifetime.", [{ field: "renewBeforeDays", code: "window_too_long", message: `Must be below ${Math.floor(lifetimeDays)} days, the certificate's lifetime.`, value: renewal.renewBeforeDays }]);
      }
      await store.transaction(async (tx) => {
        if (metadata) await tx.certInventory.setMetadata(id, metadata);
        await tx.cert.setAutoRenew(id, renewal);
        await audit(tx, rt, ctx, { projectId: c.project_id, action: metadata ? "certificate.update" : "certificate.auto-renew", objectType: "certificate", objectId: id, outcome: "success", detail: { ...renewal, ...(metadata ? { metadataKeys: metadata.map((m) => m.key).slice(0, 50) } : {}) } });
      });
      return view((await store.cert.certificateById(id))!);
    },
    /** Revokes with an RFC 5280 reason; CERTIFICATE_HOLD can be lifted later. `id` may be a thumbprint; a deleted certificate can still be revoked. */
    async revoke(ctx: RequestContext, id: string, body: { revocationReason: string; invalidityDate?: string }) {
      const { c } = await loadForChange(ctx, id, { deleted: true });
      if (c.key_source === "imported") throw errors.conflict("Stamp did not issue this imported certificate, so it cannot revoke it; ask its issuer.");
      const r = await revokeCertificate(deps, ctx, c, { reason: body.revocationReason, invalidityDate: body.invalidityDate });
      return { message: "Successfully revoked certificate", serialNumber: r.serial, revokedAt: new Date(r.revoked_at!).toISOString(), certificate: await view(r) };
    },
    /** Lifts a certificateHold: the certificate is valid again. */
    async liftHold(ctx: RequestContext, id: string) {
      const { c } = await loadForChange(ctx, id);
      return view(await liftHold(deps, ctx, c));
    },
    /** Certificate, chain and — when the caller may read it — the private key (else null). */
    async bundle(ctx: RequestContext, id: string) {
      const c = await load(ctx, id);
      let privateKey: string | null = null;
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
        privateKey,
        serialNumber: c.serial,
        issuingCaCertificate: blocks.length ? toPem(blocks[0].der, "CERTIFICATE") : certificatePem(c),
        status: (await view(c)).lifecycleStatus,
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
