import type { AlertDeliveryRow } from "../../store/alert.repo.js";
import { emailText, signBody, type cloudEvent } from "./cloudevent.js";
import { secretAad, type AlertDeps } from "./deps.js";

/** How long a claimed attempt is held before another server may retry it (a crashed sender). */
const LEASE_SECONDS = 120;
/** Attempts before a delivery is marked failed. */
export const MAX_ATTEMPTS = 8;
/** Backoff: 10 s, 20 s, 40 s, … doubling after each failed attempt. */
const BACKOFF_BASE_MS = 10_000;
/** Deliveries one pass sends at most (the next pass, or a poke, takes the rest). */
const PASS_LIMIT = 200;

/** Sends due deliveries, one claimed attempt at a time, with retries and backoff. */
export function createAlertDelivery(deps: AlertDeps) {
  const { store, rt, sender } = deps;

  /** One attempt of a claimed delivery; records the outcome and returns the updated row. */
  async function attempt(d: AlertDeliveryRow): Promise<AlertDeliveryRow> {
    let responseStatus: number | null = null;
    let error: string | null = null;
    const rule = await store.alert.ruleById(d.rule_id);
    if (!rule) return d;
    const event = d.payload as ReturnType<typeof cloudEvent>;
    try {
      if (rule.channel === "webhook") {
        // The exact bytes sent are the bytes signed.
        const body = JSON.stringify(event);
        const secret = deps.secrets.open(rule.secret_sealed, secretAad(rule.id));
        const r = await sender.webhook(rule.webhook_url ?? "", body, {
          "content-type": "application/cloudevents+json; charset=utf-8",
          "x-stamp-signature": signBody(secret, body),
          "x-stamp-delivery": d.id,
          "x-stamp-event": d.event_type,
          "user-agent": "Stamp-Alerts/1",
        });
        responseStatus = r.status;
        if (r.status < 200 || r.status > 299) error = `The receiver answered HTTP ${r.status}.`;
      } else {
        if (!sender.email) throw new Error("No SMTP server is configured (--smtp-url).");
        const m = emailText(event);
        await sender.email({ to: rule.email_to ?? [], subject: m.subject, text: m.text, date: rt.clock(), messageId: `${d.id}@stamp` });
      }
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
    }
    const now = rt.clock();
    if (error === null) {
      await store.alert.recordAttempt(d.id, { status: "delivered", at: now, responseStatus, error: null });
    } else if (d.attempts >= MAX_ATTEMPTS) {
      await store.alert.recordAttempt(d.id, { status: "failed", at: now, responseStatus, error });
    } else {
      const retryAt = new Date(now.getTime() + BACKOFF_BASE_MS * 2 ** (d.attempts - 1));
      await store.alert.recordAttempt(d.id, { status: "pending", at: now, retryAt, responseStatus, error });
    }
    return (await store.alert.deliveryById(d.id)) ?? d;
  }

  return {
    /** One pass: claims and sends every due delivery (up to a bound); returns how many were tried. */
    async deliverDue() {
      let tried = 0;
      for (; tried < PASS_LIMIT; tried++) {
        const d = await store.alert.claimDue(rt.clock(), LEASE_SECONDS);
        if (!d) break;
        await attempt(d);
      }
      return { tried };
    },
    /** Claims and sends one delivery now (the test route); undefined when it is not due or is taken. */
    async deliverNow(id: string) {
      const d = await store.alert.claimDue(rt.clock(), LEASE_SECONDS, id);
      return d ? attempt(d) : undefined;
    },
  };
}
