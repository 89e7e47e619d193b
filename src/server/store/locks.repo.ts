import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

/** Transaction-scoped advisory locks (serialise one-off work across servers). */
export function locksRepo(db: Kysely<Database>) {
  return {
    /** Takes a transaction-scoped advisory lock (serialises one-off work across servers). */
    async xactLock(key: number) {
      await sql`select pg_advisory_xact_lock(${key})`.execute(db);
    },
  };
}
