import { isIP } from "node:net";
import * as acme from "acme-client";
import type { Violation } from "../../../errors.js";
import type { ViolationCode } from "../../../violations.js";
import type { Egress } from "../egress.js";
import { refusalMessage, refusalOf } from "../egress.js";
import { probeDirectory, withCaConnection } from "./acme-http.js";
import { dnsResolverFor, followCnames, type DnsServer } from "./dns-lookup.js";
import type { AcmeCaSettings } from "../../ra/external/ports.js";
import { hookSolver, rfc2136Solver, type TxtAction } from "./dns-solvers.js";
import { waitForTxt } from "./propagation.js";

/** An ACME external CA as the VA needs it: settings and opened secrets (the RA's port declares it). */
export type { AcmeCaSettings };

/** Why an order failed: a message for the caller and the CA's problem document (RFC 8555 §6.7) when it sent one. */
export type OrderFailure = Error & { problem: Record<string, unknown> | null };

/** What the VA needs to reach external CAs: the egress policy, the DNS resolver, the registered hooks. */
export interface ExternalAcmeDeps {
  egress: Egress;
  /** --acme-dns-resolver, else the system resolver. */
  resolver: DnsServer | null;
  /** --dns-hook name=/path entries. */
  hooks: ReadonlyMap<string, string>;
  timeoutMs?: number;
}

function failure(message: string, problem: Record<string, unknown> | null = null): OrderFailure {
  return Object.assign(new Error(message), { problem });
}

/** A readable reason for a connection failure to the CA. */
function connectionReason(e: unknown): { code: ViolationCode; message: string } {
  const r = refusalOf(e);
  if (r) return { code: "egress_refused", message: refusalMessage(r) };
  const x = e as { code?: string; cause?: { code?: string }; errors?: { code?: string }[]; message?: string; response?: unknown };
  const code = x.code ?? x.cause?.code ?? x.errors?.[0]?.code ?? "";
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ALTNAME/.test(code)) return { code: "tls_untrusted", message: `The CA's TLS certificate is not trusted (${code}); add its root to trustBundle.` };
  if (code === "NOT_ACME") return { code: "not_acme", message: x.message ?? "" };
  if (code && code !== "ERR_BAD_REQUEST" && code !== "ERR_BAD_RESPONSE") return { code: "unreachable", message: `The ACME directory could not be reached (${code}).` };
  return { code: "unreachable", message: `The ACME directory did not answer as an ACME server: ${x.message ?? "no answer"}.` };
}

/**
 * The client side of ACME (RFC 8555) against a public CA, built on acme-client. Every request
 * goes through the egress policy with the CA's own trust bundle; DNS-01 records are put up by
 * the CA's solver, awaited on the zone's servers, and always taken down again.
 */
export function createExternalAcme(deps: ExternalAcmeDeps) {
  const timeoutMs = deps.timeoutMs ?? 20_000;
  const conn = (ca: AcmeCaSettings) => ({ egress: deps.egress, trustBundle: ca.trustBundle, timeoutMs });
  const client = (ca: AcmeCaSettings) =>
    new acme.Client({ directoryUrl: ca.directoryUrl, accountKey: ca.accountKeyPem, accountUrl: ca.accountUrl ?? undefined, externalAccountBinding: ca.eab ?? undefined, backoffAttempts: 30, backoffMin: 300, backoffMax: 2000 });

  function solverOf(ca: AcmeCaSettings): TxtAction {
    if (ca.solver.type === "rfc2136") return rfc2136Solver(deps.egress, ca.solver);
    const path = deps.hooks.get(ca.solver.hook);
    if (!path) throw failure(`The DNS hook ${ca.solver.hook} is not registered on this server (--dns-hook).`);
    return hookSolver(ca.solver.hook, path);
  }

  return {
    /** The hook names the operator registered. */
    hookNames: () => [...deps.hooks.keys()],
    /** A new ACME account key (EC P-256, PEM). */
    newAccountKey: async () => (await acme.crypto.createPrivateEcdsaKey()).toString("utf8"),
    /** Why the DNS server `host` may not be contacted under the egress policy, or null. */
    dnsServerRefusal(host: string): string | null {
      const r = isIP(host) ? deps.egress.addressRefusal(host) : deps.egress.hostRefusal(host);
      return r ? refusalMessage(r) : null;
    },
    /**
     * Registers (or finds) the account (RFC 8555 §7.3), with external account binding (§7.3.4)
     * when given. Every problem is a violation naming the setting to fix.
     */
    async register(ca: AcmeCaSettings): Promise<{ accountUrl: string } | { violations: Violation[] }> {
      return withCaConnection(conn(ca), async () => {
        const c = client(ca);
        let eabRequired = false;
        try {
          await probeDirectory(ca.directoryUrl);
          eabRequired = (await (c as unknown as { api: { http: { getMetaField(f: string): Promise<unknown> } } }).api.http.getMetaField("externalAccountRequired")) === true;
        } catch (e) {
          const r = connectionReason(e);
          return { violations: [{ field: r.code === "tls_untrusted" ? "trustBundle" : "directoryUrl", code: r.code, message: r.message, value: ca.directoryUrl }] };
        }
        if (eabRequired && !ca.eab) return { violations: [{ field: "eabKid", code: "required", message: "The CA requires external account binding (RFC 8555 §7.3.4): give eabKid and eabHmacKey from the CA's account page." }] };
        try {
          await c.createAccount({ termsOfServiceAgreed: true, contact: [`mailto:${ca.accountEmail}`] });
          return { accountUrl: c.getAccountUrl() };
        } catch (e) {
          const message = `The CA refused the account: ${(e as Error).message}`;
          if (ca.eab) return { violations: [{ field: "eabHmacKey", code: "eab_refused", message, value: ca.eab.kid }] };
          return { violations: [{ field: "accountEmail", code: "account_refused", message, value: ca.accountEmail }] };
        }
      });
    },

    /**
     * Orders a certificate for `names` with `csrPem` (RFC 8555 §7.4): DNS-01 records up, propagation
     * awaited, challenges answered, records down (success or not), then finalize and download.
     * `onValidation` is told once the CA is validating. Rejects with an OrderFailure.
     */
    async order(ca: AcmeCaSettings, names: string[], csrPem: string, onValidation: () => Promise<void>): Promise<{ certificatePem: string; chainPem: string }> {
      return withCaConnection(conn(ca), async () => {
        const c = client(ca);
        const txt = solverOf(ca);
        const resolverServers = deps.resolver ? [deps.resolver] : [];
        const resolver = dnsResolverFor(deps.egress, resolverServers, 2000);
        const order = await c.createOrder({ identifiers: names.map((value) => ({ type: "dns", value })) }).catch((e) => {
          throw failure(`The CA refused the order: ${(e as Error).message}`);
        });
        const authzs = await c.getAuthorizations(order);
        const presented: { name: string; value: string }[] = [];
        const cleanupErrors: string[] = [];
        try {
          const pending: { challenge: acme.Authorization["challenges"][number]; identifier: string }[] = [];
          for (const a of authzs) {
            if (a.status === "valid") continue;
            const challenge = a.challenges.find((x) => x.type === "dns-01");
            if (!challenge) throw failure(`The CA offers no dns-01 challenge for ${a.identifier.value}.`);
            const value = await c.getChallengeKeyAuthorization(challenge);
            // RFC 8555 §8.4: the TXT record sits at _acme-challenge.<name>, possibly delegated by CNAME.
            const name = await followCnames(resolver, `_acme-challenge.${a.identifier.value}`).catch(() => `_acme-challenge.${a.identifier.value}`);
            presented.push({ name, value });
            await txt("present", name, value).catch((e) => {
              throw failure((e as Error).message);
            });
            const primary = ca.solver.type === "rfc2136" ? { host: ca.solver.server, port: ca.solver.port } : null;
            const seen = await waitForTxt({ egress: deps.egress, resolver, resolverServers, primary, name, expected: value, timeoutMs: ca.propagationTimeoutSeconds * 1000 });
            if (!seen.ok) throw failure(`The TXT record ${name} was not visible on ${seen.where} within ${ca.propagationTimeoutSeconds} s.`);
            pending.push({ challenge, identifier: a.identifier.value });
          }
          await onValidation();
          for (const p of pending) {
            await c.completeChallenge(p.challenge);
            try {
              await c.waitForValidStatus(p.challenge);
            } catch (e) {
              const again = (await c.getAuthorizations(order).catch(() => [])).find((a) => a.identifier.value === p.identifier);
              const problem = (again?.challenges.find((x) => x.type === "dns-01") as { error?: Record<string, unknown> } | undefined)?.error ?? null;
              throw failure(`The CA could not validate ${p.identifier}: ${(problem?.detail as string | undefined) ?? (e as Error).message}`, problem);
            }
          }
        } finally {
          for (const r of presented) await txt("cleanup", r.name, r.value).catch((e) => cleanupErrors.push((e as Error).message));
        }
        if (cleanupErrors.length) throw failure(`Validation succeeded but a DNS record could not be removed: ${cleanupErrors.join("; ")}`);
        const finalized = await c.finalizeOrder(order, csrPem).catch((e) => {
          throw failure(`The CA refused to finalize the order: ${(e as Error).message}`);
        });
        const pem = await c.getCertificate(finalized);
        const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
        if (!blocks.length) throw failure("The CA's certificate download held no certificate.");
        return { certificatePem: `${blocks[0]}\n`, chainPem: blocks.slice(1).map((b) => `${b}\n`).join("") };
      });
    },

    /** Forwards a revocation to the CA (RFC 8555 §7.6), signed with the account key. */
    async revoke(ca: AcmeCaSettings, certificatePem: string, reason: number): Promise<void> {
      await withCaConnection(conn(ca), () => client(ca).revokeCertificate(certificatePem, { reason }));
    },
  };
}

/** The external ACME client, as compose.ts builds it. */
export type ExternalAcme = ReturnType<typeof createExternalAcme>;
