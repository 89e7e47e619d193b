import { sql, type Kysely } from "kysely";
import { CANONICAL_PREFIX, canonicalTail } from "../../contract/audit-chain.js";
import type { Database } from "./schema.js";

/** One audit event as the store writes it. */
export interface AuditInsert {
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
}

/** Filters shared by the project and the server-wide views. */
export interface AuditFilters {
  action?: string;
  actorId?: string;
  objectId?: string;
  outcome?: string;
  from?: Date;
  to?: Date;
}

/**
 * The audit log: a server-wide hash chain (docs/security.md). Each append locks the one
 * `audit_chain_head` row, so appends from every server form one chain in id order; the lock
 * is held to the end of the caller's transaction, which is why use cases write their audit
 * entry last.
 */
export function auditRepo(db: Kysely<Database>) {
  /**
   * One statement: lock the head, take the next id, hash (the id and previous hash spliced into
   * the canonical encoding the caller built), move the head and insert. The lock is held from
   * here to the commit; outside a transaction that is this statement alone.
   */
  async function append(ex: Kysely<Database>, e: AuditInsert) {
    const detail = JSON.parse(JSON.stringify(e.detail)) as Record<string, unknown>;
    const createdAt = e.at.toISOString();
    const tail = canonicalTail({ projectId: e.projectId, actorType: e.actorType, actorId: e.actorId, action: e.action, objectType: e.objectType, objectId: e.objectId, outcome: e.outcome, sourceIp: e.sourceIp, createdAt, detail });
    await sql`
      with h as (
        -- Ids come from the head, not the sequence: one more than the last, so a gap is a deletion.
        select coalesce(last_id, 0) + 1 as id, last_hash as prev from audit_chain_head where id = 1 for update
      ), n as (
        select h.id, h.prev, encode(sha256(convert_to(${CANONICAL_PREFIX}::text || '"' || h.id::text || '","' || h.prev || '",' || ${tail}::text, 'UTF8')), 'hex') as hash from h
      ), moved as (
        update audit_chain_head c set last_id = n.id, last_hash = n.hash from n where c.id = 1
      )
      insert into audit_log (id, project_id, actor_type, actor_id, action, object_type, object_id, outcome, source_ip, detail, created_at, prev_hash, hash)
      select n.id, ${e.projectId}::uuid, ${e.actorType}::text, ${e.actorId}::text, ${e.action}::text, ${e.objectType}::text, ${e.objectId}::text, ${e.outcome}::text,
        ${e.sourceIp}::text, ${JSON.stringify(detail)}::jsonb, ${createdAt}::timestamptz, n.prev, n.hash
      from n`.execute(ex);
  }

  function filtered<Q extends { where: (...a: any[]) => Q }>(s: Q, q: AuditFilters): Q {
    if (q.action) s = s.where("action", "=", q.action);
    if (q.actorId) s = s.where("actor_id", "=", q.actorId);
    if (q.objectId) s = s.where("object_id", "=", q.objectId);
    if (q.outcome) s = s.where("outcome", "=", q.outcome);
    if (q.from) s = s.where("created_at", ">=", q.from);
    if (q.to) s = s.where("created_at", "<", q.to);
    return s;
  }

  return {
    /** Appends an audit event to the chain (in the caller's transaction, or its own). */
    async audit(e: AuditInsert) {
      await append(db, e);
    },
    /** A page of a project's audit log, newest first, keyset-paginated by id. */
    auditPage(q: AuditFilters & { projectId: string; before?: string; limit: number }) {
      let s = db.selectFrom("audit_log").selectAll().where("project_id", "=", q.projectId);
      if (q.before) s = s.where("id", "<", q.before);
      return filtered(s, q).orderBy("id", "desc").limit(q.limit).execute();
    },
    /**
     * A page of the whole log (every project and the server-wide entries). Newest first by
     * default; `order: "asc"` walks the chain oldest first (verification), `cursor` is the
     * last id of the previous page. projectId null selects the server-wide entries only.
     */
    auditServerPage(q: AuditFilters & { projectId?: string | null; cursor?: string; order: "asc" | "desc"; limit: number }) {
      let s = db.selectFrom("audit_log").selectAll();
      if (q.projectId === null) s = s.where("project_id", "is", null);
      else if (q.projectId) s = s.where("project_id", "=", q.projectId);
      if (q.cursor) s = s.where("id", q.order === "asc" ? ">" : "<", q.cursor);
      return filtered(s, q).orderBy("id", q.order).limit(q.limit).execute();
    },
    /** The newest entry of the chain, as the head row records it. */
    async chainHead() {
      const r = await db.selectFrom("audit_chain_head").select(["last_id", "last_hash"]).where("id", "=", 1).executeTakeFirst();
      return { id: r?.last_id == null ? null : String(r.last_id), hash: r?.last_hash ?? null };
    },
  };
}
