import { sql } from "kysely";
import { entryHash, GENESIS_HASH } from "../../../contract/audit-chain.js";
import type { Migration } from "./migration.js";

const BATCH = 500;

/**
 * The audit log becomes a hash chain (docs/security.md): every entry carries the previous
 * entry's hash and its own. One server-wide chain, in id order; the single `audit_chain_head`
 * row is locked by each append, so several servers on one database write one chain. Entries
 * written before this migration are chained here, oldest first.
 */
export const auditChain: Migration = {
  name: "0008_audit_chain",
  async up(db) {
    await sql`
      alter table audit_log add column prev_hash text, add column hash text;
      -- One row: the newest entry of the chain. Appends lock it (select … for update).
      create table audit_chain_head (
        id smallint primary key check (id = 1),
        last_id bigint,
        last_hash text not null
      );
      create index audit_log_created on audit_log(created_at, id);
      -- The append-only trigger refuses UPDATE; this migration (run by the owner) seals the
      -- existing entries, then turns it back on.
      alter table audit_log disable trigger audit_log_no_change;
    `.execute(db);
    let last = { id: null as string | null, hash: GENESIS_HASH };
    for (;;) {
      const rows = await db
        .selectFrom("audit_log")
        .selectAll()
        .$if(last.id !== null, (q) => q.where("id", ">", last.id))
        .orderBy("id", "asc")
        .limit(BATCH)
        .execute();
      if (rows.length === 0) break;
      const sealed: { id: string; prev: string; hash: string }[] = [];
      for (const r of rows) {
        const id = String(r.id);
        const hash = entryHash({
          id,
          prevHash: last.hash,
          projectId: r.project_id,
          actorType: r.actor_type,
          actorId: r.actor_id,
          action: r.action,
          objectType: r.object_type,
          objectId: r.object_id,
          outcome: r.outcome,
          sourceIp: r.source_ip,
          createdAt: new Date(r.created_at).toISOString(),
          detail: r.detail,
        });
        sealed.push({ id, prev: last.hash, hash });
        last = { id, hash };
      }
      const values = sql.join(sealed.map((s) => sql`(${s.id}::bigint, ${s.prev}, ${s.hash})`));
      await sql`update audit_log a set prev_hash = v.prev, hash = v.hash from (values ${values}) as v(id, prev, hash) where a.id = v.id`.execute(db);
    }
    await sql`insert into audit_chain_head (id, last_id, last_hash) values (1, ${last.id}::bigint, ${last.hash})`.execute(db);
    await sql`
      alter table audit_log enable trigger audit_log_no_change;
      alter table audit_log alter column prev_hash set not null, alter column hash set not null;
    `.execute(db);
  },
};
