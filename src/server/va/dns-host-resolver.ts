import { Resolver } from "node:dns/promises";

/**
 * Resolves host names (A and AAAA) through one DNS server: with --acme-dns-resolver, http-01 and
 * tls-alpn-01 find challenge responders through the same server dns-01 asks (labs, tests).
 */
export function dnsHostResolver(server: { host: string; port: number }, timeoutMs = 5000): (host: string) => Promise<string[]> {
  const r = new Resolver({ timeout: timeoutMs, tries: 2 });
  r.setServers([server.host.includes(":") ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`]);
  return async (host) => {
    const [v6, v4] = await Promise.all([r.resolve6(host).catch(() => [] as string[]), r.resolve4(host).catch(() => [] as string[])]);
    const all = [...v6, ...v4];
    if (all.length === 0) throw Object.assign(new Error(`no A or AAAA record for ${host}`), { code: "ENOTFOUND" });
    return all;
  };
}
