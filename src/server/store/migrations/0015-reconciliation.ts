import { sql } from "kysely";
import type { Migration } from "./migration.js";

/**
 * Crash reconciliation: a signing record can end `abandoned` (its intent was recorded, no
 * certificate was ever committed), and a certificate issued in an HTTP answer waits for that
 * answer to be written (`delivery` pending → cleared; unconfirmed when it never was).
 */
export const reconciliation: Migration = {
  name: "0015_reconciliation",
  async up(db) {
    await sql`
      alter table signing_log drop constraint if exists signing_log_status_check;
      alter table signing_log add constraint signing_log_status_check check (status in ('intended', 'signed', 'failed', 'abandoned'));
      alter table signing_log add column resolved_at timestamptz;
      create index signing_log_intended on signing_log(created_at) where status = 'intended';
      create index signing_log_abandoned on signing_log(resolved_at desc) where status = 'abandoned';
      alter table certificates add column delivery text check (delivery in ('pending', 'unconfirmed'));
      create index certificates_delivery on certificates(delivery, created_at) where delivery is not null;
    `.execute(db);
  },
};
