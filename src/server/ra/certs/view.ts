import { createHash } from "node:crypto";
import { parseCertificate, type ParsedCertificate } from "../../../pki/certificate-parse.js";
import { toPem } from "../../../pki/pem.js";
import { reasonCode } from "../../../pki/revocation-reasons.js";
import type { CertificateRow } from "../../store/cert.repo.js";

/** Derived status: revoked, renewed (a newer certificate replaced it), expired, or active. */
export function certificateStatus(c: CertificateRow, now: Date): "active" | "expired" | "revoked" | "renewed" {
  if (c.status === "revoked") return "revoked";
  if (c.renewed_by_id) return "renewed";
  return new Date(c.not_after) <= now ? "expired" : "active";
}

/**
 * The status every view of a certificate reports, the API's and the alerts' alike: `status` as
 * Infisical spells it (active, expired or revoked; a renewed certificate is still active) and
 * `lifecycleStatus` (also renewed).
 */
export function statusView(c: CertificateRow, now: Date) {
  const lifecycle = certificateStatus(c, now);
  return { status: lifecycle === "renewed" ? ("active" as const) : lifecycle, lifecycleStatus: lifecycle };
}

/** Infisical's CertSignatureAlgorithm names by signature OID. */
const SIGNATURE_NAMES: Record<string, string> = {
  "1.2.840.113549.1.1.11": "RSA-SHA256",
  "1.2.840.113549.1.1.12": "RSA-SHA384",
  "1.2.840.113549.1.1.13": "RSA-SHA512",
  "1.2.840.10045.4.3.2": "ECDSA-SHA256",
  "1.2.840.10045.4.3.3": "ECDSA-SHA384",
  "1.2.840.10045.4.3.4": "ECDSA-SHA512",
  "1.3.101.112": "ED25519",
};

/** What the view reads from the DER; a row whose DER does not parse (never one Stamp wrote) shows the columns alone. */
function parsed_(der: Uint8Array): Pick<ParsedCertificate, "subjectFields" | "signatureOid" | "isCa" | "pathLength"> {
  try {
    return parseCertificate(der);
  } catch {
    return { subjectFields: { commonName: "" }, signatureOid: "", isCa: false, pathLength: null };
  }
}

/** Names shown beside a certificate's ids (either may be gone). */
export interface ViewNames {
  profileName: string | null;
  caName: string | null;
}

const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);
const hex = (alg: "sha1" | "sha256", der: Uint8Array) => createHash(alg).update(der).digest("hex");

/** The API view of a certificate row (no key material): Infisical's §1.5 fields, then Stamp's. */
export function certificateView(c: CertificateRow, now: Date, names: ViewNames = { profileName: null, caName: null }) {
  const parsed = parsed_(c.certificate);
  const f = parsed.subjectFields;
  const subject = {
    commonName: c.common_name,
    organization: f.organization ?? null,
    organizationalUnit: f.ou ?? null,
    country: f.country ?? null,
    state: f.province ?? null,
    locality: f.locality ?? null,
    domainComponents: f.domainComponent ? [f.domainComponent] : [],
  };
  const { status, lifecycleStatus } = statusView(c, now);
  const fingerprints = { sha256: hex("sha256", c.certificate), sha1: hex("sha1", c.certificate) };
  const updated = [c.created_at, c.revoked_at, c.hold_released_at, c.renewal_failed_at].filter((d): d is Date => !!d).map((d) => new Date(d).getTime());
  const request = c.request as { imported?: boolean };
  return {
    id: c.id,
    createdAt: new Date(c.created_at).toISOString(),
    updatedAt: new Date(Math.max(...updated)).toISOString(),
    status,
    serialNumber: c.serial,
    friendlyName: c.common_name,
    commonName: c.common_name,
    notBefore: new Date(c.not_before).toISOString(),
    notAfter: new Date(c.not_after).toISOString(),
    projectId: c.project_id,
    caId: c.ca_id,
    caCertId: c.ca_certificate_id,
    certificateTemplateId: null,
    pkiSubscriberId: null,
    profileId: c.profile_id,
    revokedAt: iso(c.revoked_at),
    revocationReason: c.revocation_reason ? reasonCode(c.revocation_reason) : null,
    altNames: c.alt_names.map((a) => a.value).join(","),
    keyUsages: c.key_usages,
    extendedKeyUsages: c.extended_key_usages,
    renewBeforeDays: c.renew_before_days,
    renewedFromCertificateId: c.renewed_from_id,
    renewedByCertificateId: c.renewed_by_id,
    renewalError: c.renewal_failure,
    keyAlgorithm: c.key_algorithm,
    signatureAlgorithm: SIGNATURE_NAMES[parsed.signatureOid] ?? parsed.signatureOid,
    fingerprintSha256: fingerprints.sha256,
    fingerprintSha1: fingerprints.sha1,
    isCA: parsed.isCa,
    pathLength: parsed.pathLength,
    subjectOrganization: subject.organization,
    subjectOrganizationalUnit: subject.organizationalUnit,
    subjectCountry: subject.country,
    subjectState: subject.state,
    subjectLocality: subject.locality,
    subject,
    fingerprints,
    basicConstraints: { isCA: parsed.isCa, pathLength: parsed.pathLength },
    caName: names.caName,
    caType: c.ca_id ? ("internal" as const) : request.imported ? ("external" as const) : null,
    externalMetadata: null,
    profileName: names.profileName,
    applicationName: null,
    hasPrivateKey: c.key_ref !== null,
    latestRenewalCertificateId: c.renewed_by_id,
    metadata: c.metadata ?? [],
    lifecycleStatus,
    subjectAlternativeNames: c.alt_names,
    revocationReasonName: c.revocation_reason,
    keySource: c.key_source,
    autoRenew: c.auto_renew,
    renewalFailedAt: iso(c.renewal_failed_at),
  };
}

/** The chain without its self-signed root (removeRootsFromChain). */
export function withoutRoot(chainPem: string): string {
  const blocks = chainPem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g) ?? [];
  return blocks.length > 0 ? blocks.slice(0, -1).join("") : "";
}

/** PEM of a certificate row's DER. */
export const certificatePem = (c: CertificateRow) => toPem(c.certificate, "CERTIFICATE");
