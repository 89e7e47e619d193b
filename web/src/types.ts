// The API's shapes, from the server's own zod schemas (src/contract): UI and server cannot drift.
import type { z } from "zod";
import type * as auth from "../../src/contract/auth.js";
import type * as projects from "../../src/contract/projects.js";
import type * as certs from "../../src/contract/certificates.js";
import type * as cas from "../../src/contract/ca.js";
import type * as profiles from "../../src/contract/profiles.js";
import type * as policies from "../../src/contract/policies.js";
import type { KeyAlgorithm } from "../../src/pki/algorithms.js";
import type { RevocationReason } from "../../src/pki/revocation-reasons.js";

export type Me = z.infer<typeof auth.meResponse>;
export type Project = z.infer<typeof projects.project>;
export type AuditEntry = z.infer<typeof projects.auditEntry>;
export type AuditQuery = z.input<typeof projects.auditQuery>;
export type Certificate = z.infer<typeof certs.certificateView>;
export type CertificateList = { certificates: Certificate[]; nextCursor: string | null };
export type ListCertificatesQuery = z.input<typeof certs.listCertificatesQuery>;
export type IssueBody = z.input<typeof certs.issueBody>;
export type IssueResponse = z.infer<typeof certs.issueResponse>;
export type IssuedCertificate = z.infer<typeof certs.issuedCertificate>;
export type PreviewResponse = z.infer<typeof certs.previewResponse>;
export type RenewBody = { renewalKeySource?: "new" | "reuse" | "csr"; csr?: string };
export type RenewResponse = z.infer<typeof certs.renewResponse>;
export type RevokeBody = z.input<typeof certs.revokeBody>;
export type Ca = z.infer<typeof cas.caResponse>;
export type CreateCaBody = z.input<typeof cas.createCaBody>;
export type UpdateCaBody = z.input<typeof cas.updateCaBody>;
export type CaCertificateVersion = z.infer<typeof cas.caCertificateVersion>;
export type Profile = z.infer<typeof profiles.profile>;
export type CreateProfileBody = z.input<typeof profiles.createProfileBody>;
export type Template = z.infer<typeof policies.template>;
export type CreateTemplateBody = z.input<typeof policies.createTemplateBody>;
export type TemplatePresetName = (typeof policies.TEMPLATE_PRESET_NAMES)[number];
export type { KeyAlgorithm, RevocationReason };

/** Every key algorithm, with a label; a Record so the compiler flags one the server adds. */
export const KEY_ALGORITHM_LABELS: Record<KeyAlgorithm, string> = {
  EC_prime256v1: "ECDSA P-256",
  EC_secp384r1: "ECDSA P-384",
  EC_secp521r1: "ECDSA P-521",
  ED25519: "Ed25519",
  RSA_2048: "RSA 2048",
  RSA_3072: "RSA 3072",
  RSA_4096: "RSA 4096",
};
/** Every revocation reason (RFC 5280 §5.3.1), with a label. */
export const REVOCATION_REASON_LABELS: Record<RevocationReason, string> = {
  UNSPECIFIED: "Unspecified",
  KEY_COMPROMISE: "Key compromise",
  CA_COMPROMISE: "CA compromise",
  AFFILIATION_CHANGED: "Affiliation changed",
  SUPERSEDED: "Superseded",
  CESSATION_OF_OPERATION: "Cessation of operation",
  CERTIFICATE_HOLD: "Certificate hold (reversible)",
  PRIVILEGE_WITHDRAWN: "Privilege withdrawn",
  A_A_COMPROMISE: "AA compromise",
};
/** Every template preset, with a label. */
export const PRESET_LABELS: Record<TemplatePresetName, string> = {
  "tls-server": "TLS server",
  "tls-client": "TLS client",
  "dual-purpose-server": "TLS server and client",
  "code-signing": "Code signing",
  "email-protection": "Email protection (S/MIME)",
  device: "Device",
  user: "User",
  "intermediate-ca": "Intermediate CA",
};
/** Pairs of [value, label] for a Select. */
export const options = <K extends string>(labels: Record<K, string>) => (Object.keys(labels) as K[]).map((value) => ({ value, label: labels[value] }));
export type CaCrl = z.infer<typeof cas.caCrl>;
import type * as alerts from "../../src/contract/alerts.js";
import type * as externalCa from "../../src/contract/external-ca.js";
import type * as est from "../../src/contract/est.js";
export type UpdateTemplateBody = z.input<typeof policies.updateTemplateBody>;
export type TemplatePreset = z.infer<typeof policies.templatePreset>;
export type UpdateProfileBody = z.input<typeof profiles.updateProfileBody>;
export type ProfileDetail = z.infer<typeof profiles.profileDetail>;
export type EstPassphraseReply = z.infer<typeof est.estPassphraseReply>;
export type SignIntermediateBody = z.input<typeof cas.signIntermediateBody>;
export type SignIntermediateResponse = z.infer<typeof cas.signIntermediateResponse>;
export type AcmeCa = z.infer<typeof externalCa.acmeCaResponse>;
export type Membership = z.infer<typeof projects.membership>;
export type AddMemberBody = z.input<typeof projects.addMemberBody>;
export type Identity = z.infer<typeof auth.identity>;
export type CreateIdentityBody = z.input<typeof auth.createIdentityBody>;
export type ClientSecretData = z.infer<typeof auth.clientSecretData>;
export type AlertRule = z.infer<typeof alerts.alertRule>;
export type AlertDelivery = z.infer<typeof alerts.alertDelivery>;
export type CreateAlertRuleBody = z.input<typeof alerts.createAlertRuleBody>;
export type AlertEvent = z.infer<typeof alerts.alertEvent>;
import type { ExtendedKeyUsageName, KeyUsageName, SignatureAlgorithm, SubjectType } from "../../src/policy/vocabulary.js";
import type { SanType } from "../../src/policy/san-syntax.js";
export type { ExtendedKeyUsageName, KeyUsageName, SignatureAlgorithm, SubjectType, SanType };

// Records over the server's closed sets (type imports only: the compiler flags a value the server adds).
export const SUBJECT_TYPE_LABELS: Record<SubjectType, string> = { common_name: "Common name (CN)", organization: "Organization (O)", organizational_unit: "Organizational unit (OU)", country: "Country (C)", state: "State (ST)", locality: "Locality (L)" };
export const SAN_TYPE_LABELS: Record<SanType, string> = { dns_name: "DNS name", ip_address: "IP address", email: "Email", uri: "URI" };
export const KEY_USAGE_LABELS: Record<KeyUsageName, string> = { digital_signature: "Digital signature", non_repudiation: "Non-repudiation", key_encipherment: "Key encipherment", data_encipherment: "Data encipherment", key_agreement: "Key agreement", key_cert_sign: "Certificate signing", crl_sign: "CRL signing", encipher_only: "Encipher only", decipher_only: "Decipher only" };
export const EKU_LABELS: Record<ExtendedKeyUsageName, string> = { server_auth: "TLS server", client_auth: "TLS client", code_signing: "Code signing", email_protection: "Email protection", time_stamping: "Time stamping", ocsp_signing: "OCSP signing" };
export const SIGNATURE_ALGORITHM_LABELS: Record<SignatureAlgorithm, string> = { "RSA-SHA256": "RSA SHA-256", "RSA-SHA384": "RSA SHA-384", "RSA-SHA512": "RSA SHA-512", "ECDSA-SHA256": "ECDSA SHA-256", "ECDSA-SHA384": "ECDSA SHA-384", "ECDSA-SHA512": "ECDSA SHA-512", ED25519: "Ed25519" };
export const ALERT_EVENT_LABELS: Record<AlertEvent, string> = { expiration: "Expiring soon", issued: "Issued", renewed: "Renewed", renewal_failed: "Renewal failed", revoked: "Revoked", crl_failed: "CRL build failed" };
