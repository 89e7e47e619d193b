/** Types of the validation authority (ACME challenge validation, RFC 8555 §8). */

/** How the VA reaches challenge responders; every field has a production default (see `va.ts`). */
export interface VaConfig {
  /** Port for http-01 (RFC 8555 §8.3 fixes 80; labs and tests use another). */
  http01Port: number;
  /** Port for tls-alpn-01 (RFC 8737 §3 fixes 443). */
  tlsAlpn01Port: number;
  /** Resolver for dns-01; absent means the system resolver. */
  dnsServer?: { host: string; port: number };
  /** False (the default) refuses loopback, link-local, unspecified, multicast, private/ULA and reserved addresses (the egress policy, egress.ts); true allows every address. */
  allowPrivateAddresses: boolean;
  /** Bound of one attempt (resolution, connection, redirects, body), in milliseconds. */
  timeoutMs: number;
  /** Further attempts after a transient network failure (timeouts, resets, SERVFAIL). */
  retries: number;
  /** The operator's egress allow-list (--egress-allow): listed CIDRs and names are contacted even when private. */
  egressAllow?: readonly string[];
  /** Resolves a host name to its addresses; default: node:dns lookup with all addresses. */
  resolveHost?: (host: string) => Promise<string[]>;
  /** Waits between attempts; injectable so tests need not sleep. */
  sleep?: (ms: number) => Promise<void>;
}

/** An ACME identifier: a DNS name (RFC 8555 §9.7.7) or an IP address (RFC 8738 §3). */
export type Identifier = { type: "dns" | "ip"; value: string };

/** The closed set of ACME problem types the VA reports (RFC 8555 §6.7). */
export type VaProblemType = "connection" | "dns" | "incorrectResponse" | "unauthorized" | "tls" | "rejectedIdentifier" | "malformed";

/** A validation problem: an ACME problem type and a caller-facing detail (never a secret). */
export type VaProblem = { type: VaProblemType; detail: string };

/** The outcome of one validation: what was contacted, or why it failed. */
export type VaResult = { ok: true; record: Record<string, unknown> } | { ok: false; problem: VaProblem };

/** A failed attempt; `transient` failures are retried (internal to va/). */
export type Failure = { ok: false; problem: VaProblem; transient?: true };

/** An attempt's outcome (internal to va/). */
export type Attempt = { ok: true; record: Record<string, unknown> } | Failure;

/** A failed attempt (internal helper). */
export function fail(type: VaProblemType, detail: string, transient = false): Failure {
  return transient ? { ok: false, problem: { type, detail }, transient: true } : { ok: false, problem: { type, detail } };
}
