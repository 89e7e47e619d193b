import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import type { LeafSpec } from "../../../policy/issuance.js";
import type { NewCertificate } from "../../store/cert.repo.js";
import type { AuditInsert } from "../../store/audit.repo.js";


/** Who signs a leaf. */
export type LeafSigner = { kind: "ca"; caId: string } | { kind: "self-signed"; keyRef: unknown; keyAlgorithm: KeyAlgorithm };

/** A leaf whose TBS passed lint, ready to sign (its signing token is the CA's business). */
export interface PreparedLeafPort {
  tbs: Uint8Array;
  token: unknown;
  serial: string;
  issuerCaId: string | null;
  caCertificateId: string | null;
  caKeyId: string | null;
  chainPem: string;
  issuingCaPem: string;
}

/** The narrow view of server/ca the certificate use cases need (compose.ts wires it). */
export interface LeafPort {
  /** Builds and lints the TBS (the preview stops here); `certificateId` names the signing record's subject. */
  prepare(issuer: LeafSigner, spec: LeafSpec, spki: Uint8Array, certificateId: string | null): Promise<PreparedLeafPort>;
  /** Signs and commits the certificate row and audit entry `record(der)` builds, with the signing outcome; resolves once committed. */
  issue(p: PreparedLeafPort, record: (der: Uint8Array) => { certificate: NewCertificate; audit: AuditInsert }): Promise<Uint8Array>;
  generateSubjectKey(alg: KeyAlgorithm, certificateId: string): Promise<{ ref: unknown; spki: Uint8Array; privateKeyPem: string }>;
  previewSpki(alg: KeyAlgorithm): Promise<Uint8Array>;
  exportSubjectKey(ref: unknown, alg: KeyAlgorithm): Promise<Uint8Array>;
  /** Checks `pem` is the private key of `spki` and seals it (imported certificates). */
  importSubjectKey(pem: string, spki: Uint8Array, alg: KeyAlgorithm, certificateId: string): Promise<unknown>;
  buildPkcs12(certificate: Uint8Array, chain: Uint8Array[], keyRef: unknown, alg: KeyAlgorithm, password: string): Promise<Uint8Array>;
}
