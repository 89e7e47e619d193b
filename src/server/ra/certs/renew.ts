import { errors } from "../../../errors.js";
import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import { parseCertificate } from "../../../pki/certificate-parse.js";
import type { IssuanceAttributes } from "../../../policy/issuance.js";
import type { CertificateRow, ProfileRow } from "../../store/cert.repo.js";
import type { RequestContext } from "../context.js";
import { issueCertificate, type IssueDeps, type IssueInput } from "./issue.js";

/** A renewal as the API takes it (Infisical's body; every member optional, the body itself too). */
export interface RenewInput {
  renewalKeySource?: "new" | "reuse" | "csr";
  csr?: string;
  removeRootsFromChain?: boolean;
}

/**
 * Renews `c`: a new certificate with the same request and metadata, linked to the old one; a new
 * key by default, the same key on request ("reuse"), or a new CSR ("csr", implied by a csr).
 * Callers have authorized the renewal.
 */
export async function renewCertificate(deps: IssueDeps, ctx: RequestContext, c: CertificateRow, profile: ProfileRow | undefined, body: RenewInput, via?: { method: "api"; actor: { type: string; id: string } }, awaitDelivery = false) {
  if (!profile) throw errors.conflict("The certificate's profile was deleted; issue a new certificate on another profile.");
  if (c.status === "revoked") throw errors.conflict("A revoked certificate cannot be renewed; issue a new one.");
  if (c.renewed_by_id) throw errors.conflict(`This certificate was already renewed by ${c.renewed_by_id}; renew that one.`);
  // An external CA's renewal waits on the CA: a second order while one waits would issue twice.
  const waiting = c.external_ca_id ? await deps.store.external.waitingRenewalOf(c.id) : undefined;
  if (waiting) throw errors.conflict(`A renewal of this certificate is already waiting on its external CA: certificate request ${waiting}.`);
  const req = c.request as { attributes: IssuanceAttributes; removeRootsFromChain?: boolean };
  // The new certificate keeps the request's names and lifetime, not its fixed dates.
  const { notBefore: _nb, notAfter: _na, ...attributes } = req.attributes;
  const lifetime = new Date(c.not_after).getTime() - new Date(c.not_before).getTime();
  const withTtl = attributes.ttl ? attributes : { ...attributes, ttl: `${Math.max(1, Math.round(lifetime / 1000))}s` };
  const input: IssueInput = { profileId: profile.id, attributes: withTtl, removeRootsFromChain: body.removeRootsFromChain ?? req.removeRootsFromChain ?? false, metadata: c.metadata ?? [] };
  if (body.csr) return issueCertificate(deps, ctx, { ...input, csr: body.csr }, { renewedFrom: c, via, awaitDelivery });
  if (c.key_source === "csr") throw errors.validation("This certificate was issued from a CSR; renew it with a new CSR.", [{ field: "csr", code: "required", message: 'Send the CSR for the renewed certificate (the same key or a new one), with renewalKeySource "csr".' }]);
  if (body.renewalKeySource === "reuse") {
    if (!c.key_ref) throw errors.conflict("Stamp does not hold this certificate's key, so it cannot reuse it; renew with a new key or a CSR.");
    const reuseKey = { ref: c.key_ref, spki: parseCertificate(c.certificate).spki, keyAlgorithm: c.key_algorithm as KeyAlgorithm };
    return issueCertificate(deps, ctx, input, { renewedFrom: c, reuseKey, via, awaitDelivery });
  }
  return issueCertificate(deps, ctx, input, { renewedFrom: c, via, awaitDelivery });
}
