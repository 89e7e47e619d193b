import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";
import { auditRepo } from "./audit.repo.js";

/** The rate limiter's one upsert: a hit against `key` in a fixed window; returns count and window_start. */
export function hitStatement(key: string, now: Date, windowSeconds: number) {
  return sql`
    insert into rate_limits (key, window_start, count) values (${key}, ${now}, 1)
    on conflict (key) do update set
      count = case when rate_limits.window_start <= ${now}::timestamptz - make_interval(secs => ${windowSeconds}) then 1 else rate_limits.count + 1 end,
      window_start = case when rate_limits.window_start <= ${now}::timestamptz - make_interval(secs => ${windowSeconds}) then ${now} else rate_limits.window_start end
    returning count, window_start`;
}

/** Server secrets (sealed), the shared rate limiter and the audit log. */
export function miscRepo(db: Kysely<Database>) {
  return {
    /** Takes a transaction-scoped advisory lock (serialises one-off work across servers). */
    async xactLock(key: number) {
      await sql`select pg_advisory_xact_lock(${key})`.execute(db);
    },
    /** A sealed server secret by name. */
    secret: (name: string) => db.selectFrom("server_secrets").selectAll().where("name", "=", name).executeTakeFirst(),
    /** True when the database holds any secret sealed under a root key (so a new root key could not open it). */
    hasSealedSecrets: async () => (await db.selectFrom("server_secrets").select("name").limit(1).execute()).length > 0,
    /** Stores a sealed server secret unless one exists; returns the one that won. */
    async putSecretIfAbsent(name: string, sealed: unknown) {
      await db.insertInto("server_secrets").values({ name, sealed: JSON.stringify(sealed) }).onConflict((oc) => oc.column("name").doNothing()).execute();
      return (await db.selectFrom("server_secrets").selectAll().where("name", "=", name).executeTakeFirstOrThrow()).sealed;
    },

    /**
     * Counts one hit against `key` in a fixed window shared by every server (one upsert).
     * Returns the count in the current window and when it started.
     */
    async hit(key: string, now: Date, windowSeconds: number) {
      const r = await sql<{ count: number; window_start: Date }>`${hitStatement(key, now, windowSeconds)}`.execute(db);
      return r.rows[0];
    },

    /** A key's hits in the window that is still open at `now` (0 when none), and when that window started. */
    async hitsOf(key: string, now: Date, windowSeconds: number) {
      const r = await db.selectFrom("rate_limits").select(["count", "window_start"]).where("key", "=", key).executeTakeFirst();
      if (!r || new Date(r.window_start).getTime() <= now.getTime() - windowSeconds * 1000) return { count: 0, window_start: now };
      return { count: Number(r.count), window_start: new Date(r.window_start) };
    },
    /** Takes back one hit (a login that succeeded does not count against its address). */
    async unhit(key: string) {
      await db.updateTable("rate_limits").set((eb) => ({ count: sql<number>`greatest(${eb.ref("count")} - 1, 0)` })).where("key", "=", key).execute();
    },
    /** Forgets a key's hits (a successful login clears its account's failures from that address). */
    async clearHits(key: string) {
      await db.deleteFrom("rate_limits").where("key", "=", key).execute();
    },

    ...auditRepo(db),
  };
}
