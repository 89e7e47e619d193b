import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { disallowedReason } from "./address-policy.js";
import { fail, type Failure, type VaConfig } from "./types.js";

/** The default host resolver: every address the system resolver returns, in its order. */
export async function systemResolveHost(host: string): Promise<string[]> {
  const found = await lookup(host, { all: true, verbatim: true });
  return found.map((a) => a.address);
}

const TRANSIENT_DNS = new Set(["EAI_AGAIN", "ETIMEOUT", "ESERVFAIL", "ECONNREFUSED", "ECONNRESET"]);

/** Rejects when `signal` aborts, so an uncancellable wait (getaddrinfo) stays bounded. */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

// RFC 8555 §10.2: the VA must not be turned against the CA's own network. One disallowed address
// refuses the host, so a name cannot mix a public and an internal address. The challenge's own IP
// identifier is refused as rejectedIdentifier; names and redirect targets as connection problems.
/** Resolves `host` and vets every address before any connection is made. */
export async function resolveVetted(
  host: string,
  cfg: Pick<VaConfig, "allowPrivateAddresses" | "resolveHost">,
  signal: AbortSignal,
  asIdentifier: boolean,
): Promise<{ ok: true; addresses: string[] } | Failure> {
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await raceAbort((cfg.resolveHost ?? systemResolveHost)(host), signal);
    } catch (e) {
      if (signal.aborted) return fail("dns", `Timed out resolving ${host}.`, true);
      const code = (e as { code?: string }).code ?? "";
      return fail("dns", `No addresses found for ${host}${code ? ` (${code})` : ""}.`, TRANSIENT_DNS.has(code));
    }
    addresses = [...new Set(addresses.filter((a) => isIP(a) !== 0).map((a) => a.toLowerCase()))];
    if (addresses.length === 0) return fail("dns", `No addresses found for ${host}.`);
  }
  if (!cfg.allowPrivateAddresses) {
    for (const a of addresses) {
      const why = disallowedReason(a);
      if (!why) continue;
      const detail = isIP(host)
        ? `${host} is a ${why} address, which the validation authority does not contact.`
        : `${host} resolves to ${a}, a ${why} address, which the validation authority does not contact.`;
      return fail(asIdentifier && isIP(host) ? "rejectedIdentifier" : "connection", detail);
    }
  }
  return { ok: true, addresses };
}

/** The addresses to try, in order: the first IPv6 then the first IPv4 (as Boulder does). */
export function candidates(addresses: string[]): string[] {
  const v6 = addresses.find((a) => isIP(a) === 6);
  const v4 = addresses.find((a) => isIP(a) === 4);
  return [v6, v4].filter((a): a is string => a !== undefined);
}
