import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";
import { serialSearchPrefix } from "./cert-list.repo.js";

/** A profile's certificate counts (Infisical's profile metrics). */
export interface ProfileCounts {
  total: number;
  active: number;
  expired: number;
  expiring: number;
  revoked: number;
}

/** The status filter of a profile's certificate list. */
export type ProfileCertStatus = "active" | "expired" | "revoked" | "renewed";

/** Certificates by profile: offset pages, counts (served by certificates_profile_page, migration 0021). */
export function profileStatsRepo(db: Kysely<Database>) {
  function filtered(profileId: string, q: { status?: ProfileCertStatus; search?: string; now: Date }) {
    let s = db.selectFrom("certificates").where("profile_id", "=", profileId).where("deleted_at", "is", null);
    if (q.search) {
      const text = `%${q.search.toLowerCase().replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
      const serial = serialSearchPrefix(q.search);
      s = s.where(serial === null ? sql<boolean>`(search_text like ${text})` : sql<boolean>`(search_text like ${text} or serial like ${`${serial}%`})`);
    }
    // Infisical's statuses (a renewed certificate is still active until it expires); `renewed` is Stamp's extra filter.
    if (q.status === "revoked") s = s.where("status", "=", "revoked");
    else if (q.status === "renewed") s = s.where("status", "=", "active").where("renewed_by_id", "is not", null);
    else if (q.status === "expired") s = s.where("status", "=", "active").where("not_after", "<=", q.now);
    else if (q.status === "active") s = s.where("status", "=", "active").where("not_after", ">", q.now);
    return s;
  }
  return {
    /** One page of a profile's certificates, newest first, and how many match in all. */
    async page(profileId: string, q: { status?: ProfileCertStatus; search?: string; now: Date; offset: number; limit: number }) {
      const [rows, count] = await Promise.all([
        filtered(profileId, q).selectAll().orderBy("created_at", "desc").orderBy("id", "desc").offset(q.offset).limit(q.limit).execute(),
        filtered(profileId, q).select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirst(),
      ]);
      return { rows, total: Number(count?.n ?? 0) };
    },
    /**
     * Counts per profile, by Infisical's statuses: total; active (not revoked, not expired,
     * renewed or not); expired (not revoked, past notAfter); expiring (active, not yet renewed,
     * ending before `soon`); revoked.
     */
    async counts(profileIds: string[], now: Date, soon: Date): Promise<Map<string, ProfileCounts>> {
      const out = new Map<string, ProfileCounts>();
      if (!profileIds.length) return out;
      const r = await sql<{ profile_id: string; total: string; active: string; expired: string; expiring: string; revoked: string }>`
        select profile_id,
          count(*) as total,
          count(*) filter (where status = 'active' and not_after > ${now}) as active,
          count(*) filter (where status = 'active' and not_after <= ${now}) as expired,
          count(*) filter (where status = 'active' and renewed_by_id is null and not_after > ${now} and not_after <= ${soon}) as expiring,
          count(*) filter (where status = 'revoked') as revoked
        from certificates where profile_id in (${sql.join(profileIds)}) and deleted_at is null group by profile_id`.execute(db);
      for (const x of r.rows) out.set(x.profile_id, { total: Number(x.total), active: Number(x.active), expired: Number(x.expired), expiring: Number(x.expiring), revoked: Number(x.revoked) });
      return out;
    },
    /** The newest certificate of a profile that is active now (not revoked, renewed or expired). */
    latestActive: (profileId: string, now: Date) =>
      db.selectFrom("certificates").select("id").where("profile_id", "=", profileId).where("deleted_at", "is", null).where("status", "=", "active").where("renewed_by_id", "is", null).where("not_after", ">", now).where("not_before", "<=", now).orderBy("created_at", "desc").orderBy("id", "desc").limit(1).executeTakeFirst(),
  };
}
