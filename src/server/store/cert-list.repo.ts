import { sql, type Kysely } from "kysely";
import type { Database } from "./schema.js";

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

/** The certificate list: filters, keyset pages, and the search over names and serials. */
export function certListRepo(db: Kysely<Database>) {
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
    /** A page of certificates, newest first (keyset pagination on created_at, id); `page_key` is the row's created_at in microseconds. */
    list: async (q: CertificateQuery) => listQuery(q, await searchByWords(q.search)).execute(),
  };
}
