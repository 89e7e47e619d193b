import { sql, type Kysely, type Selectable } from "kysely";
import type { CertificateRequestsTable, Database, ExternalAcmeConfig, ExternalCasTable } from "./schema.js";

export type ExternalCaRow = Selectable<ExternalCasTable>;
export type WaitingRequestRow = Selectable<CertificateRequestsTable>;

/** External CAs (0028) and the certificate requests waiting on them, as jobs. */
export function externalCaRepo(db: Kysely<Database>) {
  return {
    /** Records a new external CA (its account already registered). */
    async insertCa(c: { id: string; projectId: string; name: string; status: "active" | "disabled"; configuration: ExternalAcmeConfig; secretsSealed: unknown; accountUrl: string; at: Date }) {
      await db
        .insertInto("external_cas")
        .values({ id: c.id, project_id: c.projectId, name: c.name, type: "acme", status: c.status, configuration: JSON.stringify(c.configuration), secrets_sealed: JSON.stringify(c.secretsSealed), account_url: c.accountUrl, created_at: c.at, updated_at: c.at })
        .execute();
    },
    /** An external CA by id. */
    caById: (id: string) => db.selectFrom("external_cas").selectAll().where("id", "=", id).executeTakeFirst(),
    /** A project's external CAs, oldest first. */
    casOf: (projectId: string) => db.selectFrom("external_cas").selectAll().where("project_id", "=", projectId).orderBy("created_at").orderBy("id").execute(),
    /** Changes a CA's name, status, settings or secrets. */
    async updateCa(id: string, p: { name?: string; status?: "active" | "disabled"; configuration?: ExternalAcmeConfig; secretsSealed?: unknown; accountUrl?: string; at: Date }) {
      await db
        .updateTable("external_cas")
        .set({
          updated_at: p.at,
          ...(p.name !== undefined ? { name: p.name } : {}),
          ...(p.status !== undefined ? { status: p.status } : {}),
          ...(p.configuration !== undefined ? { configuration: JSON.stringify(p.configuration) } : {}),
          ...(p.secretsSealed !== undefined ? { secrets_sealed: JSON.stringify(p.secretsSealed) } : {}),
          ...(p.accountUrl !== undefined ? { account_url: p.accountUrl } : {}),
        })
        .where("id", "=", id)
        .execute();
    },
    /** How many profiles issue through the CA. */
    async profilesUsing(id: string): Promise<number> {
      const r = await db.selectFrom("certificate_profiles").select(sql<string>`count(*)`.as("n")).where("external_ca_id", "=", id).executeTakeFirst();
      return Number(r?.n ?? 0);
    },
    /** Deletes a CA (its certificates and requests keep existing, detached). */
    async deleteCa(id: string) {
      await db.deleteFrom("external_cas").where("id", "=", id).execute();
    },
    /** Points a profile at an external CA (or back at none). */
    async setProfileCa(profileId: string, externalCaId: string | null) {
      await db.updateTable("certificate_profiles").set({ external_ca_id: externalCaId }).where("id", "=", profileId).execute();
    },

    /** Records a request waiting on an external CA (`pending`, no lease: any server may claim it). */
    async insertRequest(r: { id: string; projectId: string; profileId: string; externalCaId: string; commonName: string; request: Record<string, unknown>; metadata: { key: string; value: string }[]; at: Date }) {
      await db
        .insertInto("certificate_requests")
        .values({ id: r.id, project_id: r.projectId, profile_id: r.profileId, status: "pending", certificate_id: null, common_name: r.commonName, request: JSON.stringify(r.request), metadata: JSON.stringify(r.metadata), error_message: null, pending_message: "Waiting for a server to order the certificate.", external_ca_id: r.externalCaId, created_at: r.at, updated_at: r.at })
        .execute();
    },
    /**
     * Claims one waiting request whose lease is free or ran out, for `leaseSeconds`. FOR UPDATE
     * SKIP LOCKED: two servers never claim the same row; `attempts` (bumped here) fences every
     * later write, so a server whose lease ran out cannot finish a request another one took over.
     */
    async claimRequest(now: Date, leaseSeconds: number): Promise<WaitingRequestRow | undefined> {
      const r = await sql<WaitingRequestRow>`
        update certificate_requests set attempts = attempts + 1, lease_until = ${now}::timestamptz + make_interval(secs => ${leaseSeconds}), updated_at = ${now}
        where id = (
          select id from certificate_requests
          where status in ('pending', 'pending_validation') and external_ca_id is not null and (lease_until is null or lease_until < ${now})
          order by created_at limit 1 for update skip locked
        ) and status in ('pending', 'pending_validation')
        returning *`.execute(db);
      return r.rows[0];
    },
    /** Moves a claimed request on (pending_validation) or ends it (failed); false when the claim was lost. */
    async updateClaimed(id: string, attempts: number, p: { status: "pending_validation" | "failed"; at: Date; pendingMessage?: string | null; errorMessage?: string; problem?: Record<string, unknown> | null }): Promise<boolean> {
      const r = await db
        .updateTable("certificate_requests")
        .set({
          status: p.status,
          updated_at: p.at,
          ...(p.pendingMessage !== undefined ? { pending_message: p.pendingMessage } : {}),
          ...(p.errorMessage !== undefined ? { error_message: p.errorMessage.slice(0, 2000), pending_message: null, lease_until: null } : {}),
          ...(p.problem !== undefined ? { problem: p.problem === null ? null : JSON.stringify(p.problem) } : {}),
        })
        .where("id", "=", id)
        .where("attempts", "=", attempts)
        .where("status", "in", ["pending", "pending_validation"])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    /** Marks a claimed request issued with its certificate (inside the transaction that inserted it); false when the claim was lost. */
    async markIssued(id: string, attempts: number, certificateId: string, externalCaId: string, at: Date): Promise<boolean> {
      await db.updateTable("certificates").set({ external_ca_id: externalCaId }).where("id", "=", certificateId).execute();
      const r = await db
        .updateTable("certificate_requests")
        .set({ status: "issued", certificate_id: certificateId, updated_at: at, lease_until: null, pending_message: null })
        .where("id", "=", id)
        .where("attempts", "=", attempts)
        .where("status", "in", ["pending", "pending_validation"])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    /** The request still waiting to renew `certificateId`, if any (the partial index on waiting requests keeps this cheap). */
    async waitingRenewalOf(certificateId: string): Promise<string | undefined> {
      const r = await db
        .selectFrom("certificate_requests")
        .select("id")
        .where("status", "in", ["pending", "pending_validation"])
        .where(sql<string>`request->>'renewedFromId'`, "=", certificateId)
        .executeTakeFirst();
      return r?.id;
    },
    /** A request's row (with its job columns). */
    requestById: (id: string) => db.selectFrom("certificate_requests").selectAll().where("id", "=", id).executeTakeFirst(),
  };
}
