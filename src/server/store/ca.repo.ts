import { sql, type Kysely, type Selectable } from "kysely";
import type { CaCertificatesTable, CaKeysTable, CasTable, CaStatus, CaSubject, Database } from "./schema.js";

export type CaRow = Selectable<CasTable>;
export type CaKeyRow = Selectable<CaKeysTable>;
export type CaCertificateRow = Selectable<CaCertificatesTable>;

/** Certificate authorities, their keys, their certificates, and the signing log. */
export function caRepo(db: Kysely<Database>) {
  return {
    /** Inserts a CA row (status and active ids are set once the certificate exists). */
    async insertCa(c: {
      id: string;
      projectId: string;
      name: string;
      type: "root" | "intermediate";
      status: CaStatus;
      parentCaId: string | null;
      subject: CaSubject;
      maxPathLength: number;
      keyAlgorithm: string;
      crlDistributionPointUrls?: string[];
      ocspEnabled?: boolean;
    }) {
      await db
        .insertInto("cas")
        .values({
          id: c.id,
          project_id: c.projectId,
          name: c.name,
          type: c.type,
          status: c.status,
          parent_ca_id: c.parentCaId,
          subject: JSON.stringify(c.subject),
          max_path_length: c.maxPathLength,
          key_algorithm: c.keyAlgorithm,
          crl_distribution_point_urls: JSON.stringify(c.crlDistributionPointUrls ?? []),
          ocsp_enabled: c.ocspEnabled ?? true,
          updated_at: new Date(),
        })
        .execute();
    },
    /** A CA by id (any project; callers check the project). */
    caById: (id: string) => db.selectFrom("cas").selectAll().where("id", "=", id).executeTakeFirst(),
    /** A CA by id, locked for update (inside a transaction). */
    caByIdForUpdate: (id: string) => db.selectFrom("cas").selectAll().where("id", "=", id).forUpdate().executeTakeFirst(),
    /** A CA by project and name. */
    caByName: (projectId: string, name: string) => db.selectFrom("cas").selectAll().where("project_id", "=", projectId).where("name", "=", name).executeTakeFirst(),
    /** CAs of a project, oldest first. */
    casOf: (projectId: string) => db.selectFrom("cas").selectAll().where("project_id", "=", projectId).orderBy("created_at").orderBy("id").execute(),
    /** Child CAs of a CA. */
    childrenOf: (caId: string) => db.selectFrom("cas").selectAll().where("parent_ca_id", "=", caId).execute(),
    /** Updates mutable CA fields. */
    async updateCa(id: string, set: Partial<{ name: string; status: CaStatus; active_key_id: string; active_certificate_id: string; not_before: Date; not_after: Date; parent_ca_id: string | null; max_path_length: number; ocsp_signer: "delegated" | "ca"; crl_validity_seconds: number; crl_distribution_point_urls: string; ocsp_enabled: boolean }>) {
      await db.updateTable("cas").set({ ...set, updated_at: new Date() }).where("id", "=", id).execute();
    },
    /** Deletes a CA with its keys and certificates; children are detached from it. */
    async deleteCa(id: string) {
      await db.updateTable("cas").set({ parent_ca_id: null }).where("parent_ca_id", "=", id).execute();
      await db.updateTable("ca_certificates").set({ issuer_ca_id: null }).where("issuer_ca_id", "=", id).execute();
      await db.updateTable("cas").set({ active_key_id: null, active_certificate_id: null }).where("id", "=", id).execute();
      // Forced deletion: issued certificates and profiles stay, detached from the CA.
      await db.updateTable("certificates").set({ ca_id: null, ca_certificate_id: null }).where("ca_id", "=", id).execute();
      await db.updateTable("certificate_profiles").set({ ca_id: null }).where("ca_id", "=", id).execute();
      await db.deleteFrom("ca_certificates").where("ca_id", "=", id).execute();
      await db.deleteFrom("ca_keys").where("ca_id", "=", id).execute();
      await db.deleteFrom("signing_log").where("issuer_ca_id", "=", id).execute();
      await db.deleteFrom("cas").where("id", "=", id).execute();
    },

    /** Inserts a CA key (the key_ref holds only a sealed or token reference). */
    async insertKey(k: { id: string; caId: string; keyAlgorithm: string; backend: "software" | "pkcs11"; keyRef: unknown; spki: Uint8Array; pendingCsr: Uint8Array | null }) {
      await db
        .insertInto("ca_keys")
        .values({ id: k.id, ca_id: k.caId, key_algorithm: k.keyAlgorithm, backend: k.backend, key_ref: JSON.stringify(k.keyRef), spki: k.spki, pending_csr: k.pendingCsr })
        .execute();
    },
    /** True when `spki` is the public key of any CA (a leaf must never reuse one). */
    async isCaKey(spki: Uint8Array) {
      const r = await db.selectFrom("ca_keys").select("id").where("spki", "=", spki).limit(1).executeTakeFirst();
      return r !== undefined;
    },
    /** The public keys of every CA key, at most `limit` (the cached isCaKey holds them as a set). */
    caKeySpkis: (limit: number) => db.selectFrom("ca_keys").select("spki").limit(limit).execute(),
    /** A CA key by id. */
    keyById: (id: string) => db.selectFrom("ca_keys").selectAll().where("id", "=", id).executeTakeFirst(),
    /** Every key of a CA, newest first. */
    keysOf: (caId: string) => db.selectFrom("ca_keys").selectAll().where("ca_id", "=", caId).orderBy("created_at", "desc").execute(),
    /** Stores the CSR awaiting an outside CA's certificate for a key. */
    async setPendingCsr(keyId: string, csr: Uint8Array) {
      await db.updateTable("ca_keys").set({ pending_csr: csr }).where("id", "=", keyId).execute();
    },
    /** Clears a key's pending CSR once its certificate is imported. */
    async clearPendingCsr(keyId: string) {
      await db.updateTable("ca_keys").set({ pending_csr: null }).where("id", "=", keyId).execute();
    },

    /** Inserts a CA certificate version. */
    async insertCertificate(c: { id: string; caId: string; caKeyId: string; serial: string; issuerCaId: string | null; certificate: Uint8Array; chainPem: string; notBefore: Date; notAfter: Date }) {
      // version = next for this CA; the unique (ca_id, version) index catches a race.
      await sql`
        insert into ca_certificates (id, ca_id, ca_key_id, version, serial, issuer_ca_id, certificate, chain_pem, not_before, not_after)
        values (${c.id}, ${c.caId}, ${c.caKeyId},
          (select coalesce(max(version), 0) + 1 from ca_certificates where ca_id = ${c.caId}),
          ${c.serial}, ${c.issuerCaId}, ${c.certificate}, ${c.chainPem}, ${c.notBefore}, ${c.notAfter})`.execute(db);
    },
    /** A CA certificate by id. */
    certificateById: (id: string) => db.selectFrom("ca_certificates").selectAll().where("id", "=", id).executeTakeFirst(),
    /** Every certificate of a CA, newest version first. */
    certificatesOf: (caId: string) => db.selectFrom("ca_certificates").selectAll().where("ca_id", "=", caId).orderBy("version", "desc").execute(),

    /**
     * Records the intents to sign (house rule 2), one statement for all; fails on a duplicate
     * serial. Returns each row's intent id, in the order given. `relaxed`: committed without
     * waiting for the WAL flush (synchronous_commit off for this statement only). The group commit
     * uses it: the certificate's own commit flushes the WAL up to and past this record before any
     * answer leaves, and a crash before that loses only a signature no one has seen.
     */
    async recordIntents(rows: { issuerCaId: string | null; serial: string; kind: string; subjectId: string | null }[], opts: { relaxed?: boolean } = {}): Promise<string[]> {
      if (!rows.length) return [];
      const input = JSON.stringify(rows.map((r) => ({ issuer: r.issuerCaId, serial: r.serial, kind: r.kind, subject: r.subjectId })));
      const relaxed = opts.relaxed ? sql`cross join (select set_config('synchronous_commit', 'off', true)) as relaxed` : sql``;
      const r = await sql<{ id: string; issuer_ca_id: string | null; serial: string }>`
        insert into signing_log (issuer_ca_id, serial, kind, subject_id, status)
        select r.issuer, r.serial, r.kind, r.subject, 'intended' from json_to_recordset(${input}::json) as r(issuer uuid, serial text, kind text, subject uuid) ${relaxed}
        returning id::text as id, issuer_ca_id, serial`.execute(db);
      const byKey = new Map(r.rows.map((x) => [`${x.issuer_ca_id}/${x.serial}`, x.id]));
      return rows.map((x) => byKey.get(`${x.issuerCaId}/${x.serial}`)!);
    },
    /** Settles recorded intents: signed (its certificate committed), failed (the signer failed), abandoned (signed, never committed). */
    async recordOutcomes(signed: { issuerCaId: string | null; serial: string }[], status: "signed" | "failed" | "abandoned") {
      if (!signed.length) return;
      // One condition per issuer, so the (issuer_ca_id, serial) unique index finds each row.
      const byIssuer = new Map<string | null, string[]>();
      for (const r of signed) byIssuer.set(r.issuerCaId, [...(byIssuer.get(r.issuerCaId) ?? []), r.serial]);
      await db
        .updateTable("signing_log")
        .set({ status })
        .where((eb) => eb.or([...byIssuer].map(([issuer, serials]) => eb.and([issuer === null ? eb("issuer_ca_id", "is", null) : eb("issuer_ca_id", "=", issuer), eb("serial", "in", serials)]))))
        .execute();
    },
  };
}
