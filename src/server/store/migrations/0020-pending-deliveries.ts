import { sql } from "kysely";
import type { Migration } from "./migration.js";

/**
 * Certificates awaiting the write of their HTTP answer get a row of their own (crash
 * reconciliation, 0015): clearing `certificates.delivery` rewrote the whole certificate row and
 * every one of its indexes, search indexes included, once per issuance. A certificate row is now
 * written once; a confirmed answer deletes a small row here. `delivery` keeps `unconfirmed`.
 */
export const pendingDeliveries: Migration = {
  name: "0020_pending_deliveries",
  async up(db) {
    await sql`
      create table pending_deliveries (
        certificate_id uuid primary key references certificates(id) on delete cascade,
        created_at timestamptz not null
      );
      create index pending_deliveries_created on pending_deliveries(created_at);
      insert into pending_deliveries (certificate_id, created_at) select id, created_at from certificates where delivery = 'pending';
      update certificates set delivery = null where delivery = 'pending';
    `.execute(db);
  },
};
