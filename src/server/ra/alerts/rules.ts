import { errors, type Violation } from "../../../errors.js";
import type { AlertDeliveryRow, AlertRuleRow } from "../../store/alert.repo.js";
import type { AlertEventType, AlertFilters } from "../../store/schema.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import { cloudEvent, EVENT_TYPES } from "./cloudevent.js";
import { secretAad, type AlertDeps } from "./deps.js";
import type { createAlertDelivery } from "./delivery.js";
import { isEmptyPatch, mergePatch } from "../merge-patch.js";

/** POST …/alert-rules as the contract validated it. */
export interface AlertRuleInput {
  name: string;
  events: AlertEventType[];
  expirationDays?: number[];
  filters?: { profileIds?: string[]; caIds?: string[]; namePattern?: string | null };
  channel: "webhook" | "email";
  webhookUrl?: string;
  emailTo?: string[];
  enabled?: boolean;
}
/** PATCH …/alert-rules/:ruleId: every field optional; the channel cannot change. */
export type AlertRulePatch = Partial<Omit<AlertRuleInput, "channel">>;

const DEFAULT_EXPIRATION_DAYS = [30, 7];

/** The API view of a rule (never the secret). */
export function ruleView(r: AlertRuleRow) {
  return {
    id: r.id,
    projectId: r.project_id,
    name: r.name,
    events: r.events,
    expirationDays: r.expiration_days,
    filters: r.filters,
    channel: r.channel,
    webhookUrl: r.webhook_url,
    emailTo: r.email_to,
    enabled: r.enabled,
    createdAt: new Date(r.created_at).toISOString(),
    updatedAt: new Date(r.updated_at).toISOString(),
  };
}

/** The API view of one delivery of the log. */
export function deliveryView(d: AlertDeliveryRow) {
  return {
    id: d.id,
    ruleId: d.rule_id,
    eventId: d.event_id,
    eventType: d.event_type,
    certificateId: d.certificate_id,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === "pending" ? new Date(d.next_attempt_at).toISOString() : null,
    lastError: d.last_error,
    responseStatus: d.response_status,
    createdAt: new Date(d.created_at).toISOString(),
    deliveredAt: d.delivered_at ? new Date(d.delivered_at).toISOString() : null,
  };
}

/** Alert rules: create (the webhook secret is shown once), read, change, delete, the delivery log, a test send. */
export function createAlertRules(deps: AlertDeps & { delivery: ReturnType<typeof createAlertDelivery> }) {
  const { store, rt } = deps;

  async function load(ctx: RequestContext, projectId: string, ruleId: string) {
    await requireRole(store, ctx, projectId, "admin", { type: "Project", id: projectId });
    const r = await store.alert.ruleById(ruleId);
    if (!r || r.project_id !== projectId) throw errors.notFound("Alert rule", ruleId);
    return r;
  }
  /** Checks references and channel fields; every problem at once. */
  async function check(projectId: string, channel: "webhook" | "email", f: AlertFilters, x: { webhookUrl: string | null; emailTo: string[] | null; checkUrl?: string }) {
    const v: Violation[] = [];
    for (const [i, id] of f.profileIds.entries()) {
      const p = await store.cert.profileById(id);
      if (!p || p.project_id !== projectId) v.push({ field: `filters.profileIds.${i}`, code: "unknown_profile", message: "No profile with this id in the project.", value: id });
    }
    for (const [i, id] of f.caIds.entries()) {
      // An internal CA, or an external one (issue 11): its certificates carry external_ca_id.
      const c = (await store.ca.caById(id)) ?? (await store.external.caById(id));
      if (!c || c.project_id !== projectId) v.push({ field: `filters.caIds.${i}`, code: "unknown_ca", message: "No CA with this id in the project.", value: id });
    }
    if (channel === "webhook" && !x.webhookUrl) v.push({ field: "webhookUrl", code: "required", message: "A webhook rule needs webhookUrl (http or https)." });
    // The egress policy (docs/egress.md): refused literals and metadata names are refused now; names
    // are resolved and vetted again at every delivery. Only a URL being set is judged, so a rule
    // stored before the policy can still be changed (its deliveries are refused and logged).
    const refusal = channel === "webhook" && x.checkUrl ? deps.sender.webhookRefusal(x.checkUrl) : null;
    if (refusal) v.push({ field: "webhookUrl", code: "egress_refused", message: refusal, value: x.checkUrl });
    if (channel === "email" && !x.emailTo?.length) v.push({ field: "emailTo", code: "required", message: "An email rule needs at least one address in emailTo." });
    if (channel === "email" && !deps.sender.email) v.push({ field: "channel", code: "smtp_not_configured", message: "This server has no SMTP server configured (--smtp-url, --smtp-from); use a webhook or ask the operator." });
    if (v.length) throw errors.validation("The alert rule is not valid; see violations.", v);
  }
  const filtersOf = (f: AlertRuleInput["filters"] | undefined): AlertFilters => ({ profileIds: [...new Set(f?.profileIds ?? [])], caIds: [...new Set(f?.caIds ?? [])], namePattern: f?.namePattern ?? null });

  return {
    /** Creates a rule; a webhook rule's signing secret is in the answer, once. */
    async create(ctx: RequestContext, projectId: string, input: AlertRuleInput) {
      await requireRole(store, ctx, projectId, "admin", { type: "Project", id: projectId });
      const filters = filtersOf(input.filters);
      const webhookUrl = input.channel === "webhook" ? (input.webhookUrl ?? null) : null;
      const emailTo = input.channel === "email" ? (input.emailTo ?? null) : null;
      await check(projectId, input.channel, filters, { webhookUrl, emailTo, checkUrl: webhookUrl ?? undefined });
      const id = rt.uuid();
      const secret = input.channel === "webhook" ? `whsec_${rt.random(32).toString("base64url")}` : null;
      const now = rt.clock();
      await store.transaction(async (tx) => {
        await tx.alert.insertRule({
          id,
          projectId,
          name: input.name,
          events: [...new Set(input.events)],
          expirationDays: [...new Set(input.expirationDays ?? DEFAULT_EXPIRATION_DAYS)].sort((a, b) => b - a),
          filters,
          channel: input.channel,
          webhookUrl,
          secretSealed: secret ? deps.secrets.seal(Buffer.from(secret, "utf8"), secretAad(id)) : null,
          emailTo,
          enabled: input.enabled ?? true,
          at: now,
        });
        await audit(tx, rt, ctx, { projectId, action: "alert-rule.create", objectType: "alert-rule", objectId: id, outcome: "success", detail: { name: input.name, channel: input.channel, events: input.events } });
      });
      return { alertRule: ruleView((await store.alert.ruleById(id))!), ...(secret ? { webhookSecret: secret } : {}) };
    },
    /** A project's rules. */
    async list(ctx: RequestContext, projectId: string) {
      await requireRole(store, ctx, projectId, "admin", { type: "Project", id: projectId });
      return (await store.alert.rulesOf(projectId)).map(ruleView);
    },
    /** One rule. */
    async get(ctx: RequestContext, projectId: string, ruleId: string) {
      return ruleView(await load(ctx, projectId, ruleId));
    },
    /** Changes a rule's fields (not its channel or secret). */
    async update(ctx: RequestContext, projectId: string, ruleId: string, p: AlertRulePatch) {
      const r = await load(ctx, projectId, ruleId);
      if (isEmptyPatch(p)) return ruleView(r);
      // A partial filters object changes only the members it names.
      const filters = p.filters ? filtersOf(mergePatch(r.filters as NonNullable<AlertRuleInput["filters"]>, p.filters)) : r.filters;
      const webhookUrl = r.channel === "webhook" ? (p.webhookUrl ?? r.webhook_url) : null;
      const emailTo = r.channel === "email" ? (p.emailTo ?? r.email_to) : null;
      if (r.channel === "email" && p.webhookUrl !== undefined) throw errors.validation("This is an email rule.", [{ field: "webhookUrl", code: "wrong_channel", message: "An email rule has no webhook URL; create a webhook rule instead." }]);
      if (r.channel === "webhook" && p.emailTo !== undefined) throw errors.validation("This is a webhook rule.", [{ field: "emailTo", code: "wrong_channel", message: "A webhook rule has no email addresses; create an email rule instead." }]);
      await check(projectId, r.channel, filters, { webhookUrl, emailTo, checkUrl: p.webhookUrl });
      await store.transaction(async (tx) => {
        await tx.alert.updateRule(ruleId, {
          name: p.name ?? r.name,
          events: p.events ? [...new Set(p.events)] : r.events,
          expirationDays: p.expirationDays ? [...new Set(p.expirationDays)].sort((a, b) => b - a) : r.expiration_days,
          filters,
          webhookUrl,
          emailTo,
          enabled: p.enabled ?? r.enabled,
          at: rt.clock(),
        });
        await audit(tx, rt, ctx, { projectId, action: "alert-rule.update", objectType: "alert-rule", objectId: ruleId, outcome: "success", detail: { fields: Object.keys(p) } });
      });
      return ruleView((await store.alert.ruleById(ruleId))!);
    },
    /** Deletes a rule and its delivery log. */
    async remove(ctx: RequestContext, projectId: string, ruleId: string) {
      await load(ctx, projectId, ruleId);
      await store.transaction(async (tx) => {
        await tx.alert.deleteRule(ruleId);
        await audit(tx, rt, ctx, { projectId, action: "alert-rule.delete", objectType: "alert-rule", objectId: ruleId, outcome: "success" });
      });
    },
    /** The rule's delivery log, newest first. */
    async deliveries(ctx: RequestContext, projectId: string, ruleId: string, q: { limit: number; status?: "pending" | "delivered" | "failed" }) {
      await load(ctx, projectId, ruleId);
      return (await store.alert.deliveriesOf(ruleId, q)).map(deliveryView);
    },
    /** Queues a `dev.stamp.test` event for the rule and sends it at once; a failure is retried like any delivery. */
    async test(ctx: RequestContext, projectId: string, ruleId: string) {
      const r = await load(ctx, projectId, ruleId);
      const eventId = rt.uuid();
      const id = rt.uuid();
      const now = rt.clock();
      const payload = cloudEvent({ id: eventId, publicUrl: deps.publicUrl, projectId, type: EVENT_TYPES.test, time: now, subject: null, data: { rule: { id: r.id, name: r.name }, message: "A test alert from Stamp." } });
      await store.alert.insertDelivery({ id, ruleId, eventId, eventType: payload.type, certificateId: null, dedupeKey: `${ruleId}:test:${eventId}`, payload, at: now });
      await audit(store, rt, ctx, { projectId, action: "alert-rule.test", objectType: "alert-rule", objectId: ruleId, outcome: "success" });
      const sent = await deps.delivery.deliverNow(id);
      return deliveryView(sent ?? (await store.alert.deliveryById(id))!);
    },
  };
}

