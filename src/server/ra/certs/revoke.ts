import { errors } from "../../../errors.js";
import { reasonCode } from "../../../pki/revocation-reasons.js";
import type { CertificateRow } from "../../store/cert.repo.js";
import { audit } from "../audit.js";
import type { RequestContext } from "../context.js";
import type { CertDeps } from "./issue.js";
import type { RevokeStore } from "./ports.js";

/** What a revocation or a lifted hold needs: the store, the clock, and who to tell afterwards. */
export type RevokeDeps = Pick<CertDeps, "rt" | "onRevocationChange" | "onEvent" | "external"> & { store: RevokeStore };

/** A revocation as every front end (REST, ACME) asks for it. */
export interface RevokeInput {
  /** An RFC 5280 §5.3.1 reason, by the API's name (KEY_COMPROMISE, CERTIFICATE_HOLD…). */
  reason: string;
  /** When the key was (or may have been) compromised (RFC 5280 §5.3.2), as given. */
  invalidityDate?: string | null;
  /** Extra audit detail (e.g. `{ via: "acme" }`). */
  detail?: Record<string, unknown>;
}

/**
 * The one revocation use case (REST, ACME): checks the certificate may still be revoked,
 * records the revocation with the CA's next CRL sequence, audits it, then — after commit —
 * tells the CRL/OCSP side and raises the `revoked` alert event. The caller has authorized it.
 */
export async function revokeCertificate(deps: RevokeDeps, ctx: RequestContext, c: CertificateRow, input: RevokeInput): Promise<CertificateRow> {
  // A certificate on hold may still be revoked for good (RFC 5280 §5.3.1 certificateHold).
  if (c.status === "revoked" && c.revocation_reason !== "CERTIFICATE_HOLD") {
    throw errors.conflict(`The certificate is already revoked (${c.revocation_reason}).`);
  }
  const now = deps.rt.clock();
  const invalidityDate = input.invalidityDate ? new Date(input.invalidityDate) : null;
  if (invalidityDate && invalidityDate > now) {
    throw errors.validation("The invalidity date is in the future.", [{ field: "invalidityDate", code: "in_the_future", message: "The invalidity date says when the key was (or is suspected to have been) compromised; it cannot be in the future.", value: input.invalidityDate }]);
  }
  if (c.external_ca_id) {
    // The external CA publishes the revocation (its CRL and OCSP); Stamp records it once the CA accepted it.
    if (input.reason === "CERTIFICATE_HOLD") throw errors.validation("An external ACME CA cannot put a certificate on hold.", [{ field: "revocationReason", code: "not_supported_by_ca", message: "ACME revocation (RFC 8555 §7.6) is final: choose another reason.", value: input.reason }]);
    if (!deps.external) throw errors.conflict("External CAs are not available on this server.");
    await deps.external.revokeAtCa(c, input.reason);
  }
  await deps.store.transaction(async (tx) => {
    const seq = c.ca_id ? await tx.cert.nextRevocationSeq(c.ca_id) : null;
    await tx.cert.revoke(c.id, { at: now, reason: input.reason, invalidityDate, seq });
    await audit(tx, deps.rt, ctx, { projectId: c.project_id, action: "certificate.revoke", objectType: "certificate", objectId: c.id, outcome: "success", detail: { reason: input.reason, reasonCode: reasonCode(input.reason), serial: c.serial, ...input.detail } });
  });
  if (c.ca_id) deps.onRevocationChange?.(c.ca_id);
  await deps.onEvent?.({ type: "revoked", certificateId: c.id, projectId: c.project_id, reason: input.reason, profileId: c.profile_id });
  return (await deps.store.cert.certificateById(c.id))!;
}

/** Releases a certificateHold: the certificate is valid again, and CRLs and OCSP say so. The caller has authorized it. */
export async function liftHold(deps: RevokeDeps, ctx: RequestContext, c: CertificateRow): Promise<CertificateRow> {
  if (c.status !== "revoked" || c.revocation_reason !== "CERTIFICATE_HOLD") throw errors.conflict("Only a certificate on hold (CERTIFICATE_HOLD) can be released.");
  const now = deps.rt.clock();
  await deps.store.transaction(async (tx) => {
    const seq = c.ca_id ? await tx.cert.nextRevocationSeq(c.ca_id) : null;
    await tx.cert.releaseHold(c.id, now, seq);
    await audit(tx, deps.rt, ctx, { projectId: c.project_id, action: "certificate.lift-hold", objectType: "certificate", objectId: c.id, outcome: "success", detail: { serial: c.serial } });
  });
  if (c.ca_id) deps.onRevocationChange?.(c.ca_id);
  return (await deps.store.cert.certificateById(c.id))!;
}
