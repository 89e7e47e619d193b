import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

/**
 * Every column holding values sealed under the root key, whole or nested (a software key_ref
 * holds one under "sealed"; the tls-ca server secret under "key"). Root-key rotation re-wraps
 * exactly these; test/root-key-rotation.test.ts fails when a sealed value lives anywhere else.
 */
export const SEALED_COLUMNS = [
  { table: "server_secrets", column: "sealed", key: ["name"] },
  { table: "ca_keys", column: "key_ref", key: ["id"] },
  { table: "certificates", column: "key_ref", key: ["id"] },
  { table: "ocsp_signers", column: "key_ref", key: ["id"] },
  { table: "scep_ra_certificates", column: "key_ref", key: ["id"] },
  { table: "acme_eab_keys", column: "hmac_sealed", key: ["key_id"] },
  { table: "alert_rules", column: "secret_sealed", key: ["id"] },
  { table: "idempotency_keys", column: "response_sealed", key: ["principal_type", "principal_id", "key"] },
  { table: "external_cas", column: "secrets_sealed", key: ["id"] },
] as const satisfies readonly { table: keyof Database; column: string; key: readonly string[] }[];

/** One of SEALED_COLUMNS. */
export type SealedColumn = (typeof SEALED_COLUMNS)[number];

/** A row of a sealed column: its primary key (as text, in SealedColumn.key order) and the JSON value. */
export interface SealedRow {
  key: string[];
  value: unknown;
}

/** Batched reads and compare-and-set writes over the sealed columns (root-key rotation). */
export function sealedRepo(db: Kysely<Database>) {
  const keyCols = (c: SealedColumn) => sql.join(c.key.map((k) => sql.ref(k)));
  return {
    /** Up to `limit` rows holding an envelope, in primary-key order after `after` (null: from the start). */
    async page(c: SealedColumn, after: string[] | null, limit: number): Promise<SealedRow[]> {
      const keys = sql.join(c.key.map((k, i) => sql`${sql.ref(k)}::text as ${sql.ref(`k${i}`)}`));
      const from = after ? sql`and (${keyCols(c)}) > (${sql.join(after.map((v) => sql`${v}`))})` : sql``;
      const r = await sql<Record<string, unknown>>`
        select ${keys}, ${sql.ref(c.column)} as value from ${sql.table(c.table)}
        where ${sql.ref(c.column)}::text like '%"wrappedKey"%' ${from}
        order by ${keyCols(c)} limit ${limit}`.execute(db);
      return r.rows.map((row) => ({ key: c.key.map((_, i) => String(row[`k${i}`])), value: row.value }));
    },
    /**
     * Replaces values in one transaction, each only if it is still what was read (a server may
     * have changed it meanwhile; the next pass sees the new value). Returns how many changed.
     */
    async replace(c: SealedColumn, rows: { key: string[]; old: unknown; value: unknown }[]): Promise<number> {
      if (rows.length === 0) return 0;
      return db.transaction().execute(async (tx) => {
        let n = 0;
        for (const r of rows) {
          const match = sql.join(c.key.map((k, i) => sql`${sql.ref(k)} = ${r.key[i]}`), sql` and `);
          const u = await sql`update ${sql.table(c.table)} set ${sql.ref(c.column)} = ${JSON.stringify(r.value)}::jsonb
            where ${match} and ${sql.ref(c.column)} = ${JSON.stringify(r.old)}::jsonb`.execute(tx);
          n += Number(u.numAffectedRows ?? 0);
        }
        return n;
      });
    },
  };
}
