import { sql } from "kysely";
import type { Migration } from "./migration.js";

/**
 * Infisical's CA settings (issue 15): extra CRL distribution point URLs written into what a CA
 * signs, and whether its OCSP responder answers (and its certificates name it). An index on a
 * profile's certificates serves the per-profile list and its metrics.
 */
export const caCompat: Migration = {
  name: "0021_ca_compat",
  async up(db) {
    await sql`
      alter table cas add column crl_distribution_point_urls jsonb not null default '[]';
      alter table cas add column ocsp_enabled boolean not null default true;
      create index certificates_profile_page on certificates(profile_id, created_at desc, id desc) where profile_id is not null;
    `.execute(db);
  },
};
