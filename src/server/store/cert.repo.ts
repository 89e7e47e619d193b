import { createHash } from "node:crypto";
import { sql, type Kysely, type Selectable } from "kysely";
import type { CertificatesTable, Database } from "./schema.js";
import { certListRepo } from "./cert-list.repo.js";
import { profileRepo } from "./profile.repo.js";

export type { ProfileRow, TemplateRow } from "./profile.repo.js";
export type { CertificateQuery } from "./cert-list.repo.js";
export type CertificateRow = Selectable<CertificatesTable>;

/** A new certificate's row, written once its certificate is signed. */
export interface NewCertificate {
  id: string;
  projectId: string;
  profileId: string | null;
  caId: string | null;
  caCertificateId: string | null;
  caKeyId: string | null;
  serial: string;
  commonName: string;
  altNames: { type: string; value: string }[];
  notBefore: Date;
  notAfter: Date;
  keyAlgorithm: string;
  keyUsages: string[];
  extendedKeyUsages: string[];
  certificate: Uint8Array;
  chainPem: string;
  keySource: "server" | "csr" | "imported";
  keyRef: unknown | null;
  request: Record<string, unknown>;
  renewedFromId: string | null;
  /** Infisical's certificate metadata (key/value pairs). */
  metadata?: { key: string; value: string }[];
  /** "pending" when an HTTP answer will carry it (cleared once written; crash reconciliation). */
  delivery?: "pending";
}

/** The `certificates` row of a new certificate, jsonb columns as values (issuance.repo.ts sends the row as JSON). */
export function certificateColumns(c: NewCertificate) {
  return {
    id: c.id,
    project_id: c.projectId,
    profile_id: c.profileId,
    ca_id: c.caId,
    ca_certificate_id: c.caCertificateId,
    ca_key_id: c.caKeyId,
    serial: c.serial,
    status: "active" as const,
    common_name: c.commonName,
    alt_names: c.altNames,
    search_text: [c.commonName, ...c.altNames.map((a) => a.value)].join(" ").toLowerCase(),
    not_before: c.notBefore,
    not_after: c.notAfter,
    key_algorithm: c.keyAlgorithm,
    key_usages: c.keyUsages,
    extended_key_usages: c.extendedKeyUsages,
    certificate: c.certificate,
    chain_pem: c.chainPem,
    key_source: c.keySource,
    key_ref: c.keyRef,
    request: c.request,
    renewed_from_id: c.renewedFromId,
    metadata: c.metadata ?? [],
    // Thumbprint lookups (revoke by SHA-1); SHA-256 has an expression index (0022).
    fingerprint_sha1: new Uint8Array(createHash("sha1").update(c.certificate).digest()),
  };
}

/** The same row as Kysely inserts it: jsonb columns as JSON text (pg would send a JS array as a PostgreSQL array). */
function certificateValues(c: NewCertificate) {
  const r = certificateColumns(c);
  const json = (v: unknown) => JSON.stringify(v);
  return { ...r, alt_names: json(r.alt_names), key_usages: json(r.key_usages), extended_key_usages: json(r.extended_key_usages), key_ref: r.key_ref === null ? null : json(r.key_ref), request: json(r.request), metadata: json(r.metadata) };
}
/** Leaf certificates; with the templates and profiles (profile.repo.ts) and the list (cert-list.repo.ts) under one name. */
export function certRepo(db: Kysely<Database>) {
  return {
    ...profileRepo(db),
    ...certListRepo(db),
    /** Inserts a signed certificate, its pending delivery and the mark on what it renews (tests and tools; issuance commits through issuance.repo.ts). */
    async insertCertificate(c: NewCertificate) {
      await db.insertInto("certificates").values(certificateValues(c)).execute();
      if (c.delivery === "pending") await db.insertInto("pending_deliveries").values({ certificate_id: c.id, created_at: new Date() }).execute();
      if (c.renewedFromId) await db.updateTable("certificates").set({ renewed_by_id: c.id }).where("id", "=", c.renewedFromId).execute();
    },
    /** A certificate by id. */
    certificateById: (id: string) => db.selectFrom("certificates").selectAll().where("id", "=", id).executeTakeFirst(),
    /** The newest certificate with this serial (hex, lowercase); serials are unique per CA. */
    certificateBySerial: (serial: string) => db.selectFrom("certificates").selectAll().where("serial", "=", serial).orderBy("created_at", "desc").limit(1).executeTakeFirst(),
    /**
     * Certificates due for server-driven renewal at `now`: active, not yet renewed, with a key
     * the server holds, auto-renew on (their own setting, else their profile's), inside the window.
     */
    async dueForRenewal(now: Date, limit: number) {
      const r = await sql<{ id: string }>`
        select c.id from certificates c join certificate_profiles p on p.id = c.profile_id
        where c.status = 'active' and c.renewed_by_id is null and c.key_source = 'server' and c.not_after > ${now} and c.deleted_at is null
          and coalesce(c.auto_renew, (p.api_config->>'autoRenew')::boolean, false)
          and c.not_after - make_interval(days => coalesce(c.renew_before_days, (p.api_config->>'renewBeforeDays')::int, 0)) <= ${now}
          and (c.renewal_failed_at is null or c.renewal_failed_at < ${now}::timestamptz - interval '1 hour')
        order by c.not_after limit ${limit}`.execute(db);
      return r.rows.map((x) => x.id);
    },
    /** Claims a certificate's renewal for `leaseSeconds`; false when another server holds it or it was renewed. */
    async claimRenewal(id: string, now: Date, leaseSeconds: number) {
      const r = await sql`update certificates set renewal_claimed_at = ${now}
        where id = ${id} and renewed_by_id is null and (renewal_claimed_at is null or renewal_claimed_at < ${now}::timestamptz - make_interval(secs => ${leaseSeconds}))`.execute(db);
      return Number(r.numAffectedRows ?? 0) === 1;
    },
    /** Records why a server-driven renewal failed (shown on the certificate). */
    async recordRenewalFailure(id: string, reason: string, at: Date) {
      await db.updateTable("certificates").set({ renewal_failure: reason.slice(0, 1000), renewal_failed_at: at, renewal_claimed_at: null }).where("id", "=", id).execute();
    },
    /** Sets a certificate's own auto-renew settings (null: follow the profile). */
    async setAutoRenew(id: string, set: { autoRenew?: boolean | null; renewBeforeDays?: number | null }) {
      if (set.autoRenew === undefined && set.renewBeforeDays === undefined) return;
      await db
        .updateTable("certificates")
        .set({ ...(set.autoRenew !== undefined ? { auto_renew: set.autoRenew } : {}), ...(set.renewBeforeDays !== undefined ? { renew_before_days: set.renewBeforeDays } : {}) })
        .where("id", "=", id)
        .execute();
    },
    /** A certificate by id, locked (inside a transaction). */
    certificateByIdForUpdate: (id: string) => db.selectFrom("certificates").selectAll().where("id", "=", id).forUpdate().executeTakeFirst(),
    /** Whether a CA issued any certificate that is neither revoked nor expired. */
    async hasLiveCertificates(caId: string, now: Date) {
      const r = await db.selectFrom("certificates").select("id").where("ca_id", "=", caId).where("status", "=", "active").where("not_after", ">", now).limit(1).executeTakeFirst();
      return r !== undefined;
    },
    /**
     * Takes the next revocation sequence number of a CA (row lock until commit), so a CRL built
     * from one snapshot holds exactly the changes up to the number it records.
     */
    async nextRevocationSeq(caId: string): Promise<string> {
      const r = await sql<{ revocation_seq: string }>`update cas set revocation_seq = revocation_seq + 1 where id = ${caId} returning revocation_seq::text`.execute(db);
      return r.rows[0].revocation_seq;
    },
    /** Records a revocation (RFC 5280 §5.3.1 reason, time, invalidity date). */
    async revoke(id: string, r: { at: Date; reason: string; invalidityDate: Date | null; seq: string | null }) {
      await db
        .updateTable("certificates")
        .set({ status: "revoked", revoked_at: r.at, revocation_reason: r.reason, invalidity_date: r.invalidityDate, hold_released_at: null, revocation_seq: r.seq })
        .where("id", "=", id)
        .execute();
    },
    /** Lifts a certificateHold: the certificate is active again (a delta CRL says removeFromCRL). */
    async releaseHold(id: string, at: Date, seq: string | null) {
      await db.updateTable("certificates").set({ status: "active", revoked_at: null, revocation_reason: null, invalidity_date: null, hold_released_at: at, revocation_seq: seq }).where("id", "=", id).execute();
    },
  };
}
