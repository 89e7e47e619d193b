import { invalidityDate, REVOCATION_REASONS } from "../contract/certificates.js";
import { need, str, UsageError, type Command } from "./command.js";
import { fields, when } from "./output.js";

const kebab = (r: string) => r.toLowerCase().replace(/_/g, "-");

/** Accepts `key-compromise`, `key_compromise` or Infisical's `KEY_COMPROMISE`. */
export function parseReason(s: string): (typeof REVOCATION_REASONS)[number] {
  const up = s.trim().toUpperCase().replace(/-/g, "_");
  const hit = REVOCATION_REASONS.find((r) => r === up);
  if (!hit) throw new UsageError(`--reason ${JSON.stringify(s)} is not one of: ${REVOCATION_REASONS.map(kebab).join(", ")}`);
  return hit;
}

/** `stamp cert revoke`: revoke a certificate with a reason (RFC 5280 §5.3.1). */
export const certRevoke: Command = {
  name: "cert revoke",
  summary: "revoke a certificate",
  help: `Usage: stamp cert revoke ID --reason REASON [--invalidity-date DATE]

Options:
  --reason REASON          ${REVOCATION_REASONS.map(kebab).join(", ")}
                           (Infisical's UPPER_SNAKE spelling works too)
  --invalidity-date DATE   when the key is known or suspected to have been compromised (ISO 8601,
                           from 1950-01-01 to now)
  --json                   print the API response

Examples:
  stamp cert revoke 2b4f… --reason superseded
  stamp cert revoke 2b4f… --reason KEY_COMPROMISE --invalidity-date 2025-01-31T00:00:00Z`,
  options: { reason: { type: "string" }, "invalidity-date": { type: "string" } },
  positionals: ["ID"],
  async run(ctx, v, [id]) {
    const revocationReason = parseReason(need(v, "reason"));
    const date = str(v, "invalidity-date");
    // The API's own rule (RFC 5280 §5.3.2, 1950 to 9999), checked before any request is made.
    const checked = date === undefined ? undefined : invalidityDate.safeParse(date);
    if (checked && !checked.success) throw new UsageError(`--invalidity-date ${JSON.stringify(date)}: ${checked.error.issues[0]?.message ?? "not an ISO 8601 date-time"} (e.g. 2025-01-31T00:00:00Z)`);
    const client = await ctx.client();
    const res = await client.certificates.revoke(id, { revocationReason, invalidityDate: date });
    if (ctx.json) return ctx.printJson(res);
    const c = res.certificate;
    ctx.out(fields([["revoked", `${c.id} (${c.commonName || c.serialNumber})`], ["reason", c.revocationReasonName ? kebab(c.revocationReasonName) : kebab(revocationReason)], ["at", when(c.revokedAt)]]));
  },
};
