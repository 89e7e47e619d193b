import { sql, type Kysely } from "kysely";
import { CANONICAL_PREFIX, canonicalTail } from "../../contract/audit-chain.js";
import type { AuditInsert } from "./audit.repo.js";
import { certificateColumns, type NewCertificate } from "./cert.repo.js";
import type { Database } from "./schema.js";

/** A signed leaf as the group commit writes it. */
export interface SignedLeaf {
  certificate: NewCertificate;
  issuerCaId: string | null;
  serial: string;
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
 * The group commit's write (docs/adr/0008-issuance-engine.md) as ONE call of
 * `stamp_commit_leaves` (migration 0024), so atomic without BEGIN/COMMIT: every certificate, the
 * renewals they replace, their `signed` outcomes (and the `failed` ones), and their audit entries
 * chained under one lock of the head — hashed in the database with the same encoding as a single
 * append (audit.repo.ts). One round trip per batch, whatever its size.
 */
export function issuanceRepo(db: Kysely<Database>) {
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
      await sql`select stamp_commit_leaves(${json(certs)}::json, ${json(pending)}::json, ${json(renewals)}::json, ${json(audit)}::json,
        ${leaves.map((l) => l.intentId)}::bigint[], ${failedIntentIds}::bigint[], ${CANONICAL_PREFIX}::text)`.execute(db);
    },
  };
}
