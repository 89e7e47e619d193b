import { errors } from "../../../errors.js";
import type { RequestContext } from "../context.js";
import { issueCertificate, type CertDeps, type IssueInput } from "./issue.js";
import { renewCertificate, type RenewInput } from "./renew.js";
import { liftHold, revokeCertificate } from "./revoke.js";
import { certificatePem } from "./view.js";
import { createDeliveryConfirmations } from "./delivery.js";
import { createCertificateLookup } from "./lookup.js";
import { createKeyExports } from "./key-export.js";
import { listCertificates, type ListQuery } from "./list.js";
import { updateCertificate, type CertificateUpdate } from "./update.js";

/** Certificates: issue, preview, read, list, renew, revoke, export. */
export function createCertificates(deps: CertDeps) {
  const { store } = deps;
  const deliveries = createDeliveryConfirmations(store);
  const lookup = createCertificateLookup(deps);
  const { load, loadForChange, view, bySerial } = lookup;

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
    list: (ctx: RequestContext, q: ListQuery) => listCertificates(deps, lookup, ctx, q),
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
    update: (ctx: RequestContext, id: string, body: CertificateUpdate) => updateCertificate(deps, lookup, ctx, id, body),
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
    ...createKeyExports(deps, lookup),
  };
}
