import { isStampError } from "../../../errors.js";
import { audit } from "../audit.js";
import { renewCertificate } from "./renew.js";
import type { CertDeps } from "./issue.js";

/** How long a server holds a renewal before another may take it over (a crashed server's claim). */
const LEASE_SECONDS = 600;
const BATCH = 100;

/**
 * Server-driven renewal: renews certificates whose key Stamp holds, inside their window
 * (the certificate's own setting, else its profile's apiConfig). Every server may run it: a
 * claim in the database lets exactly one renew each certificate. A failure is recorded on the
 * certificate (and retried an hour later), so its owner sees why.
 */
export function createAutoRenewal(deps: CertDeps) {
  const { store, rt } = deps;
  const actor = { type: "system", id: "auto-renew" };
  return {
    /** One pass: returns what was renewed, the requests queued on external CAs, and what failed. */
    async run() {
      const now = rt.clock();
      const renewed: string[] = [];
      const queued: string[] = [];
      const failed: { id: string; reason: string }[] = [];
      for (const id of await store.cert.dueForRenewal(now, BATCH)) {
        if (!(await store.cert.claimRenewal(id, now, LEASE_SECONDS))) continue;
        const c = await store.cert.certificateById(id);
        if (!c || c.renewed_by_id) continue;
        // An external CA's renewal already waiting (queued by an earlier run whose claim ran out).
        if (c.external_ca_id && (await store.external.waitingRenewalOf(c.id))) continue;
        const profile = c.profile_id ? await store.cert.profileById(c.profile_id) : undefined;
        const ctx = { principal: null, sourceIp: null, actor };
        try {
          const r = await renewCertificate(deps, ctx, c, profile, { renewalKeySource: "new" }, { method: "api", actor });
          // On an external CA the renewal is a request the external-ca-requests job finishes (or fails, recorded on this certificate).
          if (r.certificate) renewed.push(r.certificate.certificateId);
          else if ("certificateRequestId" in r && r.certificateRequestId) queued.push(r.certificateRequestId);
        } catch (e) {
          const reason = isStampError(e)
            ? [e.message, ...e.violations.map((v) => `${v.field}: ${v.message}`)].join(" ")
            : "internal error (see the server log)";
          await store.cert.recordRenewalFailure(id, reason, now);
          await audit(store, rt, ctx, { projectId: c.project_id, action: "certificate.renew", objectType: "certificate", objectId: id, outcome: "failure", detail: { reason: reason.slice(0, 500), auto: true } });
          await deps.onEvent?.({ type: "renewal_failed", certificateId: id, reason });
          failed.push({ id, reason });
        }
      }
      return { renewed, queued, failed };
    },
  };
}
