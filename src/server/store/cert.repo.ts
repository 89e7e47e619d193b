import { createHash } from "node:crypto";
import { sql, type Kysely, type Selectable } from "kysely";
import type { AcmeConfig, EstConfig, CertificateProfilesTable, CertificatesTable, CertificateTemplatesTable, Database } from "./schema.js";

export type TemplateRow = Selectable<CertificateTemplatesTable>;
export type ProfileRow = Selectable<CertificateProfilesTable>;
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

/** Filters of the certificate list; `cursor` is the last row's (created_at in microseconds since the epoch, id). */
export interface CertificateQuery {
  projectId: string;
  status?: "active" | "expired" | "revoked" | "renewed";
  profileId?: string;
  caId?: string;
  search?: string;
  expiresBefore?: Date;
  /** Metadata pairs every row must carry (a pair without value: the key alone). */
  metadata?: { key: string; value?: string }[];
  now: Date;
  limit: number;
  cursor?: { createdAtMicros: string; id: string };
}

/**
 * A count of microseconds since the epoch as an ISO timestamp PostgreSQL reads exactly:
 * created_at keeps microseconds, a JavaScript Date only milliseconds, so a Date cursor skips
 * rows that share the last row's millisecond.
 */
function microsToIso(us: string): string {
  const n = BigInt(us);
  return `${new Date(Number(n / 1000n)).toISOString().slice(0, -1)}${String(n % 1000n).padStart(3, "0")}Z`;
}

/** The indexed expression of certificates_search_words (migration 0016), verbatim so the planner matches it. */
const SEARCH_WORDS = sql.raw(`regexp_split_to_array(search_text, '[^a-z0-9]+')`);

/**
 * The words any match of `term` must hold whole in search_text: its runs of [a-z0-9] with a
 * separator on both sides inside the term (the first and last run may be parts of longer words).
 */
export function searchWords(term: string): string[] {
  return [...new Set(term.toLowerCase().split(/[^a-z0-9]+/).slice(1, -1).filter((w) => w.length > 0))];
}

/** A text[] literal of search words ([a-z0-9] only; quoted, so `null` stays a word). */
const wordsArray = (words: string[]) => `{${words.map((w) => `"${w}"`).join(",")}}`;

/**
 * A search goes through its whole words alone when the planner expects them in at most this
 * share of the rows (searchByWords). 0.5% is PostgreSQL's estimate for a word its statistics do
 * not list as common (DEFAULT_CONTAIN_SEL, also its guess with no statistics at all).
 */
const RARE_WORDS_SHARE = 0.005;
/** …or in at most this many rows, whatever the table's size. */
const RARE_WORDS_MIN = 500;

/** Fewest hex digits a search term needs to be matched against serial numbers too: shorter ones ("db", "cafe") are words, not serials. */
export const SERIAL_SEARCH_MIN_DIGITS = 8;

/**
 * The serial-number prefix a search term stands for, as stored (lowercase hex, no separators, no
 * leading 00 octet): `4F:A2:…`, `00:c1:…`, `0x4fa2…` and `4fa2…` all qualify. Null when the term
 * is not hex or is shorter than SERIAL_SEARCH_MIN_DIGITS digits.
 */
export function serialSearchPrefix(term: string): string | null {
  const t = term.trim().toLowerCase().replace(/^0x/, "");
  if (!/^[0-9a-f]{2}(:?[0-9a-f]{2})*:?[0-9a-f]?$/.test(t)) return null;
  // Stored serials are positive INTEGER contents without the 00 octet DER adds before a high bit.
  const hex = t.replace(/:/g, "").replace(/^(00)+(?=..)/, "");
  return hex.length >= SERIAL_SEARCH_MIN_DIGITS ? hex : null;
}

/** Templates, profiles and leaf certificates. */
export function certRepo(db: Kysely<Database>) {
  /**
   * Whether a search goes through its whole words (certificates_search_words alone) or through
   * the trigram index: the words when the planner expects them in at most RARE_WORDS_SHARE of
   * the rows (or RARE_WORDS_MIN), that is when none of them is a word its statistics know as common.
   * Left to itself the planner adds the trigram index (a BitmapAnd) when a word is rare, and the
   * AND of common trigrams (`www`, `exa`, `com`, digit triples) reads thousands of index pages:
   * 230 ms at 1M rows, against 1 ms for the rare word alone. When every word is common
   * (`corp5`, `example` in `billing123455@corp5.example.com`), the trigrams narrow it instead.
   */
  async function searchByWords(search: string | undefined): Promise<boolean> {
    const words = search ? searchWords(search) : [];
    if (words.length === 0) return false;
    // A literal (words are [a-z0-9] only), so the estimate uses the words' statistics; the
    // second branch is the table's estimated size, in the same round trip.
    const r = await sql<{ "QUERY PLAN": unknown }>`explain (format json) select 1 from certificates where ${SEARCH_WORDS} @> ${sql.lit(wordsArray(words))}::text[] union all select 1 from certificates`.execute(db);
    const raw = r.rows[0]?.["QUERY PLAN"];
    const branches = ((typeof raw === "string" ? JSON.parse(raw) : raw) as { Plan?: { Plans?: { "Plan Rows"?: number }[] } }[] | undefined)?.[0]?.Plan?.Plans ?? [];
    const [matching, all] = branches.map((b) => Number(b["Plan Rows"]));
    return Number.isFinite(matching) && Number.isFinite(all) && matching <= Math.max(RARE_WORDS_MIN, all * RARE_WORDS_SHARE);
  }
  /** The list query (test/helpers/explain-list.ts captures it to show its plan: it selects `page_key`). */
  function listQuery(q: CertificateQuery, byWords: boolean) {
    let s = db
      .selectFrom("certificates")
      .selectAll()
      .select(sql<string>`(extract(epoch from created_at) * 1000000)::bigint::text`.as("page_key"))
      .where("project_id", "=", q.projectId)
      .where("deleted_at", "is", null);
    for (const m of q.metadata ?? []) s = s.where(sql<boolean>`metadata @> ${JSON.stringify([m])}::jsonb`);
    if (q.profileId) s = s.where("profile_id", "=", q.profileId);
    if (q.caId) s = s.where("ca_id", "=", q.caId);
    if (q.search) {
      const text = `%${q.search.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      // Words path: a term's whole words (`4242`, `prod` in `db-4242.prod.`) are words of any row
      // it matches; the like then runs on `search_text collate "C"` (the same test), which the
      // trigram index cannot serve, so the planner does not add it (see searchByWords).
      const byName = byWords
        ? sql<boolean>`${SEARCH_WORDS} @> ${wordsArray(searchWords(q.search))}::text[] and (search_text collate "C") like ${text}`
        : sql<boolean>`search_text like ${text}`;
      const serial = serialSearchPrefix(q.search);
      // Parenthesised whole: kysely joins raw conditions with `and` as they are, and a bare `or` would escape the project filter.
      s = s.where(serial === null ? sql<boolean>`(${byName})` : sql<boolean>`((${byName}) or serial like ${`${serial}%`})`);
    }
    if (q.expiresBefore) s = s.where("not_after", "<", q.expiresBefore);
    if (q.status === "revoked") s = s.where("status", "=", "revoked");
    else if (q.status === "renewed") s = s.where("status", "=", "active").where("renewed_by_id", "is not", null);
    else if (q.status === "expired") s = s.where("status", "=", "active").where("renewed_by_id", "is", null).where("not_after", "<=", q.now);
    else if (q.status === "active") s = s.where("status", "=", "active").where("renewed_by_id", "is", null).where("not_after", ">", q.now);
    // A row comparison, so the index certificates_project_page seeks to the cursor instead of filtering up to it.
    if (q.cursor) s = s.where(sql<boolean>`(created_at, id) < (${microsToIso(q.cursor.createdAtMicros)}::timestamptz, ${q.cursor.id}::uuid)`);
    return s.orderBy("created_at", "desc").orderBy("id", "desc").limit(q.limit);
  }
  return {
    /** Inserts a template. */
    async insertTemplate(t: { id: string; projectId: string; name: string; description: string; rules: unknown }) {
      await db.insertInto("certificate_templates").values({ id: t.id, project_id: t.projectId, name: t.name, description: t.description, rules: JSON.stringify(t.rules), updated_at: new Date() }).execute();
    },
    /** A template by id. */
    templateById: (id: string) => db.selectFrom("certificate_templates").selectAll().where("id", "=", id).executeTakeFirst(),
    /** A project's templates. */
    templatesOf: (projectId: string) => db.selectFrom("certificate_templates").selectAll().where("project_id", "=", projectId).orderBy("created_at").orderBy("id").execute(),
    /** Replaces a template's fields. */
    async updateTemplate(id: string, t: { name: string; description: string; rules: unknown }) {
      await db.updateTable("certificate_templates").set({ name: t.name, description: t.description, rules: JSON.stringify(t.rules), updated_at: new Date() }).where("id", "=", id).execute();
    },
    /** Deletes a template. */
    async deleteTemplate(id: string) {
      await db.deleteFrom("certificate_templates").where("id", "=", id).execute();
    },

    /** Inserts a profile. */
    async insertProfile(p: { id: string; projectId: string; slug: string; description: string; templateId: string; issuerType: "ca" | "self-signed"; caId: string | null; enrollmentMethods: string[]; defaults: Record<string, unknown>; apiConfig: { autoRenew: boolean; renewBeforeDays: number | null }; acmeConfig: AcmeConfig | null }) {
      await db
        .insertInto("certificate_profiles")
        .values({
          id: p.id,
          project_id: p.projectId,
          slug: p.slug,
          description: p.description,
          template_id: p.templateId,
          issuer_type: p.issuerType,
          ca_id: p.caId,
          enrollment_methods: JSON.stringify(p.enrollmentMethods),
          defaults: JSON.stringify(p.defaults),
          api_config: JSON.stringify(p.apiConfig),
          acme_config: p.acmeConfig ? JSON.stringify(p.acmeConfig) : null,
          updated_at: new Date(),
        })
        .execute();
    },
    /** A profile by id. */
    profileById: (id: string) => db.selectFrom("certificate_profiles").selectAll().where("id", "=", id).executeTakeFirst(),
    /** A project's profiles. */
    profilesOf: (projectId: string) => db.selectFrom("certificate_profiles").selectAll().where("project_id", "=", projectId).orderBy("created_at").orderBy("id").execute(),
    /** Every profile with this slug, in any project (EST labels, at most 2 read). */
    profilesBySlug: (slug: string) => db.selectFrom("certificate_profiles").selectAll().where("slug", "=", slug).limit(2).execute(),
    /** Profiles built on a template. */
    profilesOfTemplate: (templateId: string) => db.selectFrom("certificate_profiles").selectAll().where("template_id", "=", templateId).execute(),
    /** Profiles issuing from a CA. */
    profilesOfCa: (caId: string) => db.selectFrom("certificate_profiles").selectAll().where("ca_id", "=", caId).execute(),
    /** Updates a profile. */
    async updateProfile(id: string, p: { slug: string; description: string; templateId: string; caId: string | null; enrollmentMethods: string[]; defaults: Record<string, unknown>; apiConfig: { autoRenew: boolean; renewBeforeDays: number | null }; acmeConfig: AcmeConfig | null }) {
      await db
        .updateTable("certificate_profiles")
        .set({
          slug: p.slug,
          description: p.description,
          template_id: p.templateId,
          ca_id: p.caId,
          enrollment_methods: JSON.stringify(p.enrollmentMethods),
          defaults: JSON.stringify(p.defaults),
          api_config: JSON.stringify(p.apiConfig),
          acme_config: p.acmeConfig ? JSON.stringify(p.acmeConfig) : null,
          updated_at: new Date(),
        })
        .where("id", "=", id)
        .execute();
    },
    /** Sets a profile's EST settings (null clears them). */
    async setEstConfig(id: string, est: EstConfig | null) {
      await db.updateTable("certificate_profiles").set({ est_config: est ? JSON.stringify(est) : null, updated_at: new Date() }).where("id", "=", id).execute();
    },
    /** Deletes a profile (its certificates keep existing, detached). */
    async deleteProfile(id: string) {
      await db.deleteFrom("certificate_profiles").where("id", "=", id).execute();
    },

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
    /** A page of certificates, newest first (keyset pagination on created_at, id); `page_key` is the row's created_at in microseconds. */
    list: async (q: CertificateQuery) => listQuery(q, await searchByWords(q.search)).execute(),
  };
}
