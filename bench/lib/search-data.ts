/**
 * Synthetic certificates for bench/search.ts: row g (1..n) gets a CN, SANs and a serial that are
 * pure functions of g, written by SQL (`insert … select … from generate_series`) and recomputed
 * here in TypeScript to pick search terms whose answer is known.
 */
import { sql, type Kysely } from "kysely";
import type { Database } from "../../src/server/store/schema.js";

/** Projects: every 10th row goes to one of 9 small projects, the rest (90%) to the big one searched. */
export const SMALL_PROJECTS = 9;
const SERVICES = ["api", "web", "db", "cache", "queue", "auth", "billing", "search", "mail", "vpn"];
const ENVS = ["prod", "stage", "dev"];

/** The project index of row g: 0 is the big project, 1..9 the small ones. */
export const projectOf = (g: number) => (g % 10 === 0 ? 1 + (Math.floor(g / 10) % SMALL_PROJECTS) : 0);
/** Row g's common name, e.g. `billing-123457.prod.corp7.example.com`. */
export const cnOf = (g: number) => `${SERVICES[Math.floor(g / 7) % 10]}-${g}.${ENVS[g % 3]}.corp${g % 50}.example.com`;
/** Row g's second DNS name. */
export const wwwOf = (g: number) => `www-${g}.example.net`;
/** Row g's IP address SAN (every 4th row). */
export const ipOf = (g: number) => (g % 4 === 0 ? `10.${(g >> 16) & 255}.${(g >> 8) & 255}.${g & 255}` : null);
/** Row g's email SAN (every 5th row). */
export const emailOf = (g: number) => (g % 5 === 0 ? `${SERVICES[Math.floor(g / 7) % 10]}${g}@corp${g % 50}.example.com` : null);

// The same values in SQL (g is an int); md5 makes the serials random-looking and unique.
const SQL_CN = `(array['${SERVICES.join("','")}'])[1 + (g / 7) % 10] || '-' || g || '.' || (array['${ENVS.join("','")}'])[1 + g % 3] || '.corp' || (g % 50) || '.example.com'`;
const SQL_WWW = `'www-' || g || '.example.net'`;
const SQL_IP = `case when g % 4 = 0 then '10.' || ((g >> 16) & 255) || '.' || ((g >> 8) & 255) || '.' || (g & 255) end`;
const SQL_EMAIL = `case when g % 5 = 0 then (array['${SERVICES.join("','")}'])[1 + (g / 7) % 10] || g || '@corp' || (g % 50) || '.example.com' end`;
/** 40 hex digits, the first 1..7 (a positive 20-octet INTEGER, as src/pki/serial.ts makes them). */
const SQL_SERIAL = `(1 + g % 7)::text || substr(md5(g::text) || md5('s' || g), 1, 39)`;

/** Row g's serial, as SQL_SERIAL computes it. */
export function serialOf(g: number, md5: (s: string) => string): string {
  return `${1 + (g % 7)}${(md5(String(g)) + md5(`s${g}`)).slice(0, 39)}`;
}

/**
 * Inserts rows lo..hi of `total` (row g is created (total − g) × 10 ms before the last) with one statement; `projects` are the 1 + SMALL_PROJECTS project ids.
 * Rows carry a ~600-byte certificate, a ~1.3 KB chain and a request, as issued ones do.
 */
export async function insertRows(db: Kysely<Database>, projects: string[], lo: number, hi: number, total: number): Promise<void> {
  const ids = `{${projects.join(",")}}`;
  await sql`
    insert into certificates (id, project_id, serial, status, common_name, alt_names, search_text, not_before, not_after, key_algorithm,
      key_usages, extended_key_usages, certificate, chain_pem, key_source, key_ref, request, created_at)
    select gen_random_uuid(), (${ids}::uuid[])[case when g % 10 = 0 then 2 + (g / 10) % ${SMALL_PROJECTS} else 1 end], serial,
      case when g % 50 = 0 then 'revoked' else 'active' end, cn,
      jsonb_build_array(jsonb_build_object('type', 'dns_name', 'value', cn), jsonb_build_object('type', 'dns_name', 'value', www))
        || case when ip is null then '[]'::jsonb else jsonb_build_array(jsonb_build_object('type', 'ip_address', 'value', ip)) end
        || case when email is null then '[]'::jsonb else jsonb_build_array(jsonb_build_object('type', 'email', 'value', email)) end,
      lower(concat_ws(' ', cn, cn, www, ip, email)),
      now() - interval '1 day', now() + (g % 400) * interval '1 day', 'EC_prime256v1', '["digital_signature"]', '["server_auth"]',
      decode(repeat(md5(g::text), 38), 'hex'), repeat(md5('chain'), 40), case when g % 3 = 0 then 'server' else 'csr' end,
      case when g % 3 = 0 then '{"sealed":"bench"}'::jsonb end, jsonb_build_object('csr', repeat(md5(cn), 12)),
      now() - interval '1 hour' - (${total}::int - g) * interval '10 milliseconds'
    from (select g, ${sql.raw(SQL_SERIAL)} as serial, ${sql.raw(SQL_CN)} as cn, ${sql.raw(SQL_WWW)} as www, ${sql.raw(SQL_IP)} as ip, ${sql.raw(SQL_EMAIL)} as email
          from generate_series(${lo}::int, ${hi}::int) g) r`.execute(db);
}
