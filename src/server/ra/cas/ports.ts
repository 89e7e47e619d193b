import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import type { CaCertRequest, CaCommit, SignedCa } from "../../shared-types.js";

export type { CaCertRequest, CaCommit, CaCommitRepos, SignedCa } from "../../shared-types.js";

/** The narrow view of server/ca that the RA needs (declared here; compose.ts checks ca/ satisfies it). */
export interface CaPort {
  generateKey(alg: KeyAlgorithm, label: string, backend: "software" | "pkcs11"): Promise<{ ref: unknown; spki: Uint8Array }>;
  /** Self-signs a root; `commit` writes its rows in the transaction that records the signature. */
  selfSign(caId: string, keyId: string, req: Omit<CaCertRequest, "spki">, commit: CaCommit): Promise<SignedCa>;
  /** Signs a subordinate CA certificate; `commit` as for selfSign. */
  signCaCertificate(issuerCaId: string, req: CaCertRequest, kind: "intermediate-ca" | "external-ca", subjectCaId: string | null, commit: CaCommit): Promise<SignedCa>;
  makeCsr(keyId: string, subject: Uint8Array): Promise<Uint8Array>;
}
