/**
 * Types that the RA and the CA both speak and neither owns: the injected runtime, what a CRL
 * publishing pass reports, and the data that crosses the RA↔CA ports (a CA certificate to sign
 * and its commit, a leaf ready to sign and its record). They live here, declared once, so that
 * `ca/` never imports from `ra/`; the ports themselves are declared by their consumer, the RA
 * (`ra/cas/ports.ts`, `ra/certs/ports.ts`), and compose.ts checks that `ca/` satisfies them.
 */
import type { KeyAlgorithm } from "../pki/algorithms.js";
import type { AuditInsert } from "./store/audit.repo.js";
import type { NewCertificate } from "./store/cert.repo.js";
import type { Repos } from "./store/store.js";

/** Injected time and randomness (house rule 11). */
export interface Runtime {
  clock: () => Date;
  random: (bytes: number) => Buffer;
  uuid: () => string;
}

/** What a publishing pass tells about a CA whose CRL could not be built. */
export interface CrlFailure {
  caId: string;
  error: string;
  /** When this CA's CRL builds started failing (the same on every server). */
  failingSince: Date;
  /** True when the newest CRL is past its nextUpdate (or there is none): relying parties now fail. */
  stale: boolean;
}

/** An OCSP answer, how long an HTTP cache may keep it, its response status (RFC 6960 §4.2.1) and whether it came from the responder's cache (metrics). */
export interface OcspAnswer {
  der: Uint8Array;
  maxAgeSeconds: number;
  status: "successful" | "malformedRequest" | "unauthorized" | "tryLater" | "internalError";
  cached: boolean;
}

/** A store that runs `fn` in one short transaction over the repositories `R` it hands it. */
export interface Transactional<R> {
  transaction<T>(fn: (tx: R) => Promise<T>): Promise<T>;
}

/** What writing an audit entry needs (the pool or an open transaction). */
export interface AuditWriter {
  misc: Pick<Repos["misc"], "audit">;
}

/** A CA certificate to sign, as the RA asks for it. */
export interface CaCertRequest {
  subject: Uint8Array;
  spki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** null = unlimited. */
  pathLength: number | null;
}

/** A signed CA certificate. */
export interface SignedCa {
  serial: string;
  certificate: Uint8Array;
  chainPem: string;
}

/** What the RA's rows for a CA certificate may touch in the signing transaction. */
export interface CaCommitRepos extends AuditWriter {
  ca: Pick<Repos["ca"], "caByIdForUpdate" | "insertCertificate" | "updateCa">;
}

/** The RA's rows for a CA certificate, written in the CA's signing transaction (the CA records the outcome). */
export type CaCommit = (tx: CaCommitRepos, signed: SignedCa) => Promise<void>;

/** Who signs a leaf: a Stamp CA, or the subject's own (server-held) key. The RA never looks inside `K`. */
export type LeafSigner<K = unknown> = { kind: "ca"; caId: string } | { kind: "self-signed"; keyRef: K; keyAlgorithm: KeyAlgorithm };

/** A leaf whose TBS passed lint, ready to sign; its single-use signing token `T` is the CA's business. */
export interface PreparedLeaf<T = unknown> {
  tbs: Uint8Array;
  token: T;
  serial: string;
  issuerCaId: string | null;
  caCertificateId: string | null;
  caKeyId: string | null;
  chainPem: string;
  issuingCaPem: string;
}

/** The rows a leaf's commit writes beside its signing outcome. */
export interface LeafRecord {
  certificate: NewCertificate;
  audit: AuditInsert;
}

/**
 * A port of repositories narrowed to the methods a consumer calls, e.g.
 * `ReposOf<{ identity: "membership"; misc: "audit" }>`; a consumer declares its own and is
 * handed the store (or the memory store of the testkit), which satisfies it.
 */
export type ReposOf<M extends { [K in keyof Repos]?: keyof Repos[K] }> = { [K in keyof M & keyof Repos]: Pick<Repos[K], M[K] & keyof Repos[K]> };
