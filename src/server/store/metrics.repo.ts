import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

/** Scrape-time readings for /metrics: a few aggregate queries, each bounded by its grouping. */
export function metricsRepo(db: Kysely<Database>) {
  return {
    /** Active certificates expiring within 7 and 30 days, per profile (slug; "none" for imported ones without a profile). */
    async expiringByProfile(now: Date) {
      const r = await sql<{ profile: string; d7: string; d30: string; no_renew30: string }>`
        select coalesce(p.slug, 'none') as profile,
          count(*) filter (where c.not_after <= ${now}::timestamptz + interval '7 days')::text as d7,
          count(*)::text as d30,
          count(*) filter (where not coalesce(c.auto_renew, (p.api_config->>'autoRenew')::boolean, false))::text as no_renew30
        from certificates c left join certificate_profiles p on p.id = c.profile_id
        where c.status = 'active' and c.deleted_at is null and c.renewed_by_id is null
          and c.not_after > ${now} and c.not_after <= ${now}::timestamptz + interval '30 days'
        group by 1`.execute(db);
      return r.rows.map((x) => ({ profile: x.profile, within7: Number(x.d7), within30: Number(x.d30), within30NoAutoRenew: Number(x.no_renew30) }));
    },
    /** Per CA: its newest full CRL's thisUpdate and nextUpdate (CAs without one are left out). */
    async crlTimes() {
      const r = await sql<{ ca_id: string; ca_name: string; this_update: Date; next_update: Date }>`
        select distinct on (c.ca_id) c.ca_id, a.name as ca_name, c.this_update, c.next_update
        from crls c join cas a on a.id = c.ca_id
        where c.delta_base is null
        order by c.ca_id, c.this_update desc`.execute(db);
      return r.rows;
    },
    /** ACME orders by status. */
    async acmeOrdersByStatus() {
      const r = await sql<{ status: string; n: string }>`select status, count(*)::text as n from acme_orders group by status`.execute(db);
      return r.rows.map((x) => ({ status: x.status, count: Number(x.n) }));
    },
  };
}
