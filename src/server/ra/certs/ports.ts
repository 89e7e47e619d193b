import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import type { LeafSpec } from "../../../policy/issuance.js";
import type { AuditWriter, LeafRecord, LeafSigner, PreparedLeaf, Transactional } from "../../shared-types.js";
import type { Repos } from "../../store/store.js";
import type { MembershipReader } from "../authz.js";

export type { LeafRecord, LeafSigner, PreparedLeaf } from "../../shared-types.js";

/** The narrow view of server/ca the certificate use cases need (declared here; compose.ts checks ca/ satisfies it). */
export interface LeafPort {
  /** Builds and lints the TBS (the preview stops here); `certificateId` names the signing record's subject. */
  prepare(issuer: LeafSigner, spec: LeafSpec, spki: Uint8Array, certificateId: string | null): Promise<PreparedLeaf>;
  /** Signs and commits the certificate row and audit entry `record(der)` builds, with the signing outcome; resolves once committed. */
  issue(p: PreparedLeaf, record: (der: Uint8Array) => LeafRecord): Promise<Uint8Array>;
  generateSubjectKey(alg: KeyAlgorithm, certificateId: string): Promise<{ ref: unknown; spki: Uint8Array; privateKeyPem: string }>;
  previewSpki(alg: KeyAlgorithm): Promise<Uint8Array>;
  exportSubjectKey(ref: unknown, alg: KeyAlgorithm): Promise<Uint8Array>;
  /** Checks `pem` is the private key of `spki` and seals it (imported certificates). */
  importSubjectKey(pem: string, spki: Uint8Array, alg: KeyAlgorithm, certificateId: string): Promise<unknown>;
  buildPkcs12(certificate: Uint8Array, chain: Uint8Array[], keyRef: unknown, alg: KeyAlgorithm, password: string): Promise<Uint8Array>;
}

/** What the issue path reads (profile, template, issuer, access) and writes (a refused request, its audit entry). */
export interface IssueStore extends MembershipReader, AuditWriter {
  cert: Pick<Repos["cert"], "profileById" | "templateById">;
  ca: Pick<Repos["ca"], "caById" | "isCaKey">;
  external: Pick<Repos["external"], "caById" | "waitingRenewalOf">;
  certRequests: Pick<Repos["certRequests"], "insert">;
}

/** What a revocation or a lifted hold writes in its one transaction. */
export interface RevokeRepos extends AuditWriter {
  cert: Pick<Repos["cert"], "nextRevocationSeq" | "revoke" | "releaseHold">;
}

/** The store as revocation sees it: its transaction, then the certificate as it now is. */
export interface RevokeStore extends Transactional<RevokeRepos> {
  cert: Pick<Repos["cert"], "certificateById">;
}
