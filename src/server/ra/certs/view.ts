import { toPem } from "../../../pki/pem.js";
import type { CertificateRow } from "../../store/cert.repo.js";

/** Derived status: revoked, renewed (a newer certificate replaced it), expired, or active. */
export function certificateStatus(c: CertificateRow, now: Date): "active" | "expired" | "revoked" | "renewed" {
  if (c.status === "revoked") return "revoked";
  if (c.renewed_by_id) return "renewed";
  return new Date(c.not_after) <= now ? "expired" : "active";
}

/** The API view of a certificate row (no key material). */
export function certificateView(c: CertificateRow, now: Date) {
  return {
    id: c.id,
    projectId: c.project_id,
    profileId: c.profile_id,
    caId: c.ca_id,
    serialNumber: c.serial,
    status: certificateStatus(c, now),
    commonName: c.common_name,
    altNames: c.alt_names,
    notBefore: new Date(c.not_before).toISOString(),
    notAfter: new Date(c.not_after).toISOString(),
    keyAlgorithm: c.key_algorithm,
    keyUsages: c.key_usages,
    extendedKeyUsages: c.extended_key_usages,
    keySource: c.key_source,
    renewedFromCertificateId: c.renewed_from_id,
    renewedByCertificateId: c.renewed_by_id,
    revokedAt: c.revoked_at ? new Date(c.revoked_at).toISOString() : null,
    revocationReason: c.revocation_reason,
    autoRenew: c.auto_renew,
    renewBeforeDays: c.renew_before_days,
    renewalFailure: c.renewal_failure,
    renewalFailedAt: c.renewal_failed_at ? new Date(c.renewal_failed_at).toISOString() : null,
    createdAt: new Date(c.created_at).toISOString(),
  };
}

/** The chain without its self-signed root (removeRootsFromChain). */
export function withoutRoot(chainPem: string): string {
  const blocks = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
  return blocks.length > 0 ? blocks.slice(0, -1).join("") : "";
}

/** PEM of a certificate row's DER. */
export const certificatePem = (c: CertificateRow) => toPem(c.certificate, "CERTIFICATE");
