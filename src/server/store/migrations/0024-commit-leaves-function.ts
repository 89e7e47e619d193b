import { sql } from "kysely";
import type { Migration } from "./migration.js";

/** The certificates columns the group commit writes, in this order (issuance.repo.ts checks `certificateColumns` against it). */
export const COMMIT_LEAVES_COLUMNS = [
  "id", "project_id", "profile_id", "ca_id", "ca_certificate_id", "ca_key_id", "serial", "status", "common_name", "alt_names", "search_text",
  "not_before", "not_after", "key_algorithm", "key_usages", "extended_key_usages", "certificate", "chain_pem", "key_source", "key_ref", "request", "renewed_from_id", "metadata", "fingerprint_sha1",
] as const;

/**
 * The group commit's write (docs/adr/0008-issuance-engine.md) as a function, so each connection
 * parses and plans its statements once (PL/pgSQL caches their plans) instead of planning one
 * large statement per batch, which cost more database CPU than the rows it wrote. Signing-log
 * outcomes are set by the intents' ids through the primary key: matching (issuer, serial) against
 * a JSON set hash-joined the whole log, a cost that grew with every certificate ever signed.
 * Audit entries are chained link by link under the one lock of the head, with the encoding of
 * audit.repo.ts's single append.
 */
export const commitLeavesFunction: Migration = {
  name: "0024_commit_leaves_function",
  async up(db) {
    const cols = sql.raw(COMMIT_LEAVES_COLUMNS.join(", "));
    await sql`
      create function stamp_commit_leaves(certs json, pending json, renewals json, audit json, signed_ids bigint[], failed_ids bigint[], audit_prefix text)
      returns void language plpgsql as $fn$
      declare
        head_id bigint;
        head_hash text;
        a record;
      begin
        update signing_log set status = 'failed' where id = any(failed_ids);
        if json_array_length(certs) = 0 then
          return;
        end if;
        select coalesce(last_id, 0), last_hash into head_id, head_hash from audit_chain_head where id = 1 for update;
        insert into certificates (${cols}) select ${cols} from json_populate_recordset(null::certificates, certs);
        insert into pending_deliveries (certificate_id, created_at) select p.id, now() from json_to_recordset(pending) as p(id uuid);
        update certificates c set renewed_by_id = r.id from json_to_recordset(renewals) as r(id uuid, "from" uuid) where c.id = r."from";
        update signing_log set status = 'signed' where id = any(signed_ids);
        for a in
          select * from json_to_recordset(audit) as x(ord int, tail text, project_id uuid, actor_type text, actor_id text, action text, object_type text,
            object_id text, outcome text, source_ip text, detail jsonb, created_at timestamptz)
          order by ord
        loop
          -- Ids follow the head (a gap is a deletion); each link hashes the previous one.
          head_id := head_id + 1;
          insert into audit_log (id, project_id, actor_type, actor_id, action, object_type, object_id, outcome, source_ip, detail, created_at, prev_hash, hash)
          values (head_id, a.project_id, a.actor_type, a.actor_id, a.action, a.object_type, a.object_id, a.outcome, a.source_ip, a.detail, a.created_at, head_hash,
            encode(sha256(convert_to(audit_prefix || '"' || head_id::text || '","' || head_hash || '",' || a.tail, 'UTF8')), 'hex'))
          returning hash into head_hash;
        end loop;
        update audit_chain_head set last_id = head_id, last_hash = head_hash where id = 1;
      end
      $fn$`.execute(db);
  },
};
