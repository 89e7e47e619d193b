import { sql } from "kysely";
import type { Migration } from "./migration.js";

/**
 * ACME accounts join the read caches (docs/adr/0007-caches.md): every ACME request reads its
 * account, and a deactivation or key change on one server must reach every other within a
 * second. Same notifying triggers as 0017, keyed by the account id.
 */
export const acmeAccountCache: Migration = {
  name: "0018_acme_account_cache",
  async up(db) {
    await sql`create trigger stamp_cache_notify after insert or update or delete on acme_accounts for each row execute function stamp_cache_notify('id')`.execute(db);
    await sql`create trigger stamp_cache_notify_truncate after truncate on acme_accounts for each statement execute function stamp_cache_notify()`.execute(db);
  },
};
