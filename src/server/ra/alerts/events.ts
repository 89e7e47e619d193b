import type { AlertRuleRow } from "../../store/alert.repo.js";
import type { CertificateRow } from "../../store/cert.repo.js";
import type { CertEvent } from "../certs/issue.js";
import type { CrlFailure } from "../revocation/crls.js";
import { certificateData, cloudEvent, EVENT_TYPES } from "./cloudevent.js";
import type { AlertDeps } from "./deps.js";
import { matchesFilters } from "./match.js";

/** Certificates looked at per rule and expiration pass; the rest wait for the next pass. */
const SCAN_BATCH = 500;

/** Queues one delivery of `type` about `c` for `rule`; false when its dedupe key was already queued (by any server). */
async function queue(deps: AlertDeps, rule: AlertRuleRow, c: CertificateRow, type: keyof typeof EVENT_TYPES, dedupeKey: string, extra: Record<string, unknown> = {}) {
  const eventId = deps.rt.uuid();
  const now = deps.rt.clock();
  const payload = cloudEvent({ id: eventId, publicUrl: deps.publicUrl, projectId: rule.project_id, type: EVENT_TYPES[type], time: now, subject: c.id, data: { certificate: certificateData(c, now), rule: { id: rule.id, name: rule.name }, ...extra } });
  return deps.store.alert.insertDelivery({ id: deps.rt.uuid(), ruleId: rule.id, eventId, eventType: payload.type, certificateId: c.id, dedupeKey, payload, at: now });
}

/** Turns certificate events and approaching expiry into queued deliveries. */
export function createAlertEvents(deps: AlertDeps) {
  const { store, rt } = deps;
  return {
    /**
     * The CertDeps.onEvent hook: called after the change committed; queues a delivery for every
     * matching rule. Never throws: an alert must not fail the issuance or revocation it reports.
     */
    async onEvent(e: CertEvent): Promise<void> {
      try {
        // The project's rules first (cached): a project without any costs no read of the certificate.
        const known = e.projectId ? await store.alert.enabledRulesFor(e.projectId, e.type) : null;
        if (known?.length === 0) return;
        const c = await store.cert.certificateById(e.certificateId);
        if (!c) return;
        let queued = 0;
        for (const rule of known ?? (await store.alert.enabledRulesFor(c.project_id, e.type))) {
          if (!matchesFilters(rule.filters, { profileId: c.profile_id, caId: c.ca_id, commonName: c.common_name, altNames: c.alt_names })) continue;
          // A certificate is issued, renewed or revoked once; a failing renewal is retried hourly, so it alerts once a day.
          const extra = e.reason ? { reason: e.reason.slice(0, 1000) } : {};
          const key = e.type === "renewal_failed" ? `${rule.id}:${e.type}:${c.id}:${rt.clock().toISOString().slice(0, 10)}` : `${rule.id}:${e.type}:${c.id}`;
          if (await queue(deps, rule, c, e.type, key, extra)) queued++;
        }
        if (queued) deps.onQueued?.();
      } catch (err) {
        deps.log?.(`alerts: queueing ${e.type} of certificate ${e.certificateId} failed`, err);
      }
    },
    /**
     * A CA's CRL cannot be built (or is past its nextUpdate): one alert per rule of the CA's
     * project listening to crl_failed, per failure episode (and once more when it goes stale);
     * the dedupe key makes that once across servers. Never throws.
     */
    async onCrlFailed(f: CrlFailure): Promise<void> {
      try {
        const ca = await store.ca.caById(f.caId);
        if (!ca) return;
        let queued = 0;
        for (const rule of await store.alert.enabledRulesFor(ca.project_id, "crl_failed")) {
          if (rule.filters.caIds.length && !rule.filters.caIds.includes(ca.id)) continue;
          const eventId = rt.uuid();
          const now = rt.clock();
          const crl = { error: f.error.slice(0, 1000), failingSince: f.failingSince.toISOString(), stale: f.stale };
          const payload = cloudEvent({ id: eventId, publicUrl: deps.publicUrl, projectId: ca.project_id, type: EVENT_TYPES.crl_failed, time: now, subject: ca.id, data: { ca: { id: ca.id, name: ca.name }, crl, rule: { id: rule.id, name: rule.name } } });
          const key = `${rule.id}:crl_failed:${ca.id}:${crl.failingSince}${f.stale ? ":stale" : ""}`;
          if (await store.alert.insertDelivery({ id: rt.uuid(), ruleId: rule.id, eventId, eventType: payload.type, certificateId: null, dedupeKey: key, payload, at: now })) queued++;
        }
        if (queued) deps.onQueued?.();
      } catch (err) {
        deps.log?.(`alerts: queueing crl_failed of CA ${f.caId} failed`, err);
      }
    },
    /**
     * One expiration pass: for each enabled rule, each active certificate inside one of its
     * windows gets one alert per window (the smallest window it is in), also with N servers: the
     * dedupe key `<rule>:expiration:<certificate>:<days>` is unique in the database.
     */
    async scanExpiring() {
      const now = rt.clock();
      let queued = 0;
      for (const rule of await store.alert.expirationRules()) {
        for (const x of await store.alert.expiringFor(rule, now, SCAN_BATCH)) {
          const c = await store.cert.certificateById(x.id);
          if (!c) continue;
          const daysLeft = Math.max(0, Math.ceil((new Date(c.not_after).getTime() - now.getTime()) / 86_400_000));
          if (await queue(deps, rule, c, "expiration", `${rule.id}:expiration:${c.id}:${x.days}`, { window: x.days, daysLeft })) queued++;
        }
      }
      if (queued) deps.onQueued?.();
      return { queued };
    },
  };
}
