import { sql } from "kysely";
import type { Migration } from "./migration.js";

/**
 * Certificate search with indexes (issue 12), and three `certificates` indexes that cost every
 * insert for nothing (docs/certificate-list.md lists each index with the queries it serves):
 * - `certificates_search`: a pg_trgm GIN index on `search_text`, so `search_text like '%…%'`
 *   (the API's case-insensitive CN/SAN substring search) reads matching rows only. fastupdate
 *   (GIN's pending list) keeps an insert to an append; the list is capped at 1 MB so the insert
 *   that merges it, and every search that scans it, stays short — PGlite has no autovacuum to
 *   merge it in the background.
 * - `certificates_search_words`: GIN over the words of `search_text` (runs of [a-z0-9]). A term
 *   with a word between two separators (`4242` in `host-4242.acme`) must hold it whole, and one
 *   rare word finds the rows at once, where the AND of common trigrams (every name has `com`,
 *   `exa`, digits) read 5,000 index pages at 1M rows. `searchByWords` in cert.repo.ts takes
 *   this index when the planner expects the words in few rows, the trigram one otherwise.
 * - `certificates_serial`: btree on `serial` with text_pattern_ops: serial prefix search, and
 *   ACME's `certificateBySerial` (`serial = $1`), which had no index with serial first.
 * - dropped `certificates_ca_status (ca_id, status)`: `unique (ca_id, serial)` already leads with
 *   ca_id; its only reader, `hasLiveCertificates` (CA deletion), stops at the first live row.
 * - `certificates_renewed_from` / `certificates_renewed_by` become partial (`is not null`): they
 *   exist for the foreign keys' lookups (`… where renewed_by_id = $1`, which implies not null),
 *   and a new certificate has no renewed_by_id (and rarely a renewed_from_id), so it no longer
 *   adds a NULL entry to each.
 * Existing rows are indexed by the `create index` itself (search_text and serial were always set).
 */
export const certificateSearch: Migration = {
  name: "0016_certificate_search",
  async up(db) {
    const have = await sql<{ n: number }>`select count(*)::int as n from pg_extension where extname = 'pg_trgm'`.execute(db);
    if (have.rows[0].n === 0) {
      try {
        // pg_trgm is a trusted extension (PostgreSQL ≥ 13): the database owner may create it.
        await sql`create extension if not exists pg_trgm`.execute(db);
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new Error(`migration 0016 needs the pg_trgm extension (${why}): install PostgreSQL's contrib modules, or have a superuser run "create extension pg_trgm" in this database, then start Stamp again`, { cause: e });
      }
    }
    await sql`
      create index certificates_search on certificates using gin (search_text gin_trgm_ops) with (fastupdate = on, gin_pending_list_limit = 1024);
      create index certificates_search_words on certificates using gin (regexp_split_to_array(search_text, '[^a-z0-9]+')) with (fastupdate = on, gin_pending_list_limit = 1024);
      create index certificates_serial on certificates (serial text_pattern_ops);
      drop index if exists certificates_ca_status;
      drop index if exists certificates_renewed_from;
      drop index if exists certificates_renewed_by;
      create index certificates_renewed_from on certificates(renewed_from_id) where renewed_from_id is not null;
      create index certificates_renewed_by on certificates(renewed_by_id) where renewed_by_id is not null;
      -- Statistics for the new expression index now: the search asks the planner how common its
      -- words are, and PGlite runs no autovacuum (so no autoanalyze) to gather them later.
      analyze certificates;
    `.execute(db);
  },
};
