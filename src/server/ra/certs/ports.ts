import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import type { LeafSpec } from "../../../policy/issuance.js";


/** Who signs a leaf. */
export type LeafSigner = { kind: "ca"; caId: string } | { kind: "self-signed"; keyRef: any; keyAlgorithm: KeyAlgorithm };

/** A leaf whose TBS passed lint, ready to sign. */
export interface PreparedLeafPort {
  tbs: Uint8Array;
  serial: string;
  issuerCaId: string | null;
  caCertificateId: string | null;
  caKeyId: string | null;
  chainPem: string;
  issuingCaPem: string;
}

/** The narrow view of server/ca the certificate use cases need (compose.ts wires it). */
export interface LeafPort {
  prepare(issuer: LeafSigner, spec: LeafSpec, spki: Uint8Array): Promise<PreparedLeafPort>;
  sign(p: PreparedLeafPort, certificateId: string): Promise<Uint8Array>;
  generateSubjectKey(alg: KeyAlgorithm, certificateId: string): Promise<{ ref: unknown; spki: Uint8Array; privateKeyPem: string }>;
  previewSpki(alg: KeyAlgorithm): Promise<Uint8Array>;
  exportSubjectKey(ref: any, alg: KeyAlgorithm): Promise<Uint8Array>;
  buildPkcs12(certificate: Uint8Array, chain: Uint8Array[], keyRef: any, alg: KeyAlgorithm, password: string): Promise<Uint8Array>;
}
