import type { Resolver } from "node:dns/promises";
import type { Egress } from "../egress.js";
import { dnsCode, dnsResolverFor, hasTxt, type DnsServer } from "./dns-lookup.js";

/** Where a TXT record is looked for: the zone's own servers when they can be found, else the resolver. */
export interface PropagationTarget {
  /** The servers asked, for messages. */
  where: string;
  resolver: Resolver;
}

const QUERY_MS = 2000;

/**
 * The zone's authoritative servers for `name`: the closest enclosing SOA, then its NS names and
 * their addresses, all asked of `resolver`. Null when there is none, or when the DNS server does
 * not implement SOA queries (pebble-challtestsrv answers NOTIMP): the caller asks the resolver.
 */
async function authoritative(resolver: Resolver, name: string): Promise<string[] | null> {
  const labels = name.split(".");
  for (let i = 0; i < labels.length - 1; i++) {
    const zone = labels.slice(i).join(".");
    try {
      await resolver.resolveSoa(zone);
    } catch (e) {
      const code = dnsCode(e);
      if (code === "ENODATA" || code === "ENOTFOUND") continue;
      return null;
    }
    try {
      const ns = await resolver.resolveNs(zone);
      const addresses = (await Promise.all(ns.map((n) => resolver.resolve4(n).catch(() => [] as string[])))).flat();
      return addresses.length ? addresses : null;
    } catch {
      return null;
    }
  }
  return null;
}

/**
 * Waits until `name` has the TXT value `expected`, asking the zone's authoritative servers (RFC
 * 1034 §4.3.1: an authoritative answer, not a cache that may hold the old NXDOMAIN) found through
 * `resolver`, or `primary` when the solver knows it (the RFC 2136 server). Where no authoritative
 * server answers, the resolver itself is asked. Bounded by `timeoutMs`; false when it runs out.
 */
export async function waitForTxt(o: { egress: Egress; resolver: Resolver; resolverServers: DnsServer[]; primary: DnsServer | null; name: string; expected: string; timeoutMs: number; sleep?: (ms: number) => Promise<void> }): Promise<{ ok: boolean; where: string }> {
  const sleep = o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = Date.now() + o.timeoutMs;
  const targets: PropagationTarget[] = [];
  if (o.primary) targets.push({ where: `${o.primary.host}:${o.primary.port}`, resolver: dnsResolverFor(o.egress, [o.primary], QUERY_MS) });
  else {
    const auth = await authoritative(o.resolver, o.name);
    if (auth) targets.push({ where: auth.join(", "), resolver: dnsResolverFor(o.egress, auth.map((host) => ({ host, port: 53 })), QUERY_MS) });
  }
  const fallback = { where: o.resolverServers.length ? o.resolverServers.map((s) => `${s.host}:${s.port}`).join(", ") : "the system resolver", resolver: o.resolver };
  let useFallback = targets.length === 0;
  for (;;) {
    const t = useFallback ? fallback : targets[0];
    try {
      if (hasTxt(await t.resolver.resolveTxt(o.name), o.expected)) return { ok: true, where: t.where };
    } catch (e) {
      const code = dnsCode(e);
      // An authoritative server that cannot be reached is no server: ask the resolver instead.
      if (!useFallback && code !== "ENODATA" && code !== "ENOTFOUND") useFallback = true;
    }
    if (Date.now() + 500 > deadline) return { ok: false, where: t.where };
    await sleep(500);
  }
}
