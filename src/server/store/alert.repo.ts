import { sql, type Kysely, type Selectable } from "kysely";
import type { AlertDeliveriesTable, AlertEventType, AlertFilters, AlertRulesTable, Database } from "./schema.js";

export type AlertRuleRow = Selectable<AlertRulesTable>;
export type AlertDeliveryRow = Selectable<AlertDeliveriesTable>;

/** A new alert rule's row. */
export interface NewAlertRule {
  id: string;
  projectId: string;
  name: string;
  events: AlertEventType[];
  expirationDays: number[];
  filters: AlertFilters;
  channel: "webhook" | "email";
  webhookUrl: string | null;
  secretSealed: unknown | null;
  emailTo: string[] | null;
  enabled: boolean;
  at: Date;
}

/** A new delivery: one alert for one rule, unique by `dedupeKey`. */
export interface NewAlertDelivery {
  id: string;
  ruleId: string;
  eventId: string;
  eventType: string;
  certificateId: string | null;
  dedupeKey: string;
  payload: Record<string, unknown>;
  at: Date;
}

/** A certificate inside an expiration window of a rule (`days`: the smallest window it is in). */
export interface ExpiringCertificate {
  id: string;
  days: number;
}

/** Escapes a glob (`*` = any run of characters within one name) into a POSIX regex over one name. */
function globToRegex(glob: string): string {
  return glob
    .toLowerCase()
    .replace(/[.^$+?()[\]{}|\\]/g, (m) => `\\${m}`)
    .replace(/\*/g, "[^ ]*");
}

/** Alert rules and their delivery log. */
export function alertRepo(db: Kysely<Database>) {
  return {
    /** Inserts a rule. */
    async insertRule(r: NewAlertRule) {
      await db
        .insertInto("alert_rules")
        .values({
          id: r.id,
          project_id: r.projectId,
          name: r.name,
          events: JSON.stringify(r.events),
          expiration_days: JSON.stringify(r.expirationDays),
          filters: JSON.stringify(r.filters),
          channel: r.channel,
          webhook_url: r.webhookUrl,
          secret_sealed: r.secretSealed === null ? null : JSON.stringify(r.secretSealed),
          email_to: r.emailTo === null ? null : JSON.stringify(r.emailTo),
          enabled: r.enabled,
          created_at: r.at,
          updated_at: r.at,
        })
        .execute();
    },
    /** A rule by id. */
    ruleById: (id: string) => db.selectFrom("alert_rules").selectAll().where("id", "=", id).executeTakeFirst(),
    /** A project's rules, oldest first. */
    rulesOf: (projectId: string) => db.selectFrom("alert_rules").selectAll().where("project_id", "=", projectId).orderBy("created_at").orderBy("id").limit(1000).execute(),
    /** A project's enabled rules listening to `event`. */
    enabledRulesFor: (projectId: string, event: AlertEventType) =>
      db.selectFrom("alert_rules").selectAll().where("project_id", "=", projectId).where("enabled", "=", true).where(sql<boolean>`events @> ${JSON.stringify([event])}::jsonb`).execute(),
    /** Every enabled rule with an expiration event (all projects). */
    expirationRules: () => db.selectFrom("alert_rules").selectAll().where("enabled", "=", true).where(sql<boolean>`events @> '["expiration"]'::jsonb`).orderBy("id").execute(),
    /** Replaces a rule's changeable fields. */
    async updateRule(id: string, r: { name: string; events: AlertEventType[]; expirationDays: number[]; filters: AlertFilters; webhookUrl: string | null; emailTo: string[] | null; enabled: boolean; at: Date }) {
      await db
        .updateTable("alert_rules")
        .set({ name: r.name, events: JSON.stringify(r.events), expiration_days: JSON.stringify(r.expirationDays), filters: JSON.stringify(r.filters), webhook_url: r.webhookUrl, email_to: r.emailTo === null ? null : JSON.stringify(r.emailTo), enabled: r.enabled, updated_at: r.at })
        .where("id", "=", id)
        .execute();
    },
    /** Deletes a rule and its delivery log. */
    async deleteRule(id: string) {
      await db.deleteFrom("alert_rules").where("id", "=", id).execute();
    },

    /**
     * Active, not renewed certificates of the rule's project inside one of its windows, with the
     * smallest such window, that have no delivery for that window yet; the rule's profile, CA and
     * name filters apply (the name glob matches CN or any SAN, case-insensitive).
     */
    async expiringFor(rule: AlertRuleRow, now: Date, limit: number): Promise<ExpiringCertificate[]> {
      const days = rule.expiration_days.filter((d) => Number.isInteger(d) && d > 0);
      if (!days.length) return [];
      const f = rule.filters;
      const maxDays = Math.max(...days);
      const profileFilter = f.profileIds.length ? sql`and c.profile_id::text in (select jsonb_array_elements_text(${JSON.stringify(f.profileIds)}::jsonb))` : sql``;
      const caFilter = f.caIds.length ? sql`and coalesce(c.ca_id, c.external_ca_id)::text in (select jsonb_array_elements_text(${JSON.stringify(f.caIds)}::jsonb))` : sql``;
      const nameFilter = f.namePattern ? sql`and c.search_text ~ ${`(^| )${globToRegex(f.namePattern)}( |$)`}` : sql``;
      const r = await sql<{ id: string; days: number }>`
        select c.id, w.days from certificates c
        cross join lateral (
          select min(x::int) as days from jsonb_array_elements_text(${JSON.stringify(days)}::jsonb) x
          where c.not_after <= ${now}::timestamptz + make_interval(days => x::int)
        ) w
        where c.project_id = ${rule.project_id} and c.status = 'active' and c.renewed_by_id is null
          and c.not_after > ${now} and c.not_after <= ${now}::timestamptz + make_interval(days => ${maxDays}::int)
          and w.days is not null
          ${profileFilter} ${caFilter} ${nameFilter}
          and not exists (select 1 from alert_deliveries d where d.dedupe_key = ${`${rule.id}:expiration:`} || c.id::text || ':' || w.days::text)
        order by c.not_after limit ${limit}`.execute(db);
      return r.rows.map((x) => ({ id: x.id, days: Number(x.days) }));
    },

    /** Inserts a delivery unless one with its dedupe key exists; true when this call inserted it. */
    async insertDelivery(d: NewAlertDelivery) {
      const r = await db
        .insertInto("alert_deliveries")
        .values({ id: d.id, rule_id: d.ruleId, event_id: d.eventId, event_type: d.eventType, certificate_id: d.certificateId, dedupe_key: d.dedupeKey, status: "pending", attempts: 0, next_attempt_at: d.at, last_error: null, response_status: null, payload: JSON.stringify(d.payload), created_at: d.at, delivered_at: null })
        .onConflict((oc) => oc.column("dedupe_key").doNothing())
        .executeTakeFirst();
      return Number(r.numInsertedOrUpdatedRows ?? 0) === 1;
    },
    /**
     * Claims one due delivery of an enabled rule (or the one named by `id`) for `leaseSeconds`
     * and counts the attempt. SKIP LOCKED plus the moved next_attempt_at mean two servers never
     * send one attempt twice.
     */
    async claimDue(now: Date, leaseSeconds: number, id?: string): Promise<AlertDeliveryRow | undefined> {
      const only = id ? sql`and d.id = ${id}` : sql`and exists (select 1 from alert_rules r where r.id = d.rule_id and r.enabled)`;
      const r = await sql<AlertDeliveryRow>`
        update alert_deliveries set attempts = attempts + 1, next_attempt_at = ${now}::timestamptz + make_interval(secs => ${leaseSeconds})
        where id = (
          select d.id from alert_deliveries d
          where d.status = 'pending' and d.next_attempt_at <= ${now} ${only}
          order by d.next_attempt_at limit 1 for update skip locked
        ) and status = 'pending'
        returning *`.execute(db);
      return r.rows[0];
    },
    /** Records an attempt's outcome: delivered, retry at `retryAt`, or failed for good. */
    async recordAttempt(id: string, o: { status: "delivered" | "pending" | "failed"; at: Date; retryAt?: Date; responseStatus: number | null; error: string | null }) {
      await db
        .updateTable("alert_deliveries")
        .set({
          status: o.status,
          response_status: o.responseStatus,
          last_error: o.error === null ? null : o.error.slice(0, 500),
          ...(o.status === "delivered" ? { delivered_at: o.at } : {}),
          ...(o.retryAt ? { next_attempt_at: o.retryAt } : {}),
        })
        .where("id", "=", id)
        .execute();
    },
    /** A delivery by id. */
    deliveryById: (id: string) => db.selectFrom("alert_deliveries").selectAll().where("id", "=", id).executeTakeFirst(),
    /** A rule's delivery log, newest first. */
    deliveriesOf: (ruleId: string, q: { limit: number; status?: "pending" | "delivered" | "failed" }) => {
      let s = db.selectFrom("alert_deliveries").selectAll().where("rule_id", "=", ruleId);
      if (q.status) s = s.where("status", "=", q.status);
      return s.orderBy("created_at", "desc").orderBy("id", "desc").limit(q.limit).execute();
    },
  };
}
