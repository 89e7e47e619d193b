/**
 * Certificate search at 1M certificates (issue 12: p99 < 20 ms), on PGlite and PostgreSQL.
 * Per store: a fresh database (migrated), then
 * 1. insert cost: certificates inserted through `certRepo.insertCertificate` with the index set
 *    before migration 0016 and after it, alternating rounds on one small table;
 * 2. fill: 1,000,000 × BENCH_SCALE synthetic rows by `insert … select … from generate_series`
 *    (indexes dropped first and rebuilt after, which also times the migration's index builds);
 * 3. search: `certRepo.list` (the code behind GET …/certificates?search=) by CN, SAN (DNS, IP,
 *    email) and serial, hits and misses, in the big project; each answer is checked;
 * 4. the same searches without the 0016 indexes (dropped in a transaction rolled back after).
 *
 *   node --import tsx bench/search.ts        (or: npm run bench -- search)
 *   BENCH_SCALE=0.1 for 100k rows; BENCH_STORES=pglite or postgres for one store;
 *   BENCH_SEARCHES (per query kind, default 100); BENCH_SEARCH_BEFORE (per kind without the index, default 5; 0 skips).
 */
import { createHash, randomUUID } from "node:crypto";
import { performance } from "node:perf_hooks";
import { sql, type Kysely } from "kysely";
import { openDb, type Db } from "../src/server/store/db.js";
import { migrate } from "../src/server/store/migrations.js";
import { certRepo, type CertificateRow } from "../src/server/store/cert.repo.js";
import type { Database } from "../src/server/store/schema.js";
import { freshStore, type StoreKind } from "./lib/server.js";
import { percentile, table } from "./lib/table.js";
import { cnOf, emailOf, insertRows, ipOf, projectOf, serialOf, SMALL_PROJECTS, wwwOf } from "./lib/search-data.js";

const SCALE = Number(process.env.BENCH_SCALE ?? "1");
if (!(SCALE > 0 && SCALE <= 5)) throw new Error("BENCH_SCALE must be a number in (0, 5]");
const STORES = (process.env.BENCH_STORES ?? "pglite,postgres").split(",").map((s) => s.trim()) as StoreKind[];
for (const s of STORES) if (s !== "pglite" && s !== "postgres") throw new Error(`BENCH_STORES: unknown store ${s}`);
const ROWS = Math.max(1000, Math.round(1_000_000 * SCALE));
const SEARCHES = Number(process.env.BENCH_SEARCHES ?? 100);
const BEFORE = Number(process.env.BENCH_SEARCH_BEFORE ?? 5);
const INSERT_ROUNDS = 3;
const INSERT_ROWS = 3000;
const BULK_ROWS = 20_000;
const CHUNK = 100_000;
const TARGET_MS = 20;
/** The 0016 indexes; the bench drops them to time the search without them. */
const SEARCH_INDEXES = ["certificates_search", "certificates_search_words", "certificates_serial"];
/** The index set before 0016 (verbatim from 0002/0005), for the insert-cost comparison. */
const BEFORE_0016 = `drop index certificates_search; drop index certificates_search_words; drop index certificates_serial; drop index certificates_renewed_from; drop index certificates_renewed_by;
  create index certificates_ca_status on certificates(ca_id, status);
  create index certificates_renewed_from on certificates(renewed_from_id);
  create index certificates_renewed_by on certificates(renewed_by_id);`;

const md5 = (s: string) => createHash("md5").update(s).digest("hex");
const log = (m: string) => process.stderr.write(`  ${m}\n`);
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);

/** A small deterministic PRNG (mulberry32), so both stores search the same terms. */
function rng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** A search the bench runs: the term, and whether an answer is right. */
interface Kind {
  name: string;
  /** `pick(f, project)`: a random row g of that project (default the big one, 0; -1 any other) for which f holds. */
  term(pick: (f?: (g: number) => boolean, project?: number) => number): { term: string; ok: (rows: CertificateRow[]) => boolean };
}
const hasCn = (g: number) => (rows: CertificateRow[]) => rows.some((r) => r.common_name === cnOf(g));
const none = (rows: CertificateRow[]) => rows.length === 0;
const KINDS: Kind[] = [
  { name: "CN, whole", term: (pick) => ((g) => ({ term: cnOf(g).toUpperCase(), ok: hasCn(g) }))(pick()) },
  { name: "CN, part (`db-4242.`)", term: (pick) => ((g) => ({ term: `${cnOf(g).split(".")[0]}.`, ok: hasCn(g) }))(pick()) },
  { name: "SAN DNS", term: (pick) => ((g) => ({ term: wwwOf(g), ok: hasCn(g) }))(pick()) },
  { name: "SAN IP", term: (pick) => ((g) => ({ term: ipOf(g)!, ok: hasCn(g) }))(pick((g) => ipOf(g) !== null)) },
  { name: "SAN email", term: (pick) => ((g) => ({ term: emailOf(g)!, ok: hasCn(g) }))(pick((g) => emailOf(g) !== null)) },
  { name: "serial, hex", term: (pick) => ((g) => ({ term: serialOf(g, md5), ok: hasCn(g) }))(pick()) },
  { name: "serial, AA:BB:… upper case", term: (pick) => ((g) => ({ term: serialOf(g, md5).toUpperCase().match(/.{1,2}/g)!.join(":"), ok: hasCn(g) }))(pick()) },
  { name: "serial, first 16 digits", term: (pick) => ((g) => ({ term: serialOf(g, md5).slice(0, 16), ok: hasCn(g) }))(pick()) },
  { name: "miss: name", term: (pick) => ({ term: `nohost-${pick()}.example.org`, ok: none }) },
  { name: "miss: serial", term: (pick) => ({ term: `7f${md5(String(pick())).slice(0, 30)}`, ok: none }) },
  { name: "miss: other project's CN", term: (pick) => ({ term: cnOf(pick(undefined, -1)), ok: none }) },
];
/** Kinds also timed without the index (each miss reads the whole project then). */
const BEFORE_KINDS = ["CN, whole", "SAN DNS", "serial, hex", "miss: name"];

/** Runs every kind `n` times, interleaved, through `certRepo(db).list`; latencies per kind. */
async function searches(db: Kysely<Database>, projectId: string, kinds: Kind[], n: number, seed: number) {
  const random = rng(seed);
  const pick = (f: (g: number) => boolean = () => true, project = 0) => {
    for (;;) {
      const g = 1 + Math.floor(random() * ROWS);
      if (f(g) && (project === 0 ? projectOf(g) === 0 : projectOf(g) !== 0)) return g;
    }
  };
  const times = new Map<string, number[]>(kinds.map((k) => [k.name, []]));
  const hits = new Map<string, number>(kinds.map((k) => [k.name, 0]));
  const repo = certRepo(db);
  for (let i = 0; i < n; i++) {
    for (const k of kinds) {
      const { term, ok } = k.term(pick);
      const t0 = performance.now();
      const rows = await repo.list({ projectId, search: term, now: new Date(), limit: 100 });
      times.get(k.name)!.push(performance.now() - t0);
      if (!ok(rows)) throw new Error(`search ${k.name} ${JSON.stringify(term)}: wrong answer (${rows.length} rows: ${rows.slice(0, 3).map((r) => r.common_name).join(", ")})`);
      hits.set(k.name, hits.get(k.name)! + rows.length);
    }
  }
  return kinds.map((k) => {
    const sorted = times.get(k.name)!.sort((a, b) => a - b);
    return { kind: k.name, p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), rows: hits.get(k.name)! / n };
  });
}

/** Inserts `rows` certificates through the repository, 100 per transaction; µs per row and the slowest insert. */
async function insertBatch(db: Kysely<Database>, projectId: string, rows: number, from: number) {
  const lat: number[] = [];
  const t0 = performance.now();
  for (let b = 0; b < rows; b += 100) {
    await db.transaction().execute(async (tx) => {
      const repo = certRepo(tx);
      for (let g = from + b; g < from + Math.min(rows, b + 100); g++) {
        const cn = `ins-${cnOf(g)}`;
        const t = performance.now();
        await repo.insertCertificate({
          id: randomUUID(), projectId, profileId: null, caId: null, caCertificateId: null, caKeyId: null, serial: `7${md5(`i${g}`)}${md5(`j${g}`).slice(0, 7)}`, commonName: cn,
          altNames: [{ type: "dns_name", value: cn }, { type: "dns_name", value: `ins-${wwwOf(g)}` }], notBefore: new Date(), notAfter: new Date(Date.now() + 86_400_000),
          keyAlgorithm: "EC_prime256v1", keyUsages: ["digital_signature"], extendedKeyUsages: ["server_auth"], certificate: Buffer.from(md5(cn).repeat(38), "hex"),
          chainPem: md5("chain").repeat(40), keySource: "csr", keyRef: null, request: { csr: md5(cn).repeat(12) }, renewedFromId: null,
        });
        lat.push(performance.now() - t);
      }
    });
  }
  const total = performance.now() - t0;
  lat.sort((a, b) => a - b);
  return { usPerRow: (total * 1000) / rows, p99: percentile(lat, 0.99), max: lat[lat.length - 1] };
}

async function benchStore(kind: StoreKind) {
  const store = await freshStore(kind, "search_");
  let handle: Db | undefined;
  try {
    handle = await openDb(kind === "pglite" ? { kind, dataDir: store.dataDir, durable: false } : { kind, url: store.databaseUrl!, poolSize: 2 });
    const db = handle.db;
    await migrate(db);
    const projects = Array.from({ length: 1 + SMALL_PROJECTS }, () => randomUUID());
    for (const [i, id] of projects.entries()) await db.insertInto("projects").values({ id, name: `search-${i}` }).execute();
    const indexDefs = async () => (await sql<{ name: string; def: string }>`select indexname as name, indexdef as def from pg_indexes where tablename = 'certificates' and indexname not in (select conname from pg_constraint) order by indexname`.execute(db)).rows;

    // 1. Insert cost, alternating the index set before and after 0016 on the same small table.
    const after = (await indexDefs()).filter((x) => [...SEARCH_INDEXES, "certificates_renewed_from", "certificates_renewed_by"].includes(x.name));
    const toAfter = `drop index certificates_ca_status; drop index certificates_renewed_from; drop index certificates_renewed_by; ${after.map((x) => `${x.def};`).join(" ")}`;
    const inserts: Record<string, { usPerRow: number; p99: number; max: number }[]> = { "before 0016": [], "after 0016": [] };
    const bulk: Record<string, number[]> = { "before 0016": [], "after 0016": [] };
    let next = 1;
    for (let r = 0; r < INSERT_ROUNDS; r++) {
      for (const variant of ["before 0016", "after 0016"] as const) {
        await sql.raw(variant === "before 0016" ? BEFORE_0016 : toAfter).execute(db);
        inserts[variant].push(await insertBatch(db, projects[0], INSERT_ROWS, next));
        next += INSERT_ROWS;
        // The database's side alone: one insert … select of BULK_ROWS (no client, parse or round trips).
        const t = performance.now();
        await insertRows(db, projects, next, next + BULK_ROWS - 1, next + BULK_ROWS);
        bulk[variant].push(((performance.now() - t) * 1000) / BULK_ROWS);
        next += BULK_ROWS;
      }
    }
    await sql`truncate certificates cascade`.execute(db); // acme_orders references it (empty here)
    const defsNow = await indexDefs();
    if (!defsNow.some((x) => x.name === "certificates_search") || defsNow.some((x) => x.name === "certificates_ca_status")) throw new Error(`index set after the insert rounds: ${defsNow.map((x) => x.name).join(", ")}`);
    log(`${kind}: insert rounds done`);

    // 2. Fill with the secondary indexes dropped, then rebuild them (timed: that is what 0016's create index costs on a full table).
    const defs = await indexDefs();
    for (const x of defs) await sql.raw(`drop index ${x.name}`).execute(db);
    const t0 = performance.now();
    for (let lo = 1; lo <= ROWS; lo += CHUNK) {
      await insertRows(db, projects, lo, Math.min(ROWS, lo + CHUNK - 1), ROWS);
      log(`${kind}: ${Math.min(ROWS, lo + CHUNK - 1).toLocaleString("en")} rows, ${((performance.now() - t0) / 1000).toFixed(0)} s`);
    }
    const insertS = (performance.now() - t0) / 1000;
    const builds: Record<string, number> = {};
    for (const x of defs) {
      const t = performance.now();
      await sql.raw(x.def).execute(db);
      builds[x.name] = (performance.now() - t) / 1000;
    }
    const indexS = Object.values(builds).reduce((a, b) => a + b, 0);
    await sql`vacuum analyze certificates`.execute(db);
    const fillS = (performance.now() - t0) / 1000;
    log(`${kind}: filled in ${fillS.toFixed(0)} s (rows ${insertS.toFixed(0)} s, indexes ${indexS.toFixed(0)} s: ${Object.entries(builds).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(", ")})`);
    const [{ size }] = (await sql<{ size: string }>`select pg_size_pretty(pg_relation_size('certificates_search')) || ' + ' || pg_size_pretty(pg_relation_size('certificates_search_words')) || ' + ' || pg_size_pretty(pg_relation_size('certificates_serial')) as size`.execute(db)).rows;

    // 3. Searches with the indexes, after a short warm-up.
    await searches(db, projects[0], KINDS, 3, 7);
    const withIdx = await searches(db, projects[0], KINDS, SEARCHES, 42);
    log(`${kind}: ${withIdx.map((x) => `${x.kind} p50 ${ms(x.p50)} p99 ${ms(x.p99)}`).join("; ")}`);
    // 4. Without the 0016 indexes: dropped inside a transaction that is rolled back.
    const without = new Map<string, { p50: number; p99: number }>();
    if (BEFORE > 0) {
      await db
        .transaction()
        .execute(async (tx) => {
          for (const i of SEARCH_INDEXES) await sql.raw(`drop index ${i}`).execute(tx);
          for (const r of await searches(tx, projects[0], KINDS.filter((k) => BEFORE_KINDS.includes(k.name)), BEFORE, 42)) without.set(r.kind, r);
          throw new RolledBack();
        })
        .catch((e) => {
          if (!(e instanceof RolledBack)) throw e;
        });
    }
    // 5. Insert cost at full size (the migrated index set), for comparison with the small table.
    const full = await insertBatch(db, projects[0], INSERT_ROWS, 10_000_000);
    return { kind, withIdx, without, inserts, bulk, full, fillS, insertS, builds, size };
  } finally {
    await handle?.close();
    await store.drop();
  }
}

class RolledBack extends Error {}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const results = [];
for (const s of STORES) results.push(await benchStore(s));

console.log(`\nSearch over ${ROWS.toLocaleString("en")} certificates (90% in the project searched), ${SEARCHES} searches per kind through certRepo.list (limit 100); target p99 < ${TARGET_MS} ms\n`);
console.log(
  table(
    ["store", "query", "rows found", "p50 ms", "p99 ms", `p99 < ${TARGET_MS} ms`, "without index p50 / p99 ms"],
    results.flatMap((r) =>
      r.withIdx.map((x) => {
        const w = r.without.get(x.kind);
        return [r.kind, x.kind, x.rows.toFixed(1), ms(x.p50), ms(x.p99), x.p99 < TARGET_MS ? "yes" : "NO", w ? `${ms(w.p50)} / ${ms(w.p99)} (${BEFORE} runs)` : "–"];
      }),
    ),
  ),
);
console.log(`\nFill (rows, then every secondary index rebuilt; the two 0016 indexes' builds are what the migration costs on a table this size)\n`);
console.log(
  table(
    ["store", "rows", "insert s", "all indexes s", "0016's indexes s (search, words, serial)", "0016's indexes size", "total s"],
    results.map((r) => [r.kind, ROWS.toLocaleString("en"), r.insertS.toFixed(1), Object.values(r.builds).reduce((a, b) => a + b, 0).toFixed(1), SEARCH_INDEXES.map((i) => r.builds[i].toFixed(1)).join(" + "), r.size, r.fillS.toFixed(1)]),
  ),
);
console.log(`\nInsert cost through certRepo.insertCertificate, 100 rows a transaction, ${INSERT_ROUNDS} alternating rounds of ${INSERT_ROWS.toLocaleString("en")} rows per index set (small table), then ${INSERT_ROWS.toLocaleString("en")} rows into the full table\n`);
console.log(
  table(
    ["store", "index set", "µs per row (rounds)", "mean µs per row", "p99 insert ms", "slowest insert ms", `bulk µs per row (${BULK_ROWS.toLocaleString("en")}-row insert … select)`],
    results.flatMap((r) => [
      ...Object.entries(r.inserts).map(([v, xs]) => [r.kind, v, xs.map((x) => x.usPerRow.toFixed(0)).join(", "), mean(xs.map((x) => x.usPerRow)).toFixed(0), ms(Math.max(...xs.map((x) => x.p99))), ms(Math.max(...xs.map((x) => x.max))), r.bulk[v].map((x) => x.toFixed(1)).join(", ")]),
      [r.kind, `after 0016, ${ROWS.toLocaleString("en")} rows`, r.full.usPerRow.toFixed(0), r.full.usPerRow.toFixed(0), ms(r.full.p99), ms(r.full.max), "–"],
    ]),
  ),
);
