import { sql } from "kysely";
import type { Migration } from "./migration.js";

/** Server-driven renewal: per-certificate settings, claims and failures. */
export const autoRenew: Migration = {
  name: "0005_auto_renew",
  async up(db) {
    await sql`
      -- Per-certificate override of the profile's apiConfig (null: follow the profile).
      alter table certificates add column auto_renew boolean;
      alter table certificates add column renew_before_days integer;
      -- One server claims a renewal at a time; a failure is recorded for the owner to see.
      alter table certificates add column renewal_claimed_at timestamptz;
      alter table certificates add column renewal_failure text;
      alter table certificates add column renewal_failed_at timestamptz;
      create index certificates_renewal_due on certificates(not_after) where status = 'active' and renewed_by_id is null and key_source = 'server';
      -- renewed_by_id references certificates: without an index every delete scans the table.
      create index certificates_renewed_by on certificates(renewed_by_id);
    `.execute(db);
  },
};
