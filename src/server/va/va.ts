import { setTimeout as delay } from "node:timers/promises";
import { dns01Attempt } from "./dns-01.js";
import { http01Attempt } from "./http-01.js";
import { checkIdentifier } from "./identifier.js";
import { tlsAlpn01Attempt } from "./tls-alpn-01.js";
import type { Attempt, Identifier, VaConfig, VaResult } from "./types.js";

export type { Identifier, VaConfig, VaProblem, VaProblemType, VaResult } from "./types.js";

/** Production defaults: the RFC ports, public addresses only, 10 s per attempt, 3 attempts. */
export const VA_DEFAULTS: VaConfig = { http01Port: 80, tlsAlpn01Port: 443, allowPrivateAddresses: false, timeoutMs: 10_000, retries: 2 };

// Backoff between attempts after a transient failure: short, so an ACME client polling with
// Retry-After: 1 (lego, STACK.md) sees the result quickly.
const BACKOFF_MS = 250;

/** The validation authority: the only module making outbound connections (ARCHITECTURE.md). */
export interface Va {
  /** http-01 (RFC 8555 §8.3; RFC 8738 §4 for IP identifiers): the key authorization at /.well-known/acme-challenge/{token}. */
  http01(id: Identifier, token: string, expectedKeyAuthorization: string): Promise<VaResult>;
  /** dns-01 (RFC 8555 §8.4): `expectedTxt` (the caller's base64url digest) in a TXT record at _acme-challenge.{name}. */
  dns01(id: Identifier, expectedTxt: string): Promise<VaResult>;
  /** tls-alpn-01 (RFC 8737 §3, RFC 8738 §6): the certificate presented for acme-tls/1, judged by `check` (null = acceptable). */
  tlsAlpn01(id: Identifier, check: (certDer: Uint8Array) => string | null): Promise<VaResult>;
}

/** Creates the validation authority; nothing it returns throws: every failure is a VaResult problem. */
export function createVa(partial: Partial<VaConfig>): Va {
  const cfg: VaConfig = { ...VA_DEFAULTS, ...stripUndefined(partial) };
  const sleep = cfg.sleep ?? ((ms: number) => delay(ms).then(() => undefined));
  const retries = Math.max(0, Math.floor(cfg.retries));

  async function run(attempt: () => Promise<Attempt>): Promise<VaResult> {
    for (let i = 0; ; i++) {
      let r: Attempt;
      try {
        r = await attempt();
      } catch {
        r = { ok: false, problem: { type: "connection", detail: "Validation failed unexpectedly." } };
      }
      if (r.ok || !r.transient || i >= retries) return r.ok ? r : { ok: false, problem: r.problem };
      await sleep(BACKOFF_MS * 2 ** i);
    }
  }

  return {
    http01: async (id, token, expected) => {
      const c = checkIdentifier(id, false);
      if ("problem" in c) return { ok: false, problem: c.problem };
      return run(() => http01Attempt(c.host, token, expected, cfg));
    },
    dns01: async (id, expected) => {
      // RFC 8738 §7: dns-01 does not apply to IP identifiers.
      if (id?.type !== "dns") return { ok: false, problem: { type: "malformed", detail: "dns-01 validates DNS identifiers only (RFC 8738 §7)." } };
      const c = checkIdentifier(id, true); // RFC 8555 §8.4: *.example.com is validated at _acme-challenge.example.com
      if ("problem" in c) return { ok: false, problem: c.problem };
      return run(() => dns01Attempt(c.host, expected, cfg));
    },
    tlsAlpn01: async (id, check) => {
      const c = checkIdentifier(id, false);
      if ("problem" in c) return { ok: false, problem: c.problem };
      return run(() => tlsAlpn01Attempt(c.host, check, cfg));
    },
  };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([, v]) => v !== undefined)) as Partial<T>;
}
