import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import type { Repos } from "../../store/store.js";

/** A CA certificate to sign, as the RA asks for it. */
export interface CaCertRequest {
  subject: Uint8Array;
  spki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  pathLength: number | null;
}

/** A signed CA certificate. */
export interface SignedCa {
  serial: string;
  certificate: Uint8Array;
  chainPem: string;
}

/** The RA's rows for a CA certificate, written in the CA's signing transaction (the CA records the outcome). */
export type CaCommit = (tx: Repos, signed: SignedCa) => Promise<void>;

/** The narrow view of server/ca that the RA needs (declared here; compose.ts wires it). */
export interface CaPort {
  generateKey(alg: KeyAlgorithm, label: string, backend: "software" | "pkcs11"): Promise<{ ref: unknown; spki: Uint8Array }>;
  /** Self-signs a root; `commit` writes its rows in the transaction that records the signature. */
  selfSign(caId: string, keyId: string, req: Omit<CaCertRequest, "spki">, commit: CaCommit): Promise<SignedCa>;
  /** Signs a subordinate CA certificate; `commit` as for selfSign. */
  signCaCertificate(issuerCaId: string, req: CaCertRequest, kind: "intermediate-ca" | "external-ca", subjectCaId: string | null, commit: CaCommit): Promise<SignedCa>;
  makeCsr(keyId: string, subject: Uint8Array): Promise<Uint8Array>;
}
