import { sql, type Kysely } from "kysely";
import { CANONICAL_PREFIX, canonicalTail } from "../../contract/audit-chain.js";
import type { AuditInsert } from "./audit.repo.js";
import { certificateColumns, type NewCertificate } from "./cert.repo.js";
import { COMMIT_LEAVES_COLUMNS } from "./migrations/0024-commit-leaves-function.js";
import type { Database } from "./schema.js";

/** A signed leaf as the group commit writes it. */
export interface SignedLeaf {
  certificate: NewCertificate;
  /** Its signing-log intent (recordIntents), set `signed` in the same commit. */
  intentId: string;
  audit: AuditInsert;
}

/** A certificates row as a JSON object json_populate_recordset reads (bytea as \x hex, times as ISO 8601). */
function certificateJson(c: NewCertificate): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(certificateColumns(c))) {
    if (v instanceof Uint8Array) out[k] = `\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("hex")}`;
    else out[k] = v instanceof Date ? v.toISOString() : v;
  }
  return out;
}

/**
 * The group commit's write (docs/adr/0008-issuance-engine.md) as ONE statement, so atomic without
 * BEGIN/COMMIT: every certificate, the renewals they replace, their `signed` outcomes (and the
 * `failed` ones, by intent id), and their audit entries chained under one lock of the head —
 * hashed in the database with the same encoding as a single append (audit.repo.ts). One round
 * trip per batch, whatever its size.
 *
 * On PostgreSQL the statement calls `stamp_commit_leaves` (migration 0024), whose plans PL/pgSQL
 * caches per connection. PGlite runs the same writes as one CTE statement instead: a PL/pgSQL
 * function that fails for a full disk there spins the embedded database (test/disk-full.test.ts),
 * and PGlite plans in-process, where planning costs what it costs either way.
 */
export function issuanceRepo(db: Kysely<Database>, kind: "pglite" | "postgres" = "postgres") {
  return {
    /** Commits signed leaves with their outcomes and audit entries, and marks `failed` signatures; one statement. */
    async commitLeaves(leaves: SignedLeaf[], failedIntentIds: string[]) {
      if (!leaves.length && !failedIntentIds.length) return;
      const certs = leaves.map((l) => certificateJson(l.certificate));
      // Answers still to be written (crash reconciliation): a row of their own, so the certificate row is written once.
      const pending = leaves.filter((l) => l.certificate.delivery === "pending").map((l) => ({ id: l.certificate.id }));
      const renewals = leaves.filter((l) => l.certificate.renewedFromId).map((l) => ({ id: l.certificate.id, from: l.certificate.renewedFromId }));
      const audit = leaves.map((l, i) => {
        const e = l.audit;
        // canonicalTail and the JSON parameter both pass `detail` through JSON, as the column stores it.
        const detail = e.detail;
        const createdAt = e.at.toISOString();
        const tail = canonicalTail({ projectId: e.projectId, actorType: e.actorType, actorId: e.actorId, action: e.action, objectType: e.objectType, objectId: e.objectId, outcome: e.outcome, sourceIp: e.sourceIp, createdAt, detail });
        return { ord: i + 1, tail, project_id: e.projectId, actor_type: e.actorType, actor_id: e.actorId, action: e.action, object_type: e.objectType, object_id: e.objectId, outcome: e.outcome, source_ip: e.sourceIp, detail, created_at: createdAt };
      });
      const json = (v: unknown) => JSON.stringify(v);
      const signedIds = leaves.map((l) => l.intentId);
      if (kind === "postgres") {
        await sql`select stamp_commit_leaves(${json(certs)}::json, ${json(pending)}::json, ${json(renewals)}::json, ${json(audit)}::json,
          ${signedIds}::bigint[], ${failedIntentIds}::bigint[], ${CANONICAL_PREFIX}::text)`.execute(db);
        return;
      }
      const cols = sql.raw(COMMIT_LEAVES_COLUMNS.join(", "));
      await sql`
        with recursive
        failed as (update signing_log set status = 'failed' where id = any(${failedIntentIds}::bigint[])),
        h as (select coalesce(last_id, 0) as last_id, last_hash from audit_chain_head where id = 1 for update),
        inp as (
          select * from json_to_recordset(${json(audit)}::json) as x(ord int, tail text, project_id uuid, actor_type text, actor_id text, action text, object_type text,
            object_id text, outcome text, source_ip text, detail jsonb, created_at timestamptz)
        ),
        -- Ids follow the head (a gap is a deletion); each link hashes the previous one.
        ch(ord, id, prev, hash) as (
          select i.ord, h.last_id + 1, h.last_hash,
            encode(sha256(convert_to(${CANONICAL_PREFIX}::text || '"' || (h.last_id + 1)::text || '","' || h.last_hash || '",' || i.tail, 'UTF8')), 'hex')
          from h join inp i on i.ord = 1
          union all
          select i.ord, ch.id + 1, ch.hash,
            encode(sha256(convert_to(${CANONICAL_PREFIX}::text || '"' || (ch.id + 1)::text || '","' || ch.hash || '",' || i.tail, 'UTF8')), 'hex')
          from ch join inp i on i.ord = ch.ord + 1
        ),
        moved as (
          update audit_chain_head set last_id = (select max(id) from ch), last_hash = (select hash from ch order by ord desc limit 1) where id = 1 and exists (select 1 from ch)
        ),
        certs as (insert into certificates (${cols}) select ${cols} from json_populate_recordset(null::certificates, ${json(certs)}::json)),
        pending as (insert into pending_deliveries (certificate_id, created_at) select p.id, now() from json_to_recordset(${json(pending)}::json) as p(id uuid)),
        renewed as (update certificates c set renewed_by_id = r.id from json_to_recordset(${json(renewals)}::json) as r(id uuid, "from" uuid) where c.id = r."from"),
        signed as (update signing_log set status = 'signed' where id = any(${signedIds}::bigint[]))
        insert into audit_log (id, project_id, actor_type, actor_id, action, object_type, object_id, outcome, source_ip, detail, created_at, prev_hash, hash)
        select ch.id, i.project_id, i.actor_type, i.actor_id, i.action, i.object_type, i.object_id, i.outcome, i.source_ip, i.detail, i.created_at, ch.prev, ch.hash
        from ch join inp i on i.ord = ch.ord
        order by ch.ord`.execute(db);
    },
  };
}
