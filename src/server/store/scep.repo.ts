import { sql, type Kysely, type Selectable } from "kysely";
import type { Database } from "./schema.js";
import type { ScepRaCertificatesTable, ScepSettingsTable } from "./schema-scep.js";

export type ScepSettingsRow = Selectable<ScepSettingsTable>;
export type ScepRaRow = Selectable<ScepRaCertificatesTable>;

/** SCEP settings, RA certificates, one-time challenges and transactions (RFC 8894). */
export function scepRepo(db: Kysely<Database>) {
  return {
    /** Profiles with this slug, in any project (a SCEP URL may name a profile by its slug). */
    profilesBySlug: (slug: string) => db.selectFrom("certificate_profiles").selectAll().where("slug", "=", slug).limit(10).execute(),
    /** A profile's SCEP settings, if SCEP was ever configured on it. */
    settings: (profileId: string) => db.selectFrom("scep_settings").selectAll().where("profile_id", "=", profileId).executeTakeFirst(),
    /** Writes a profile's SCEP settings (a null challengeHash clears the static challenge; undefined keeps it). */
    async putSettings(profileId: string, s: { challengeHash?: string | null; raLifetimeDays: number; raRenewBeforeDays: number; challengeTtlSeconds: number; maxPendingChallenges: number }) {
      const values = { ra_lifetime_days: s.raLifetimeDays, ra_renew_before_days: s.raRenewBeforeDays, challenge_ttl_seconds: s.challengeTtlSeconds, max_pending_challenges: s.maxPendingChallenges, updated_at: new Date() };
      await db
        .insertInto("scep_settings")
        .values({ profile_id: profileId, challenge_hash: s.challengeHash ?? null, ...values })
        .onConflict((oc) => oc.column("profile_id").doUpdateSet({ ...values, ...(s.challengeHash !== undefined ? { challenge_hash: s.challengeHash } : {}) }))
        .execute();
    },
    /** The newest RA certificate of a profile under a CA. */
    latestRa: (profileId: string, caId: string) => db.selectFrom("scep_ra_certificates").selectAll().where("profile_id", "=", profileId).where("ca_id", "=", caId).orderBy("not_after", "desc").limit(1).executeTakeFirst(),
    /** Every RA certificate of a profile still valid at `now` (a request may be encrypted to one just replaced). */
    validRas: (profileId: string, now: Date) => db.selectFrom("scep_ra_certificates").selectAll().where("profile_id", "=", profileId).where("not_after", ">", now).orderBy("not_after", "desc").limit(5).execute(),
    /** Stores a new RA certificate. */
    async insertRa(r: { id: string; profileId: string; caId: string; keyAlgorithm: string; keyRef: unknown; certificate: Uint8Array; notBefore: Date; notAfter: Date }) {
      await db
        .insertInto("scep_ra_certificates")
        .values({ id: r.id, profile_id: r.profileId, ca_id: r.caId, key_algorithm: r.keyAlgorithm, key_ref: JSON.stringify(r.keyRef), certificate: r.certificate, not_before: r.notBefore, not_after: r.notAfter })
        .execute();
    },
    /** How many one-time challenges of a profile are neither used nor expired. */
    async pendingChallenges(profileId: string, now: Date): Promise<number> {
      const r = await db.selectFrom("scep_challenges").select((eb) => eb.fn.countAll<string>().as("n")).where("profile_id", "=", profileId).where("used_at", "is", null).where("expires_at", ">", now).executeTakeFirst();
      return Number(r?.n ?? 0);
    },
    /** Stores a one-time challenge (its hash). */
    async insertChallenge(c: { id: string; profileId: string; hash: string; createdBy: string; expiresAt: Date }) {
      await db.insertInto("scep_challenges").values({ id: c.id, profile_id: c.profileId, challenge_hash: c.hash, created_by: c.createdBy, expires_at: c.expiresAt }).execute();
    },
    /** Marks a pending one-time challenge used; false when it is unknown, used, expired or another profile's. */
    async consumeChallenge(profileId: string, hash: string, now: Date): Promise<boolean> {
      const r = await db.updateTable("scep_challenges").set({ used_at: now }).where("challenge_hash", "=", hash).where("profile_id", "=", profileId).where("used_at", "is", null).where("expires_at", ">", now).returning("id").executeTakeFirst();
      return !!r;
    },
    /** Forgets challenges that expired before `before`. */
    async pruneChallenges(before: Date) {
      await db.deleteFrom("scep_challenges").where("expires_at", "<", before).execute();
    },
    /** Remembers which certificate a transaction produced (CertPoll finds it again). */
    async recordTransaction(profileId: string, transactionId: string, certificateId: string) {
      await db.insertInto("scep_transactions").values({ profile_id: profileId, transaction_id: transactionId, certificate_id: certificateId }).onConflict((oc) => oc.doNothing()).execute();
    },
    /** The newest certificate a transaction produced. */
    async certificateOfTransaction(profileId: string, transactionId: string): Promise<string | undefined> {
      const r = await db.selectFrom("scep_transactions").select("certificate_id").where("profile_id", "=", profileId).where("transaction_id", "=", transactionId).orderBy(sql`created_at`, "desc").limit(1).executeTakeFirst();
      return r?.certificate_id;
    },
  };
}
