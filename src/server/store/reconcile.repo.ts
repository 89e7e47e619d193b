import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

/** A signing record left `intended`. */
export interface IntendedRow {
  id: string;
  issuer_ca_id: string | null;
  serial: string;
  kind: string;
  subject_id: string | null;
  created_at: Date;
}

/** Crash reconciliation: signing records left `intended`, and certificates whose HTTP answer was never written. */
export function reconcileRepo(db: Kysely<Database>) {
  return {
    /** Up to `limit` records still `intended` that were made before `before`, oldest first. */
    intendedBefore: (before: Date, limit: number) =>
      db.selectFrom("signing_log").select(["id", "issuer_ca_id", "serial", "kind", "subject_id", "created_at"]).where("status", "=", "intended").where("created_at", "<", before).orderBy("created_at").orderBy("id").limit(limit).execute() as Promise<IntendedRow[]>,

    /** True when the certificate a record announced was committed (a leaf, a CA certificate or an OCSP responder's). */
    async wasRecorded(r: IntendedRow): Promise<boolean> {
      if (r.kind === "ocsp-responder") {
        return !!r.subject_id && !!(await db.selectFrom("ocsp_signers").select("id").where("id", "=", r.subject_id).executeTakeFirst());
      }
      if (r.kind === "scep-ra") {
        return !!r.subject_id && !!(await db.selectFrom("scep_ra_certificates").select("id").where("id", "=", r.subject_id).executeTakeFirst());
      }
      if (r.kind === "leaf") {
        let q = db.selectFrom("certificates").select("id").where("serial", "=", r.serial);
        q = r.issuer_ca_id === null ? q.where("ca_id", "is", null) : q.where("ca_id", "=", r.issuer_ca_id);
        return !!(await q.executeTakeFirst());
      }
      // CA certificates: a root is recorded under its own CA, a subordinate under its issuer.
      const hit = await db
        .selectFrom("ca_certificates")
        .select("id")
        .where("serial", "=", r.serial)
        .where((eb) => (r.issuer_ca_id === null ? eb("issuer_ca_id", "is", null) : eb.or([eb("issuer_ca_id", "=", r.issuer_ca_id), eb("ca_id", "=", r.issuer_ca_id)])))
        .executeTakeFirst();
      return !!hit;
    },

    /** Settles one `intended` record (a no-op if another server settled it first); true when this call did. */
    async settle(id: string, status: "signed" | "abandoned", at: Date): Promise<boolean> {
      const r = await db.updateTable("signing_log").set({ status, resolved_at: at }).where("id", "=", id).where("status", "=", "intended").executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    /** Ends the pending delivery of these certificates: their HTTP answer was written (a late confirmation also clears `unconfirmed`). */
    async confirmDelivery(ids: string[]) {
      if (!ids.length) return;
      // One statement; the update is rare: reconciliation had given up on an answer that was written
      // after all. Committed without waiting for the WAL flush (synchronous_commit off for this
      // statement only): a confirmation a crash loses only shows a delivered certificate as
      // unconfirmed, never the reverse.
      await sql`
        with relaxed as materialized (select set_config('synchronous_commit', 'off', true)),
        done as (delete from pending_deliveries where certificate_id = any(${ids}::uuid[])),
        late as (update certificates set delivery = null where id = any(${ids}::uuid[]) and delivery = 'unconfirmed')
        select 1 from relaxed`.execute(db);
    },

    /** Marks up to `limit` certificates still `pending` since before `before` as `unconfirmed`; returns them. */
    async markUnconfirmed(before: Date, limit: number) {
      // One statement: the pending rows taken (each by one server only) and their certificates marked.
      const r = await sql<{ id: string; project_id: string; serial: string; common_name: string; key_source: string; created_at: Date }>`
        with taken as (
          delete from pending_deliveries where certificate_id in (
            select certificate_id from pending_deliveries where created_at < ${before} order by created_at limit ${limit} for update skip locked
          ) returning certificate_id
        )
        update certificates c set delivery = 'unconfirmed' from taken where c.id = taken.certificate_id
        returning c.id, c.project_id, c.serial, c.common_name, c.key_source, c.created_at`.execute(db);
      return r.rows;
    },

    /** Counts for the operator: records still intended (all, and older than `before`), abandoned, and unconfirmed certificates. */
    async counts(before: Date) {
      const r = await sql<{ intended: string; stale: string; abandoned: string; unconfirmed: string }>`
        select
          (select count(*) from signing_log where status = 'intended') as intended,
          (select count(*) from signing_log where status = 'intended' and created_at < ${before}) as stale,
          (select count(*) from signing_log where status = 'abandoned') as abandoned,
          (select count(*) from certificates where delivery = 'unconfirmed') as unconfirmed`.execute(db);
      const c = r.rows[0];
      return { intended: Number(c.intended), intendedPastGrace: Number(c.stale), abandoned: Number(c.abandoned), unconfirmed: Number(c.unconfirmed) };
    },

    /** The newest abandoned records and records still intended, at most `limit` of each. */
    async openAndAbandoned(limit: number) {
      const cols = ["id", "issuer_ca_id", "serial", "kind", "subject_id", "status", "created_at", "resolved_at"] as const;
      const [intended, abandoned] = await Promise.all([
        db.selectFrom("signing_log").select(cols).where("status", "=", "intended").orderBy("created_at").limit(limit).execute(),
        db.selectFrom("signing_log").select(cols).where("status", "=", "abandoned").orderBy("resolved_at", "desc").orderBy("id", "desc").limit(limit).execute(),
      ]);
      return { intended, abandoned };
    },

    /** The newest certificates whose answer was never confirmed written, at most `limit`. */
    unconfirmedCertificates: (limit: number) =>
      db.selectFrom("certificates").select(["id", "project_id", "serial", "common_name", "key_source", "status", "created_at"]).where("delivery", "=", "unconfirmed").orderBy("created_at", "desc").limit(limit).execute(),
  };
}
