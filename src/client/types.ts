import type { z } from "zod";
import type * as auth from "../contract/auth.js";
import type { violation } from "../contract/common.js";
import type * as ca from "../contract/ca.js";
import type * as certs from "../contract/certificates.js";
import type * as profiles from "../contract/profiles.js";
import type * as shapes from "../contract/certificate-shapes.js";
import type * as projects from "../contract/projects.js";
import type * as audit from "../contract/audit.js";
import type * as external from "../contract/external-ca.js";

/** The API's request and response shapes, inferred from the contract's zod schemas. */
export type TokenResponse = z.infer<typeof auth.tokenResponse>;
export type Me = z.infer<typeof auth.meResponse>;
export type Project = z.infer<typeof projects.project>;
export type Violation = z.infer<typeof violation>;

export type CreateCaBody = z.input<typeof ca.createCaBody>;
export type CreateAcmeCaBody = z.input<typeof external.createAcmeCaBody>;
export type AcmeCa = z.infer<typeof external.acmeCaResponse>;
export type UpdateCaBody = z.input<typeof ca.updateCaBody>;
export type Ca = z.infer<typeof ca.caResponse>;
export type CaCertificate = z.infer<typeof ca.caCertificateResponse>;
export type ImportCertificateBody = z.input<typeof ca.importCertificateBody>;
export type SignIntermediateBody = z.input<typeof ca.signIntermediateBody>;
export type SignIntermediateResponse = z.infer<typeof ca.signIntermediateResponse>;
export type RenewCaBody = z.input<typeof ca.renewCaBody>;
export type RenewCaResponse = z.infer<typeof ca.renewCaResponse>;
export type ImportCertificateResponse = z.infer<typeof ca.importCertificateResponse>;
export type CaCrl = z.infer<typeof ca.caCrl>;

export type CreateTemplateBody = z.input<typeof certs.createTemplateBody>;
export type UpdateTemplateBody = z.input<typeof certs.updateTemplateBody>;
export type Template = z.infer<typeof certs.template>;
export type TemplatePreset = z.infer<typeof certs.templatePreset>;
export type TemplateWarning = z.infer<typeof certs.templateWarning>;
export type ListTemplatesQuery = Partial<Omit<z.input<typeof certs.listTemplatesQuery>, "projectId">>;

export type CreateProfileBody = z.input<typeof profiles.createProfileBody>;
export type UpdateProfileBody = z.input<typeof profiles.updateProfileBody>;
export type Profile = z.infer<typeof profiles.profile>;
export type ProfileDetail = z.infer<typeof profiles.profileDetail>;
export type ProfileMetrics = z.infer<typeof profiles.profileMetrics>;
export type ListProfilesQuery = Partial<Omit<z.input<typeof profiles.listProfilesQuery>, "projectId">>;
export type ProfileCertificatesQuery = z.input<typeof profiles.profileCertificatesQuery>;
export type ProfileCertificate = z.infer<typeof profiles.profileCertificate>;
export type LatestActiveBundle = z.infer<typeof profiles.latestActiveBundle>;
export type EabSecret = z.infer<typeof profiles.eabSecret>;

export type IssueBody = z.input<typeof certs.issueBody>;
export type IssuedCertificate = z.infer<typeof certs.issuedCertificate>;
/** POST /certificates: Infisical's answer (certificate, certificateRequestId, status). */
export type IssueResponse = Omit<z.infer<typeof certs.issueResponse>, "certificate"> & { certificate: IssuedCertificate };
/** POST /certificates/:id/renew: the renewed certificate, flat, with its request id. */
export type RenewResponse = z.infer<typeof certs.renewResponse>;
/** The 202 answer of issue and renew on a profile whose CA is external: poll the request (certificateRequest). */
export interface PendingResponse {
  certificate: null;
  certificateRequestId: string;
  status: "pending";
}
/** POST /certificates/:id/revoke. */
export interface RevokeResponse {
  message: string;
  serialNumber: string;
  revokedAt: string;
  certificate: CertificateView;
}
/** A certificate request (GET /certificate-requests/:id). */
export type CertificateRequest = z.infer<typeof shapes.certificateRequest>;
export type PreviewResponse = z.infer<typeof certs.previewResponse>;
export type CertificateView = z.infer<typeof certs.certificateView>;
export type CertificateStatus = z.infer<typeof certs.certificateStatus>;
export type ListCertificatesQuery = z.input<typeof certs.listCertificatesQuery>;
/** POST /certificates/:id/renew (every member optional). */
export interface RenewBody {
  renewalKeySource?: "new" | "reuse" | "csr";
  csr?: string;
  removeRootsFromChain?: boolean;
}
export type RevokeBody = z.input<typeof certs.revokeBody>;
export type RevocationReason = RevokeBody["revocationReason"];

/** `GET …/certificates/:id/bundle`: the certificate, its chain, and the key when the caller may read it. */
export interface CertificateBundle {
  certificate: string;
  certificateChain: string;
  issuingCaCertificate: string;
  privateKey: string | null;
  serialNumber: string;
  status: CertificateStatus;
}

/** An ACME External Account Binding key as the API lists it. */
export type EabKey = z.infer<typeof certs.eabKey>;

/** The audit log: a project's view, and the server-wide view with the hash chain. */
export type AuditQuery = z.input<typeof projects.auditQuery>;
export type AuditEntry = z.infer<typeof projects.auditEntry>;
export type ServerAuditQuery = z.input<typeof audit.serverAuditQuery>;
export type ServerAuditPage = z.infer<typeof audit.serverAuditPage>;
