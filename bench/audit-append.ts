/**
 * What the audit hash chain costs: audit appends per second through the store, chained
 * (lock the chain head, hash, insert; migration 0008) against a plain insert of the same row
 * (what Stamp did before), alone and inside a transaction that also writes a row, as issuance
 * does, at concurrency 1 and 16. Prints a table.
 *
 *   node --import tsx bench/audit-append.ts     (BENCH_SCALE, BENCH_STORES as for issuance.ts)
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { sql, type Kysely } from "kysely";
import { chainVerifier } from "../src/contract/audit-chain.js";
import { openDb } from "../src/server/store/db.js";
import { migrate } from "../src/server/store/migrations.js";
import { miscRepo } from "../src/server/store/misc.repo.js";
import type { Database } from "../src/server/store/schema.js";
import { freshStore, type StoreKind } from "./lib/server.js";
import { table } from "./lib/table.js";

const SCALE = Number(process.env.BENCH_SCALE ?? "1");
const STORES = (process.env.BENCH_STORES ?? "pglite,postgres").split(",").map((s) => s.trim()) as StoreKind[];
const N = Math.max(50, Math.round(2000 * SCALE));

const event = (i: number) => ({
  projectId: null,
  actorType: "user",
  actorId: "bench",
  action: "certificate.issue",
  objectType: "certificate",
  objectId: `c${i}`,
  outcome: "success" as const,
  sourceIp: "127.0.0.1",
  detail: { profile: "web", serial: i.toString(16).padStart(32, "0"), commonName: `h${i}.bench.test`, altNames: [`h${i}.bench.test`] },
  at: new Date(),
});

/** The pre-chain append: one INSERT, no lock (hash columns filled with a constant). */
async function plainInsert(ex: Kysely<Database>, i: number) {
  const e = event(i);
  await sql`insert into audit_log (id, project_id, actor_type, actor_id, action, object_type, object_id, outcome, source_ip, detail, created_at, prev_hash, hash)
    values (nextval('audit_log_id_seq') + 100000000, ${e.projectId}, ${e.actorType}, ${e.actorId}, ${e.action}, ${e.objectType}, ${e.objectId}, ${e.outcome}, ${e.sourceIp}, ${JSON.stringify(e.detail)}::jsonb, ${e.at}, 'x', 'x')`.execute(ex);
}

async function run(concurrency: number, total: number, one: (i: number) => Promise<void>) {
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) await one(next++);
    }),
  );
  return total / ((performance.now() - t0) / 1000);
}

async function main() {
  const rows: (string | number)[][] = [];
  for (const kind of STORES) {
    const fresh = await freshStore(kind, "audit");
    const db = await openDb(fresh.databaseUrl ? { kind: "postgres", url: fresh.databaseUrl, poolSize: 17 } : { kind: "pglite", dataDir: `${fresh.dataDir}/db` });
    try {
      await migrate(db.db);
      // A second table the "with a row" runs write, as issuance writes its certificate.
      await sql`create table bench_work (id bigserial primary key, v text not null)`.execute(db.db);
      const work = (tx: Kysely<Database>) => sql`insert into bench_work (v) values ('x')`.execute(tx);
      const inTx = (fn: (tx: Kysely<Database>) => Promise<void>) => db.db.transaction().execute(async (tx) => { await work(tx); await fn(tx); });
      for (const c of [1, 16]) {
        const chained = await run(c, N, (i) => miscRepo(db.db).audit(event(i)));
        const chainedTx = await run(c, N, (i) => inTx((tx) => miscRepo(tx).audit(event(i))));
        rows.push([kind, c, "chained", Math.round(chained), Math.round(chainedTx)]);
      }
      // Plain inserts only add rows, with ids far above the chain's.
      for (const c of [1, 16]) {
        const plain = await run(c, N, (i) => plainInsert(db.db, i));
        const plainTx = await run(c, N, (i) => inTx((tx) => plainInsert(tx, i)));
        rows.push([kind, c, "plain insert (before)", Math.round(plain), Math.round(plainTx)]);
      }
      // Correctness: the chained entries (ids below the plain ones) verify.
      const v = chainVerifier();
      const all = await db.db.selectFrom("audit_log").selectAll().where("id", "<", "100000000").orderBy("id").execute();
      for (const r of all) {
        const bad = v.push({ id: String(r.id), prevHash: r.prev_hash, hash: r.hash, projectId: r.project_id, actorType: r.actor_type, actorId: r.actor_id, action: r.action, objectType: r.object_type, objectId: r.object_id, outcome: r.outcome, sourceIp: r.source_ip, createdAt: new Date(r.created_at).toISOString(), detail: r.detail });
        if (bad) throw new Error(`${kind}: chain broken: ${bad.message}`);
      }
      process.stderr.write(`${kind}: ${all.length} chained entries verified\n`);
    } finally {
      await db.close();
      await fresh.drop();
    }
  }
  process.stdout.write(`\nAudit appends per second (${N} per run; "with a row": in a transaction that also inserts one row, as issuance does)\n\n`);
  process.stdout.write(`${table(["store", "concurrency", "append", "alone/s", "with a row/s"], rows)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();
