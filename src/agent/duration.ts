/**
 * Durations in the agent's config: a whole number and one unit — s, m (minutes), h, d, w.
 * Unlike certificate lifetimes (src/policy/duration.ts), "m" here is unambiguous: an agent
 * interval is never counted in months. Certificate `ttl` uses the server's grammar instead.
 */
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/** Milliseconds of "5m", "30s", "10d"; null when it is not such a duration. */
export function parseAgentDuration(s: string): number | null {
  const m = /^(\d{1,9})(s|m|h|d|w)$/.exec(s);
  if (!m) return null;
  const ms = Number(m[1]) * UNIT_MS[m[2]];
  return ms > 0 ? ms : null;
}

/** A renewal window: a fixed duration before expiry, or a share of the certificate's lifetime. */
export type Window = { ms: number } | { percent: number };

/** Parses "10d" or "33%" (1–100 %); null otherwise. */
export function parseWindow(s: string): Window | null {
  const p = /^(\d{1,3}(?:\.\d{1,3})?)%$/.exec(s);
  if (p) {
    const percent = Number(p[1]);
    return percent > 0 && percent <= 100 ? { percent } : null;
  }
  const ms = parseAgentDuration(s);
  return ms === null ? null : { ms };
}

/** The server's lifetime grammar (src/policy/duration.ts): number and s, h, d, w or y — no "m". */
export function isServerTtl(s: string): boolean {
  return /^\d{1,9}(s|h|d|w|y)$/.test(s) && !/^0+[a-z]$/.test(s);
}
