import { UsageError } from "./errors.js";

/** The API's SAN types and the short prefixes the CLI accepts for them. */
export const SAN_PREFIXES = { dns: "dns_name", ip: "ip_address", email: "email", uri: "uri", dns_name: "dns_name", ip_address: "ip_address" } as const;
export type SanType = (typeof SAN_PREFIXES)[keyof typeof SAN_PREFIXES];

/** Splits `dns:www.acme.com` into the API's `{type, value}`. */
export function parseSan(flagName: string, s: string): { type: SanType; value: string } {
  const i = s.indexOf(":");
  const prefix = i > 0 ? s.slice(0, i).toLowerCase() : "";
  const type = (SAN_PREFIXES as Record<string, SanType>)[prefix];
  if (!type || i === s.length - 1) throw new UsageError(`--${flagName} ${JSON.stringify(s)}: write TYPE:VALUE with TYPE one of dns, ip, email, uri (e.g. dns:www.acme.com, ip:10.0.0.1)`);
  return { type, value: s.slice(i + 1) };
}
