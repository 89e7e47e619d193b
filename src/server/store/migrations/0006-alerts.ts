import { sql } from "kysely";
import type { Migration } from "./migration.js";

/** Alert rules and their delivery log. */
export const alerts: Migration = {
  name: "0006_alerts",
  async up(db) {
    await sql`
      -- Alert rules: which certificate events go where (a signed webhook or an email).
      create table alert_rules (
        id uuid primary key,
        project_id uuid not null references projects(id) on delete cascade,
        name text not null,
        events jsonb not null,
        expiration_days jsonb not null,
        filters jsonb not null,
        channel text not null check (channel in ('webhook', 'email')),
        webhook_url text,
        secret_sealed jsonb,
        email_to jsonb,
        enabled boolean not null default true,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );
      create index alert_rules_project on alert_rules(project_id, created_at);
      -- One row per alert and rule; the unique dedupe key makes "once" true across servers.
      create table alert_deliveries (
        id uuid primary key,
        rule_id uuid not null references alert_rules(id) on delete cascade,
        event_id uuid not null,
        event_type text not null,
        certificate_id uuid,
        dedupe_key text not null unique,
        status text not null check (status in ('pending', 'delivered', 'failed')),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null,
        last_error text,
        response_status integer,
        payload jsonb not null,
        created_at timestamptz not null,
        delivered_at timestamptz
      );
      create index alert_deliveries_due on alert_deliveries(next_attempt_at) where status = 'pending';
      create index alert_deliveries_rule on alert_deliveries(rule_id, created_at desc);
    `.execute(db);
  },
};
