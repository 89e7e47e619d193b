import { sql, type Kysely, type Selectable } from "kysely";
import type { CertificateRequestsTable, Database } from "./schema.js";

export type CertificateRequestRow = Selectable<CertificateRequestsTable>;

/** A certificate request as both sources give it: a row of its own, or the certificate a synchronous request became. */
export interface RequestRecord {
  id: string;
  project_id: string;
  profile_id: string | null;
  status: string;
  certificate_id: string | null;
  common_name: string;
  request: Record<string, unknown>;
  metadata: { key: string; value: string }[];
  error_message: string | null;
  pending_message: string | null;
  /** An external CA's problem document when it refused the request (0028). */
  problem: Record<string, unknown> | null;
  created_at: Date;
  updated_at: Date;
}

/** Filters of POST /certificate-requests/search (Infisical's names). */
export interface RequestSearch {
  projectId: string;
  offset: number;
  limit: number;
  search?: string;
  status?: string;
  fromDate?: Date;
  toDate?: Date;
  profileIds?: string[];
  metadata?: { key: string; value?: string }[];
  sortOrder: "asc" | "desc";
}

/**
 * The requests view: rows of `certificate_requests`, and every certificate Stamp issued (its own
 * synchronous request, same id). Imported certificates were never requested; an external CA's
 * certificate is the `certificate_id` of its own request row.
 */
const ALL = sql`(
  select id, project_id, profile_id, status, certificate_id, common_name, request, metadata, error_message, pending_message, created_at, updated_at, problem from certificate_requests
  union all
  select id, project_id, profile_id, 'issued', id, common_name, request, metadata, null, null, created_at, created_at, null::jsonb from certificates where key_source <> 'imported' and external_ca_id is null
)`;

/** Certificate requests (issue 15): get one, search, record a refused one. */
export function certRequestsRepo(db: Kysely<Database>) {
  return {
    /** Records a request that did not end in a certificate (refused by policy, or waiting). */
    async insert(r: { id: string; projectId: string; profileId: string | null; status: CertificateRequestRow["status"]; commonName: string; request: Record<string, unknown>; metadata: { key: string; value: string }[]; errorMessage: string | null; at: Date }) {
      await db
        .insertInto("certificate_requests")
        .values({ id: r.id, project_id: r.projectId, profile_id: r.profileId, status: r.status, certificate_id: null, common_name: r.commonName, request: JSON.stringify(r.request), metadata: JSON.stringify(r.metadata), error_message: r.errorMessage, pending_message: null, created_at: r.at, updated_at: r.at })
        .execute();
    },
    /** Cancels a request still waiting; the row as it now is, or undefined when it was not waiting (or has no row of its own). */
    async cancel(id: string, at: Date) {
      return db
        .updateTable("certificate_requests")
        .set({ status: "cancelled", updated_at: at })
        .where("id", "=", id)
        .where("status", "in", ["pending", "pending_approval", "pending_validation"])
        .returning(["id", "status"])
        .executeTakeFirst();
    },
    /** A request by id: its own row, else the certificate it became. */
    async byId(id: string): Promise<RequestRecord | undefined> {
      const r = await sql<RequestRecord>`select * from ${ALL} r where r.id = ${id}`.execute(db);
      return r.rows[0];
    },
    /** A page of a project's requests with the total the filters match. */
    async search(q: RequestSearch): Promise<{ rows: RequestRecord[]; totalCount: number }> {
      const where = [sql`r.project_id = ${q.projectId}`];
      if (q.status) where.push(sql`r.status = ${q.status}`);
      if (q.fromDate) where.push(sql`r.created_at >= ${q.fromDate}`);
      if (q.toDate) where.push(sql`r.created_at <= ${q.toDate}`);
      if (q.profileIds?.length) where.push(sql`r.profile_id in (${sql.join(q.profileIds)})`);
      if (q.search) where.push(sql`lower(r.common_name) like ${`%${q.search.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`}`);
      for (const m of q.metadata ?? []) where.push(sql`r.metadata @> ${JSON.stringify([m])}::jsonb`);
      const order = q.sortOrder === "asc" ? sql`asc` : sql`desc`;
      const r = await sql<RequestRecord & { total: string }>`
        select r.*, count(*) over () as total from ${ALL} r where ${sql.join(where, sql` and `)}
        order by r.created_at ${order}, r.id ${order} offset ${q.offset} limit ${q.limit}`.execute(db);
      let totalCount = r.rows.length ? Number(r.rows[0].total) : 0;
      // An offset past the end returns no row, and so no total: count alone.
      if (!r.rows.length && q.offset > 0) totalCount = Number((await sql<{ n: string }>`select count(*) as n from ${ALL} r where ${sql.join(where, sql` and `)}`.execute(db)).rows[0].n);
      return { rows: r.rows.map(({ total: _t, ...row }) => row), totalCount };
    },
  };
}
