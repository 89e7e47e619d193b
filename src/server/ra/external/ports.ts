import type { Violation } from "../../../errors.js";
import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import type { IssuanceRequest } from "../../../policy/issuance.js";
import type { CertificateRow, ProfileRow } from "../../store/cert.repo.js";
import type { ExternalCaRow } from "../../store/external-ca.repo.js";
import type { Store } from "../../store/store.js";
import type { RequestContext, Runtime } from "../context.js";

/** An ACME external CA's settings with its secrets opened, as the VA port takes them. */
export interface AcmeCaSettings {
  directoryUrl: string;
  accountEmail: string;
  accountKeyPem: string;
  accountUrl: string | null;
  eab: { kid: string; hmacKey: string } | null;
  trustBundle: string | null;
  solver: { type: "rfc2136"; server: string; port: number; zone: string; keyName: string; algorithm: string; secret: string } | { type: "hook"; hook: string };
  propagationTimeoutSeconds: number;
}

/** The narrow view of the VA's ACME client (va/external/acme-ca.ts) the RA needs. */
export interface ExternalAcmePort {
  hookNames(): string[];
  register(ca: AcmeCaSettings): Promise<{ accountUrl: string } | { violations: Violation[] }>;
  /** Rejects with an Error carrying `problem` (the CA's problem document, or null). */
  order(ca: AcmeCaSettings, names: string[], csrPem: string, onValidation: () => Promise<void>): Promise<{ certificatePem: string; chainPem: string }>;
  revoke(ca: AcmeCaSettings, certificatePem: string, reason: number): Promise<void>;
  /** Why the DNS server `host` may not be contacted (the egress policy), or null. */
  dnsServerRefusal(host: string): string | null;
}

/** Sealing under the root key (keys/envelope.ts), bound to `aad`. */
export interface SecretsPort {
  seal(b: Uint8Array, aad: string): unknown;
  open(x: unknown, aad: string): Uint8Array;
}

/** What the external-CA use cases need. */
export interface ExternalDeps {
  store: Store;
  rt: Runtime;
  acme: ExternalAcmePort;
  secrets: SecretsPort;
  /** A new ACME account key (PEM). */
  newAccountKey(): Promise<string>;
  /** Asks for the request job to run soon (after a request is queued). */
  poke?: () => void;
  /** Seconds a server holds a claimed request before another may take it over. */
  leaseSeconds: number;
}

/** The secrets of an external CA, sealed together under `external-ca:<id>`. */
export interface ExternalSecrets {
  accountKey: string;
  eabHmacKey?: string;
  tsigSecret?: string;
}

/** What the issue path hands over once policy accepted a request on an external CA's profile. */
export interface ExternalSubmission {
  profile: ProfileRow;
  ca: ExternalCaRow;
  request: IssuanceRequest;
  attributes: Record<string, unknown>;
  csrDer: Uint8Array | null;
  reuseKey?: { ref: unknown; keyAlgorithm: KeyAlgorithm };
  removeRootsFromChain: boolean;
  metadata: { key: string; value: string }[];
  renewedFrom?: CertificateRow;
  keyUsages: string[];
  extendedKeyUsages: string[];
  altNames: { type: string; value: string }[];
}

/** What the issue path needs of external CAs: queue a request, forward a revocation. */
export interface ExternalIssuePort {
  submit(ctx: RequestContext, s: ExternalSubmission): Promise<{ certificate: null; certificateRequestId: string; status: "pending" }>;
  revokeAtCa(c: CertificateRow, reason: string): Promise<void>;
}

export type { RequestContext };
