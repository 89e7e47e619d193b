import { sql } from "kysely";
import type { Migration } from "./migration.js";

/**
 * EST (RFC 7030) settings live in the profile row, so the cached profile read that every
 * enrollment already makes carries them: the passphrase's hash (HTTP Basic, §3.2.3) and the
 * bootstrap CA chain that client certificates may chain to (§3.3.2). Null: never configured.
 */
export const est: Migration = {
  name: "0026_est",
  async up(db) {
    await sql`alter table certificate_profiles add column est_config jsonb`.execute(db);
  },
};
