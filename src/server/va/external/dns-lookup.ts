import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { egressRefusedError, type Egress } from "../egress.js";

/** A DNS server to ask: an address (vetted by the egress policy before any query) and port. */
export interface DnsServer {
  host: string;
  port: number;
}

/** A resolver asking only `servers`, each vetted by the egress policy; one try of `timeoutMs` a query. */
export function dnsResolverFor(egress: Egress, servers: DnsServer[], timeoutMs: number): Resolver {
  for (const s of servers) {
    const refusal = isIP(s.host) ? egress.addressRefusal(s.host) : egress.hostRefusal(s.host);
    if (refusal) throw egressRefusedError(refusal);
  }
  const r = new Resolver({ timeout: timeoutMs, tries: 1 });
  if (servers.length) r.setServers(servers.map((s) => (isIP(s.host) === 6 ? `[${s.host}]:${s.port}` : `${s.host}:${s.port}`)));
  return r;
}

/** The code of a DNS failure (ENOTFOUND, ENODATA, ENOTIMP, ETIMEOUT…), or "" */
export function dnsCode(e: unknown): string {
  return (e as { code?: string }).code ?? "";
}

/**
 * Follows CNAMEs from `name` (at most 8 hops): `_acme-challenge.example.com` delegated to a zone
 * the solver can write (RFC 8555 §8.4 allows it; Let's Encrypt follows CNAMEs for TXT lookups).
 */
export async function followCnames(resolver: Resolver, name: string): Promise<string> {
  let at = name;
  for (let hop = 0; hop < 8; hop++) {
    let next: string[];
    try {
      next = await resolver.resolveCname(at);
    } catch (e) {
      const code = dnsCode(e);
      if (code === "ENODATA" || code === "ENOTFOUND") return at;
      throw e;
    }
    if (!next.length) return at;
    at = next[0].replace(/\.$/, "");
  }
  return at;
}

/** Whether `values` holds `expected`: a TXT record's strings are joined (RFC 7208 §3.3 style). */
export function hasTxt(records: string[][], expected: string): boolean {
  return records.some((r) => r.join("") === expected);
}
