import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

/** Who sent a key: keys are scoped to their principal, so two callers never see each other's answers. */
export interface KeyOwner {
  type: string;
  id: string;
}

/** The stored state of a key once the caller could not claim it. */
export type KeyState = { state: "claimed" } | { state: "pending" } | { state: "done"; operation: string; requestHash: string; responseSealed: unknown };

/** Idempotency keys: claim, complete, release, prune. */
export function idempotencyRepo(db: Kysely<Database>) {
  const owned = (o: KeyOwner, key: string) => db.selectFrom("idempotency_keys").selectAll().where("principal_type", "=", o.type).where("principal_id", "=", o.id).where("key", "=", key);
  return {
    /**
     * Claims `key` for a new request, or says what holds it. A key older than `ttlSeconds` is
     * free again; a pending claim older than `leaseSeconds` (its server died) is taken over.
     */
    async claim(o: KeyOwner, key: string, operation: string, requestHash: string, now: Date, ttlSeconds: number, leaseSeconds: number): Promise<KeyState> {
      const inserted = await db
        .insertInto("idempotency_keys")
        .values({ principal_type: o.type, principal_id: o.id, key, operation, request_hash: requestHash, state: "pending", response_sealed: null, claimed_at: now, created_at: now })
        .onConflict((oc) => oc.columns(["principal_type", "principal_id", "key"]).doNothing())
        .returning("key")
        .executeTakeFirst();
      if (inserted) return { state: "claimed" };
      const retaken = await sql<{ key: string }>`
        update idempotency_keys set operation = ${operation}, request_hash = ${requestHash}, state = 'pending', response_sealed = null, claimed_at = ${now}, created_at = ${now}
        where principal_type = ${o.type} and principal_id = ${o.id} and key = ${key}
          and (created_at < ${now}::timestamptz - make_interval(secs => ${ttlSeconds})
               or (state = 'pending' and claimed_at < ${now}::timestamptz - make_interval(secs => ${leaseSeconds})))
        returning key`.execute(db);
      if (retaken.rows.length) return { state: "claimed" };
      const row = await owned(o, key).executeTakeFirst();
      if (!row) return this.claim(o, key, operation, requestHash, now, ttlSeconds, leaseSeconds);
      if (row.state === "pending") return { state: "pending" };
      return { state: "done", operation: row.operation, requestHash: row.request_hash, responseSealed: row.response_sealed };
    },
    /** Stores the answer of a claimed key. */
    async complete(o: KeyOwner, key: string, responseSealed: unknown) {
      await db.updateTable("idempotency_keys").set({ state: "done", response_sealed: JSON.stringify(responseSealed) }).where("principal_type", "=", o.type).where("principal_id", "=", o.id).where("key", "=", key).execute();
    },
    /** Frees a claimed key whose request failed, so a retry runs again. */
    async release(o: KeyOwner, key: string) {
      await db.deleteFrom("idempotency_keys").where("principal_type", "=", o.type).where("principal_id", "=", o.id).where("key", "=", key).where("state", "=", "pending").execute();
    },
    /** Deletes keys older than `ttlSeconds`. */
    async prune(now: Date, ttlSeconds: number) {
      await sql`delete from idempotency_keys where created_at < ${now}::timestamptz - make_interval(secs => ${ttlSeconds})`.execute(db);
    },
  };
}
