import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

/** The rate limiter's one upsert: a hit against `key` in a fixed window; returns count and window_start. */
export function hitStatement(key: string, now: Date, windowSeconds: number) {
  return sql`
    insert into rate_limits (key, window_start, count) values (${key}, ${now}, 1)
    on conflict (key) do update set
      count = case when rate_limits.window_start <= ${now}::timestamptz - make_interval(secs => ${windowSeconds}) then 1 else rate_limits.count + 1 end,
      window_start = case when rate_limits.window_start <= ${now}::timestamptz - make_interval(secs => ${windowSeconds}) then ${now} else rate_limits.window_start end
    returning count, window_start`;
}

/** The rate limiter every server shares (`rate_limits`: fixed windows, one upsert a hit). */
export function rateLimitRepo(db: Kysely<Database>) {
  return {
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
  };
}
