/**
 * The group commit's write on PostgreSQL, alone: `stamp_commit_leaves` (the PL/pgSQL function,
 * migration 0024) against the same writes as one CTE statement (what PGlite runs), batches of
 * 1, 8 and 32, alternating, with the database backend's CPU per certificate read from /proc
 * (docs/adr/0008-issuance-engine.md). Prints a table.
 *
 *   node --import tsx bench/commit-leaves.ts      (or: npm run bench -- commit-leaves)
 *   BENCH_SCALE=0.3 … fewer batches; BENCH_ROUNDS=3 (default) alternations.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Kysely, PostgresDialect, sql } from "kysely";
import pg from "pg";
import type { SignedLeaf } from "../src/server/store/issuance.repo.js";
import { issuanceRepo } from "../src/server/store/issuance.repo.js";
import { caRepo } from "../src/server/store/ca.repo.js";
import type { Database } from "../src/server/store/schema.js";
import { setUp } from "./issuance.js";
import { CLK_TCK } from "./lib/proc.js";
import { startBenchServer } from "./lib/server.js";
import { percentile, table } from "./lib/table.js";

const SCALE = Number(process.env.BENCH_SCALE ?? "1");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "3");
const SIZES = [1, 8, 32];
const CERTS_PER_RUN = Math.max(64, Math.round(800 * SCALE));

/** Runs the bench and prints the table. */
export async function main(): Promise<void> {
  const s = await startBenchServer("postgres", 1);
  const pool = new pg.Pool({ connectionString: s.databaseUrl!, max: 1 });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  try {
    // One real issuance gives a certificate row to copy (its CA, key, profile and project exist).
    const { profileId } = await setUp(s);
    const first = await s.api("POST", "/api/v1/cert-manager/certificates", { profileId, attributes: { commonName: "commit.bench.test", altNames: [{ type: "dns_name", value: "commit.bench.test" }] } });
    if (first.status !== 200) throw new Error(`issuance: ${first.status} ${JSON.stringify(first.body)}`);
    const row = (await sql<Record<string, any>>`select * from certificates where id = ${first.body.certificate.certificateId}`.execute(db)).rows[0];
    const backend = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(db)).rows[0].pid;
    const backendCpu = () => {
      const f = readFileSync(`/proc/${backend}/stat`, "utf8").split(") ")[1].split(" ");
      return (Number(f[11]) + Number(f[12])) / CLK_TCK;
    };
    const ca = caRepo(db);
    const variants = { function: issuanceRepo(db, "postgres"), statement: issuanceRepo(db, "pglite") };
    const written: string[] = [];

    /** One batch of `n` copies of the row: intents (one statement), then the commit under test. */
    const batch = async (repo: ReturnType<typeof issuanceRepo>, n: number) => {
      const leaves: SignedLeaf[] = [];
      for (let i = 0; i < n; i++) {
        const id = randomUUID();
        const serial = randomBytes(16).toString("hex");
        leaves.push({
          intentId: "",
          certificate: {
            id, projectId: row.project_id, profileId: row.profile_id, caId: row.ca_id, caCertificateId: row.ca_certificate_id, caKeyId: row.ca_key_id, serial, commonName: row.common_name,
            altNames: row.alt_names, notBefore: row.not_before, notAfter: row.not_after, keyAlgorithm: row.key_algorithm, keyUsages: row.key_usages, extendedKeyUsages: row.extended_key_usages,
            certificate: row.certificate, chainPem: row.chain_pem, keySource: row.key_source, keyRef: null, request: row.request, renewedFromId: null, metadata: [], delivery: "pending",
          },
          audit: { projectId: row.project_id, actorType: "user", actorId: randomUUID(), action: "certificate.issue", objectType: "certificate", objectId: id, outcome: "success", sourceIp: "127.0.0.1", detail: { serial }, at: new Date() },
        } as SignedLeaf);
      }
      const ids = await ca.recordIntents(leaves.map((l) => ({ issuerCaId: row.ca_id, serial: l.certificate.serial, kind: "leaf", subjectId: l.certificate.id })), { relaxed: true });
      leaves.forEach((l, i) => (l.intentId = ids[i]));
      await repo.commitLeaves(leaves, []);
      written.push(...leaves.map((l) => l.certificate.id));
    };

    const runs = new Map<string, { cpu: number[]; wall: number[] }>();
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of SIZES) {
        for (const [name, repo] of Object.entries(variants)) {
          const batches = Math.max(2, Math.round(CERTS_PER_RUN / n));
          for (let i = 0; i < 3; i++) await batch(repo, n); // warm the plans of this connection
          const c0 = backendCpu();
          const t0 = performance.now();
          for (let i = 0; i < batches; i++) await batch(repo, n);
          const wall = performance.now() - t0;
          const cpu = backendCpu() - c0;
          const r = runs.get(`${name}/${n}`) ?? { cpu: [], wall: [] };
          r.cpu.push((cpu * 1e6) / (batches * n));
          r.wall.push((wall * 1e3) / (batches * n));
          runs.set(`${name}/${n}`, r);
        }
      }
      process.stderr.write(`  round ${round + 1} of ${ROUNDS} done\n`);
    }

    // Correctness: every certificate written has its `signed` record and its audit entry.
    const check = (await sql<{ certs: string; signed: string; audited: string }>`
      select (select count(*) from certificates where id = any(${written}::uuid[]))::text as certs,
        (select count(*) from signing_log where status = 'signed' and subject_id = any(${written}::uuid[]))::text as signed,
        (select count(*) from audit_log where object_id = any(${written}::text[]))::text as audited`.execute(db)).rows[0];
    if (Number(check.certs) !== written.length || Number(check.signed) !== written.length || Number(check.audited) !== written.length) {
      throw new Error(`wrote ${written.length} certificates, found ${JSON.stringify(check)}`);
    }

    const med = (v: number[]) => percentile([...v].sort((a, b) => a - b), 0.5);
    const out = [];
    for (const n of SIZES) {
      const f = runs.get(`function/${n}`)!;
      const st = runs.get(`statement/${n}`)!;
      out.push([n, med(st.cpu).toFixed(0), med(f.cpu).toFixed(0), (med(st.cpu) / med(f.cpu)).toFixed(2) + "×", med(st.wall).toFixed(0), med(f.wall).toFixed(0)]);
    }
    console.log(`\nThe group commit's write on PostgreSQL: one CTE statement (PGlite's) against stamp_commit_leaves (medians of ${ROUNDS} alternating rounds, ${CERTS_PER_RUN} certificates per run; every certificate's signed record and audit entry checked)\n`);
    console.log(table(["batch", "statement: DB CPU µs/cert", "function: DB CPU µs/cert", "statement ÷ function", "statement: wall µs/cert", "function: wall µs/cert"], out));
  } finally {
    await db.destroy();
    await s.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
