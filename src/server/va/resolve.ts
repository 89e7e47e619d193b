import { isIP } from "node:net";
import { createEgress, refusalOf, type Egress } from "./egress.js";
import { fail, type Failure, type VaConfig } from "./types.js";

export { candidates, raceAbort, systemResolveHost } from "./egress.js";

const TRANSIENT_DNS = new Set(["EAI_AGAIN", "ETIMEOUT", "ESERVFAIL", "ECONNREFUSED", "ECONNRESET"]);

type VaEgressConfig = Pick<VaConfig, "allowPrivateAddresses" | "resolveHost" | "egressAllow">;
const policies = new WeakMap<object, Egress>();

/**
 * The egress policy as the VA applies it: the operator's --egress-allow, plus every address with
 * --acme-allow-private-addresses (labs and tests). Metadata host names stay refused either way.
 */
export function vaEgress(cfg: VaEgressConfig): Egress {
  let e = policies.get(cfg);
  if (!e) {
    const allow = [...(cfg.egressAllow ?? []), ...(cfg.allowPrivateAddresses ? ["0.0.0.0/0", "::/0"] : [])];
    e = createEgress({ allow, resolveHost: cfg.resolveHost });
    policies.set(cfg, e);
  }
  return e;
}

// RFC 8555 §10.2: the VA must not be turned against the CA's own network. One disallowed address
// refuses the host, so a name cannot mix a public and an internal address. The challenge's own IP
// identifier is refused as rejectedIdentifier; names and redirect targets as connection problems.
/** Resolves `host` and vets every address through the egress policy before any connection is made. */
export async function resolveVetted(host: string, cfg: VaEgressConfig, signal: AbortSignal, asIdentifier: boolean): Promise<{ ok: true; addresses: string[] } | Failure> {
  try {
    return { ok: true, addresses: await vaEgress(cfg).resolve(host, signal) };
  } catch (e) {
    const r = refusalOf(e);
    if (r) return fail(asIdentifier && isIP(host) ? "rejectedIdentifier" : "connection", `${r.what}, which the validation authority does not contact.`);
    if (signal.aborted) return fail("dns", `Timed out resolving ${host}.`, true);
    const code = (e as { code?: string }).code ?? "";
    return fail("dns", `No addresses found for ${host}${code && code !== "ENOTFOUND" ? ` (${code})` : ""}.`, TRANSIENT_DNS.has(code));
  }
}
