import { sql } from "kysely";
import type { Migration } from "./migration.js";

/** CRL publishing health per CA: the last success and the current failure, shown on the CA and alerted. */
export const crlHealth: Migration = {
  name: "0007_crl_health",
  async up(db) {
    await sql`
      -- When a CRL of this CA was last built; the failure (text and since when) while building fails.
      alter table cas add column crl_published_at timestamptz;
      alter table cas add column crl_error text;
      alter table cas add column crl_failing_since timestamptz;
    `.execute(db);
  },
};
