import { sql } from "kysely";
import type { Migration } from "./migration.js";

// Each cached table and the columns its notification names (docs/adr/0007-caches.md): the key
// a cache looks the row up by, so a reader that found nothing (a membership not yet made) is
// told when it appears.
const KEYS: [table: string, columns: string[]][] = [
  ["users", ["id"]],
  ["identities", ["id"]],
  ["identity_client_secrets", ["id"]],
  ["revoked_tokens", ["token_id"]],
  ["memberships", ["project_id", "principal_type", "principal_id"]],
  ["certificate_profiles", ["id"]],
  ["certificate_templates", ["id"]],
  ["cas", ["id"]],
  ["ca_keys", ["id"]],
  ["ca_certificates", ["id"]],
  ["alert_rules", ["project_id"]],
];

/**
 * Cache invalidation that no writer can forget: every insert, update or delete of a cached
 * table sends `pg_notify('stamp_cache', '<table>:<key>')` at commit (an update sends the old
 * and the new key), and a truncate sends `<table>`. Every server LISTENs and drops what changed.
 */
export const cacheInvalidation: Migration = {
  name: "0017_cache_invalidation",
  async up(db) {
    await sql`
      create or replace function stamp_cache_notify() returns trigger language plpgsql as $$
      declare
        r jsonb;
        k text;
      begin
        if tg_op = 'TRUNCATE' then
          perform pg_notify('stamp_cache', tg_table_name);
          return null;
        end if;
        foreach r in array (case tg_op when 'INSERT' then array[to_jsonb(new)] when 'DELETE' then array[to_jsonb(old)] else array[to_jsonb(old), to_jsonb(new)] end) loop
          k := '';
          for i in 0 .. tg_nargs - 1 loop
            k := k || case when i > 0 then '/' else '' end || coalesce(r ->> tg_argv[i], '');
          end loop;
          perform pg_notify('stamp_cache', tg_table_name || ':' || k);
        end loop;
        return null;
      end $$;
    `.execute(db);
    for (const [table, columns] of KEYS) {
      const args = sql.join(columns.map((c) => sql.lit(c)));
      await sql`create trigger stamp_cache_notify after insert or update or delete on ${sql.table(table)} for each row execute function stamp_cache_notify(${args})`.execute(db);
      await sql`create trigger stamp_cache_notify_truncate after truncate on ${sql.table(table)} for each statement execute function stamp_cache_notify()`.execute(db);
    }
  },
};
