import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

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
      const r = await sql<{ count: number; window_start: Date }>`
        insert into rate_limits (key, window_start, count) values (${key}, ${now}, 1)
        on conflict (key) do update set
          count = case when rate_limits.window_start <= ${now}::timestamptz - make_interval(secs => ${windowSeconds}) then 1 else rate_limits.count + 1 end,
          window_start = case when rate_limits.window_start <= ${now}::timestamptz - make_interval(secs => ${windowSeconds}) then ${now} else rate_limits.window_start end
        returning count, window_start`.execute(db);
      return r.rows[0];
    },

    /** Takes back one hit (a login that succeeded does not count against its address). */
    async unhit(key: string) {
      await db.updateTable("rate_limits").set((eb) => ({ count: sql<number>`greatest(${eb.ref("count")} - 1, 0)` })).where("key", "=", key).execute();
    },
    /** Forgets a key's hits (a successful login clears its account's failures from that address). */
    async clearHits(key: string) {
      await db.deleteFrom("rate_limits").where("key", "=", key).execute();
    },

    /** Appends an audit event. */
    async audit(e: {
      projectId: string | null;
      actorType: string;
      actorId: string;
      action: string;
      objectType: string;
      objectId: string | null;
      outcome: "success" | "failure" | "denied";
      sourceIp: string | null;
      detail: Record<string, unknown>;
      at: Date;
    }) {
      await db
        .insertInto("audit_log")
        .values({
          project_id: e.projectId,
          actor_type: e.actorType,
          actor_id: e.actorId,
          action: e.action,
          object_type: e.objectType,
          object_id: e.objectId,
          outcome: e.outcome,
          source_ip: e.sourceIp,
          detail: JSON.stringify(e.detail),
          created_at: e.at,
        })
        .execute();
    },
    /** A page of a project's audit log, newest first, keyset-paginated by id. */
    auditPage(q: { projectId: string; before?: string; limit: number; action?: string; actorId?: string; objectId?: string; outcome?: string; from?: Date; to?: Date }) {
      let s = db.selectFrom("audit_log").selectAll().where("project_id", "=", q.projectId);
      if (q.before) s = s.where("id", "<", q.before);
      if (q.action) s = s.where("action", "=", q.action);
      if (q.actorId) s = s.where("actor_id", "=", q.actorId);
      if (q.objectId) s = s.where("object_id", "=", q.objectId);
      if (q.outcome) s = s.where("outcome", "=", q.outcome as "success");
      if (q.from) s = s.where("created_at", ">=", q.from);
      if (q.to) s = s.where("created_at", "<", q.to);
      return s.orderBy("id", "desc").limit(q.limit).execute();
    },
  };
}
