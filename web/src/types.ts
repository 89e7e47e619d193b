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
