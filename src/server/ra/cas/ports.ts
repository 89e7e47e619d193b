import type { KeyAlgorithm } from "../../../pki/algorithms.js";

/** A CA certificate to sign, as the RA asks for it. */
export interface CaCertRequest {
  subject: Uint8Array;
  spki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  pathLength: number | null;
}

/** The narrow view of server/ca that the RA needs (declared here; compose.ts wires it). */
export interface CaPort {
  generateKey(alg: KeyAlgorithm, label: string, backend: "software" | "pkcs11"): Promise<{ ref: unknown; spki: Uint8Array }>;
  selfSign(caId: string, keyId: string, req: Omit<CaCertRequest, "spki">): Promise<{ serial: string; certificate: Uint8Array; chainPem: string }>;
  signCaCertificate(issuerCaId: string, req: CaCertRequest, kind: string, subjectCaId: string | null): Promise<{ serial: string; certificate: Uint8Array; chainPem: string }>;
  makeCsr(keyId: string, subject: Uint8Array): Promise<Uint8Array>;
  markSigned(issuerCaId: string, serial: string): Promise<void>;
}
