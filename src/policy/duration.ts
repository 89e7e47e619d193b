/**
 * Durations as templates and requests write them: a positive whole number and one unit,
 * "90d", "12h", "2w", "1y", "3600s". Units: s, h, d, w (7 d), y (365 d, not a calendar year).
 * Minutes and months are NOT accepted: "m" would read as minutes to some and months to others,
 * and a certificate lifetime off by a factor of ~43,800 is not a typo to forgive.
 */

const UNIT_MS: Record<string, number> = { s: 1_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000, y: 365 * 86_400_000 };
/** Longest duration accepted: 1,000 years, far beyond any certificate and inside safe integer range. */
const MAX_MS = 1000 * UNIT_MS.y;
const MAX_INPUT = 32;

/** Parses "90d" / "12h" / "2w" / "1y" / "30s" into milliseconds; an error message for anything else. */
export function parseDuration(s: string): { ms: number } | { error: string } {
  if (typeof s !== "string") return { error: "A duration must be a string such as \"90d\"." };
  if (s.length === 0 || s.length > MAX_INPUT) return { error: "A duration is a number and a unit, such as \"90d\", \"12h\", \"2w\" or \"1y\"." };
  const m = /^(\d{1,9})([A-Za-z]+)$/.exec(s);
  if (!m) return { error: `"${s.slice(0, MAX_INPUT)}" is not a duration: write a whole number and one unit (s, h, d, w, y), such as "90d".` };
  const [, digits, unit] = m;
  if (unit === "m" || unit === "M" || unit === "min" || unit === "mo") {
    return { error: `"${s}" is ambiguous: "m" could mean minutes or months. Write seconds or hours ("3600s", "1h") or days ("30d") instead.` };
  }
  const per = UNIT_MS[unit];
  if (per === undefined) return { error: `Unknown duration unit "${unit}": use s (seconds), h (hours), d (days), w (weeks) or y (365 days).` };
  const n = Number(digits);
  if (n === 0) return { error: "A duration must be longer than zero." };
  const ms = n * per;
  if (ms > MAX_MS) return { error: "A duration may be at most 1000y." };
  return { ms };
}

/** Formats milliseconds in the largest unit that divides it exactly (y, w, d, h, s); sub-second remainders round up to whole seconds. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0s";
  const s = Math.ceil(ms / 1000) * 1000;
  for (const unit of ["y", "w", "d", "h"] as const) if (s % UNIT_MS[unit] === 0) return `${s / UNIT_MS[unit]}${unit}`;
  return `${s / 1000}s`;
}

/** A month in a template's `validity.max`: 1/12 of Stamp's 365-day year, so "12m" is "1y". */
export const MONTH_MS = (365 * 86_400_000) / 12;

/**
 * The longest lifetime a template allows: a duration (parseDuration), or whole months written
 * "12m" as Infisical's policies mean them (its message says months; only here, where a
 * lifetime bound is written, does "m" read as months; a ttl still refuses it).
 */
export function parseMaxValidity(s: string): { ms: number } | { error: string } {
  const m = typeof s === "string" ? /^(\d{1,5})m$/.exec(s) : null;
  if (!m) return parseDuration(s);
  const n = Number(m[1]);
  if (n === 0) return { error: "A duration must be longer than zero." };
  if (n > 12_000) return { error: "A duration may be at most 1000y." };
  return { ms: n * MONTH_MS };
}
