import type { Violation } from "../errors.js";

const DAY_MS = 86_400_000;

/**
 * Auto-renewal converges only if a certificate outlives its renewal window: one whose lifetime
 * is not longer than `renewBeforeDays` is due the moment it is issued, and each renewal would be
 * due again at once (issue 13). Returns the violation for such a lifetime, or none.
 */
export function renewalWindowViolation(lifetimeMs: number, renewBeforeDays: number, field: string, what: string): Violation | null {
  if (lifetimeMs > renewBeforeDays * DAY_MS) return null;
  const days = Math.floor((lifetimeMs / DAY_MS) * 10) / 10;
  return {
    field,
    code: "not_longer_than_renewal_window",
    message: `${what} ${days} days, not longer than the renewal window of ${renewBeforeDays} days, so auto-renewal would renew it at once and again after every renewal. Use a lifetime above ${renewBeforeDays} days, or a shorter renewBeforeDays.`,
    value: days,
  };
}
