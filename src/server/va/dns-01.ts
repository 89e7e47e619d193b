import { Resolver } from "node:dns/promises";
import { isIP } from "node:net";
import { fail, type Attempt, type VaConfig } from "./types.js";

// c-ares error codes: the name or its TXT set does not exist (a definite answer) versus the
// resolver could not get an answer (worth another attempt).
const ABSENT = new Set(["ENOTFOUND", "ENODATA"]);
const TRANSIENT = new Set(["ESERVFAIL", "ETIMEOUT", "ECONNREFUSED", "ECANCELLED", "ECONNRESET", "EAI_AGAIN"]);

const clip = (s: string, n = 128) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** One dns-01 attempt (RFC 8555 §8.4): a TXT record at `_acme-challenge.{name}` equal to `expected`. */
export async function dns01Attempt(name: string, expected: string, cfg: Pick<VaConfig, "dnsServer" | "timeoutMs">): Promise<Attempt> {
  const qname = `_acme-challenge.${name}`;
  // One try per attempt: retries are counted by the VA, not hidden inside c-ares.
  const resolver = new Resolver({ timeout: cfg.timeoutMs, tries: 1 });
  let server = "the system resolver";
  if (cfg.dnsServer) {
    const { host, port } = cfg.dnsServer;
    server = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
    try {
      resolver.setServers([server]);
    } catch {
      return fail("dns", `The configured DNS server ${clip(server, 64)} is not usable.`);
    }
  }
  // c-ares has its own timeout; this one also bounds anything it does not count (queueing).
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    resolver.cancel();
  }, cfg.timeoutMs + 50);
  try {
    const records = (await resolver.resolveTxt(qname)).map((chunks) => chunks.join(""));
    if (records.includes(expected)) return { ok: true, record: { name: qname, server, records: records.length } };
    if (records.length === 0) return fail("unauthorized", `No TXT record found at ${qname}.`);
    const more = records.length > 1 ? ` (and ${records.length - 1} more)` : "";
    return fail("incorrectResponse", `Incorrect TXT record ${JSON.stringify(clip(records[0]))}${more} found at ${qname}.`);
  } catch (e) {
    const code = (e as { code?: string }).code ?? "";
    if (ABSENT.has(code)) return fail("unauthorized", `No TXT record found at ${qname}.`);
    if (timedOut || code === "ETIMEOUT" || code === "ECANCELLED") return fail("dns", `DNS query for ${qname} timed out after ${cfg.timeoutMs} ms.`, true);
    return fail("dns", `DNS query for ${qname} failed${code ? ` (${code})` : ""}.`, TRANSIENT.has(code));
  } finally {
    clearTimeout(timer);
  }
}
