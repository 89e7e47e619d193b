/**
 * The one error type that crosses modules (ARCHITECTURE.md house rule 5).
 * The HTTP edge maps `kind` to a status and a problem+json document; later edges
 * (ACME, EST, SCEP) map the same kinds to their own error vocabularies.
 */

/** The closed set of error kinds. */
export type ErrorKind =
  | "bad_request" // malformed input the schema could not catch (garbage DER, bad PEM)
  | "validation" // input well-formed but breaking rules; carries violations
  | "unauthenticated"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "rate_limited"
  | "payload_too_large"
  | "unavailable"
  | "internal";

import type { ViolationCode } from "./violations.js";

/** One broken rule: which field, a stable code (src/violations.ts), a message for the caller, the value given. */
export interface Violation {
  field: string;
  code: ViolationCode;
  message: string;
  value?: unknown;
}

/**
 * A refused request, for the audit log: the use case that refuses names the project and the
 * object; the HTTP edge writes one `denied` entry for it (docs/security.md, "Refusals").
 */
export interface Refusal {
  /** The project whose log gets the entry; null puts it in the server-wide log only. */
  projectId: string | null;
  objectType: string;
  objectId: string | null;
  detail?: Record<string, unknown>;
}

/** A Stamp error: a kind, a caller-facing message, and the violations when there are several. */
export class StampError extends Error {
  readonly kind: ErrorKind;
  readonly violations: Violation[];
  readonly retryAfterSeconds?: number;
  /** The ACME problem type (RFC 8555 §6.7) when an ACME edge should say more than the kind does. */
  readonly acmeType?: string;
  /** Set when the refusal must be audited (a 403, or a 404 that hides another project's object). */
  readonly refusal?: Refusal;
  constructor(kind: ErrorKind, message: string, opts: { violations?: Violation[]; retryAfterSeconds?: number; cause?: unknown; acmeType?: string; refusal?: Refusal } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "StampError";
    this.kind = kind;
    this.violations = opts.violations ?? [];
    this.retryAfterSeconds = opts.retryAfterSeconds;
    this.acmeType = opts.acmeType;
    this.refusal = opts.refusal;
  }
}

/** Builders for the common errors, so messages stay uniform. */
export const errors = {
  badRequest: (message: string, violations?: Violation[]) => new StampError("bad_request", message, { violations }),
  validation: (message: string, violations: Violation[]) => new StampError("validation", message, { violations }),
  unauthenticated: (message = "Authentication is required: send a Bearer access token.") => new StampError("unauthenticated", message),
  /** 403; `refusal` names the project and object for the audit entry. */
  forbidden: (message: string, refusal?: Refusal) => new StampError("forbidden", message, { refusal }),
  /** RFC-style 404; also used for other projects' objects (house rule 6). */
  notFound: (what: string, id?: string, refusal?: Refusal) => new StampError("not_found", id ? `${what} ${id} was not found.` : `${what} was not found.`, { refusal }),
  conflict: (message: string, violations?: Violation[]) => new StampError("conflict", message, { violations }),
  rateLimited: (message: string, retryAfterSeconds: number) => new StampError("rate_limited", message, { retryAfterSeconds }),
  unavailable: (message: string) => new StampError("unavailable", message),
  internal: (message = "Internal error.", cause?: unknown) => new StampError("internal", message, { cause }),
};

/** An error for an ACME client: the kind picks the HTTP status, `acmeType` the RFC 8555 §6.7 type. */
export function acmeError(kind: ErrorKind, acmeType: string, message: string, violations?: Violation[]) {
  return new StampError(kind, message, { acmeType, violations });
}

/** True when `e` is a StampError (of the given kind, when one is named). */
export function isStampError(e: unknown, kind?: ErrorKind): e is StampError {
  return e instanceof StampError && (kind === undefined || e.kind === kind);
}
