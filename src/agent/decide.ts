/**
 * The agent's pure decision: from what is on disk, what the state file remembers, what the
 * server says and the time, whether to issue, renew or do nothing — and when to look again.
 * No IO, no clock, no randomness: all of them come in as arguments (ARCHITECTURE.md rule 11).
 */
import type { Window } from "./duration.js";

/** What the agent found in the configured files. */
export type DiskView =
  | { kind: "missing"; detail: string }
  | { kind: "unreadable"; detail: string }
  | {
      kind: "present";
      serialHex: string;
      notBefore: Date;
      notAfter: Date;
      /** The private key file holds the key of the certificate. */
      keyMatches: boolean;
      /** Why the certificate does not match the config (commonName, altNames), or null. */
      namesMismatch: string | null;
    };

/** What the state file remembers of one certificate. */
export interface CertState {
  certificateId?: string;
  serialHex?: string;
  /** Consecutive failed attempts; 0 after a success. */
  failures: number;
  /** ISO time before which a failed action is not retried. */
  retryAt?: string;
  /** A number in [0, 1) drawn once per certificate, so its renewal time stays put across checks. */
  jitter?: number;
  lastError?: string;
}

/** The server's record of the certificate on disk; null when unknown (not asked, unreachable). */
export type ServerView = { status: "active" | "expired" | "revoked" | "renewed" } | null;

export interface DecideInput {
  renewBefore: Window;
  /** Spread of renewal times; default 10 % of the window. */
  jitter?: Window;
  disk: DiskView;
  state: CertState;
  server: ServerView;
  now: Date;
  /** A number in [0, 1), used when the state has no jitter yet. */
  random: number;
  intervalMs: number;
  /** Long-running mode waits out the backoff after failures; --once does not. */
  respectBackoff: boolean;
}

export interface Decision {
  action: "issue" | "renew" | "none";
  reason: string;
  /** When the certificate on disk enters its renewal window (with jitter). */
  renewAt?: Date;
  nextCheck: Date;
}

/** Jitter never moves a renewal by more than this (a day), whatever the window. */
export const MAX_JITTER_MS = 86_400_000;
/** Retry delays after failures grow from 5 s to at most 5 min. */
export const BACKOFF_MIN_MS = 5_000;
export const BACKOFF_MAX_MS = 300_000;

/** Milliseconds of a window for a certificate valid from notBefore to notAfter. */
export function windowMs(w: Window, notBefore: Date, notAfter: Date): number {
  const life = Math.max(0, notAfter.getTime() - notBefore.getTime());
  return "ms" in w ? w.ms : (life * w.percent) / 100;
}

/**
 * When to renew: notAfter − window − jitter, where jitter is `fraction` of the jitter spread
 * (10 % of the window by default), bounded by a day and by the window itself.
 */
export function renewalTime(renewBefore: Window, jitter: Window | undefined, notBefore: Date, notAfter: Date, fraction: number): Date {
  const win = windowMs(renewBefore, notBefore, notAfter);
  const spread = Math.min(jitter ? windowMs(jitter, notBefore, notAfter) : win * 0.1, win, MAX_JITTER_MS);
  return new Date(notAfter.getTime() - win - spread * fraction);
}

/** Exponential backoff with "equal jitter": half the delay fixed, half random; 5 s → 5 min. */
export function backoffMs(failures: number, random: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.max(0, Math.min(failures - 1, 20)));
  return Math.round(base / 2 + (random * base) / 2);
}

/** Decides what to do for one configured certificate. */
export function decide(i: DecideInput): Decision {
  const regular = new Date(i.now.getTime() + i.intervalMs);
  const act = (action: "issue" | "renew", reason: string, renewAt?: Date): Decision => {
    if (i.respectBackoff && i.state.failures > 0 && i.state.retryAt && Date.parse(i.state.retryAt) > i.now.getTime()) {
      return { action: "none", reason: `${reason}; waiting to retry after ${i.state.failures} failure(s)`, renewAt, nextCheck: new Date(Date.parse(i.state.retryAt)) };
    }
    return { action, reason, renewAt, nextCheck: regular };
  };
  const d = i.disk;
  if (d.kind === "missing") return act("issue", `files missing: ${d.detail}`);
  if (d.kind === "unreadable") return act("issue", `files unreadable: ${d.detail}`);
  if (!d.keyMatches) return act("issue", "the private key does not match the certificate");
  if (d.namesMismatch) return act("issue", `the certificate does not match the config: ${d.namesMismatch}`);
  if (i.server?.status === "revoked") return act("issue", "the certificate was revoked");
  if (d.notAfter.getTime() <= i.now.getTime()) return act("issue", "the certificate expired");
  const renewAt = renewalTime(i.renewBefore, i.jitter, d.notBefore, d.notAfter, i.state.jitter ?? i.random);
  if (renewAt.getTime() <= i.now.getTime()) {
    // Renewal links the new certificate to the old on the server; it needs the old one's id,
    // and is refused for a certificate someone else already renewed — then issue afresh.
    const known = i.state.certificateId !== undefined && i.state.serialHex === d.serialHex;
    if (known && i.server?.status !== "renewed") return act("renew", `inside the renewal window since ${renewAt.toISOString()}`, renewAt);
    return act("issue", `inside the renewal window since ${renewAt.toISOString()} (no renewable record of this certificate)`, renewAt);
  }
  return { action: "none", reason: `valid until ${d.notAfter.toISOString()}, renewal at ${renewAt.toISOString()}`, renewAt, nextCheck: renewAt < regular ? renewAt : regular };
}
