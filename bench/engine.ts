/**
 * The headline issuance benchmark (issue 12): Stamp as its own process beside CFSSL (`cfssl serve`
 * from Debian's golang-cfssl) in one alternating run — Stamp, CFSSL, Stamp, CFSSL per row — under
 * autocannon with the same EC P-256 CSR. Prints certificates/s, the Stamp/CFSSL ratio against the
 * issue's targets, latency, and server, database and foreign CPU per certificate read from /proc.
 *
 *   node --import tsx bench/engine.ts          (or: npm run bench -- engine)
 *   BENCH_SCALE=0.3 … shorter runs (10 s × scale); BENCH_STORES=postgres or pglite; BENCH_ENGINE_ROWS=1,3
 */
import crypto from "node:crypto";
import os from "node:os";
import { pathToFileURL } from "node:url";
import { startCfssl, type CfsslServer } from "./lib/cfssl.js";
import { runCannon, type CannonResult, type CannonSpec } from "./lib/cannon.js";
import { createBenchHierarchy, type BenchHierarchy } from "./lib/hierarchy.js";
import { opensslCsr, opensslVerify, spkiOf } from "./lib/openssl.js";
import { cpuBetween, killTree, readCpu, rssSampler, type CpuReading } from "./lib/proc.js";
import type { StoreKind } from "./lib/server.js";
import { startStampProcess, type StampProcess } from "./lib/stamp-process.js";
import { table } from "./lib/table.js";

const SCALE = Number(process.env.BENCH_SCALE ?? "1");
if (!(SCALE > 0 && SCALE <= 20)) throw new Error("BENCH_SCALE must be a number in (0, 20]");
const STORES = (process.env.BENCH_STORES ?? "postgres,pglite").split(",").map((s) => s.trim()) as StoreKind[];
for (const s of STORES) if (s !== "pglite" && s !== "postgres") throw new Error(`BENCH_STORES: unknown store ${s}`);
const SECONDS = 10 * SCALE;
const WARMUP_SECONDS = Math.max(1, 3 * SCALE);
const ROUNDS = 2;
const NAME = "engine.bench.test";

/** A row of the Targets table. */
interface Row {
  n: number;
  work: string;
  store: StoreKind;
  connections: number;
  mode: "sign" | "keygen";
  ca: "ec" | "rsa";
  must: number;
  goal: number;
}
const ALL_ROWS: Row[] = [
  { n: 1, work: "sign a CSR, c=16, PostgreSQL", store: "postgres", connections: 16, mode: "sign", ca: "ec", must: 0.5, goal: 1.2 },
  { n: 2, work: "sign a CSR, c=16, PGlite", store: "pglite", connections: 16, mode: "sign", ca: "ec", must: 0.2, goal: 0.5 },
  { n: 3, work: "sign a CSR, c=1, PostgreSQL", store: "postgres", connections: 1, mode: "sign", ca: "ec", must: 0.5, goal: 1 },
  { n: 4, work: "server key generation, c=16, PostgreSQL", store: "postgres", connections: 16, mode: "keygen", ca: "ec", must: 0.5, goal: 1.2 },
  { n: 5, work: "RSA-2048 CA, c=16, PostgreSQL", store: "postgres", connections: 16, mode: "sign", ca: "rsa", must: 1, goal: 2 },
];
const only = process.env.BENCH_ENGINE_ROWS?.split(",").map(Number);
const ROWS = ALL_ROWS.filter((r) => STORES.includes(r.store) && (!only || only.includes(r.n)));

/** One measured run of one server. */
interface Run {
  row: Row;
  round: number;
  side: "Stamp" | "CFSSL";
  load: CannonResult;
  cpu: ReturnType<typeof cpuBetween>;
  rssMiB: number;
}

/** Everything started, so a failure or a signal stops it all. */
const cleanups: (() => Promise<void>)[] = [];
let loadPid: number | null = null;

/** Loads `spec` against a server process, reading /proc around the measured part. */
async function measure(pid: number, dbName: string | null, spec: CannonSpec): Promise<Omit<Run, "row" | "round" | "side">> {
  let a: CpuReading | undefined;
  let b: CpuReading | undefined;
  let sampler: { stop(): number } | undefined;
  let rssMiB = 0;
  const load = await runCannon(spec, {
    onSpawn: (p) => (loadPid = p),
    onStart: () => {
      a = readCpu(pid, dbName, loadPid);
      sampler = rssSampler(pid);
    },
    onEnd: () => {
      b = readCpu(pid, dbName, loadPid);
      rssMiB = sampler!.stop();
    },
  });
  loadPid = null;
  return { load, cpu: cpuBetween(a!, b!), rssMiB };
}

/** The certificate in a sample answer holds the expected key and name, and passes openssl verify. */
function checkSample(side: "Stamp" | "CFSSL", row: Row, sample: string, rootPem: string, csr: string): void {
  const body = JSON.parse(sample);
  const cert: string = side === "Stamp" ? body.certificate?.certificate : body.result?.certificate;
  const key: string | undefined = side === "Stamp" ? body.certificate?.privateKey : body.result?.private_key;
  if (!cert || (side === "CFSSL" && body.success !== true)) throw new Error(`${side}: no certificate in ${sample.slice(0, 300)}`);
  // Stamp as a CA must hold to the strict profile; CFSSL's defaults are only checked for a valid chain.
  opensslVerify(rootPem, side === "Stamp" ? body.certificate.certificateChain : "", cert, side === "Stamp");
  const expected = row.mode === "sign" ? spkiOf(csr) : key ? spkiOf(key) : undefined;
  if (!expected || !spkiOf(cert).equals(expected)) throw new Error(`${side} ${row.work}: the certificate does not hold the ${row.mode === "sign" ? "CSR's key" : "returned private key"}`);
  const san = new crypto.X509Certificate(cert).subjectAltName ?? "";
  if (!san.split(", ").includes(`DNS:${NAME}`)) throw new Error(`${side} ${row.work}: the certificate lacks DNS:${NAME} (has ${san})`);
}

/** The request each side gets for a row. */
function request(side: "Stamp" | "CFSSL", row: Row, base: string, token: string, profileId: string, csr: string): CannonSpec {
  const json = { "content-type": "application/json" };
  const common = { connections: row.connections, warmupSeconds: WARMUP_SECONDS, seconds: SECONDS };
  if (side === "CFSSL") {
    const body = row.mode === "sign" ? { certificate_request: csr } : { request: { CN: NAME, hosts: [NAME], key: { algo: "ecdsa", size: 256 } } };
    return { ...common, url: `${base}/api/v1/cfssl/${row.mode === "sign" ? "sign" : "newcert"}`, body: JSON.stringify(body), headers: json };
  }
  const body = row.mode === "sign" ? { profileId, csr } : { profileId, attributes: { commonName: NAME, altNames: [{ type: "dns_name", value: NAME }], keyAlgorithm: "EC_prime256v1" } };
  return { ...common, url: `${base}/api/v1/cert-manager/certificates`, body: JSON.stringify(body), headers: { ...json, authorization: `Bearer ${token}` } };
}

/** Runs every row of one store, alternating Stamp and CFSSL. */
async function benchStore(store: StoreKind, cfssl: Record<"ec" | "rsa", CfsslServer>, csr: string, runs: Run[]): Promise<void> {
  const rows = ROWS.filter((r) => r.store === store);
  if (!rows.length) return;
  process.stderr.write(`engine: starting Stamp on ${store}\n`);
  const stamp: StampProcess = await startStampProcess(store, "engine_");
  cleanups.push(stamp.stop);
  const hierarchies: Partial<Record<"ec" | "rsa", BenchHierarchy>> = {};
  for (const ca of new Set(rows.map((r) => r.ca))) hierarchies[ca] = await createBenchHierarchy(stamp.api, stamp.projectId, `engine-${ca}`, ca === "ec" ? "EC_prime256v1" : "RSA_2048");
  for (const row of rows) {
    const h = hierarchies[row.ca]!;
    for (let round = 1; round <= ROUNDS; round++) {
      for (const side of ["Stamp", "CFSSL"] as const) {
        const target = side === "Stamp" ? { url: stamp.url, pid: stamp.pid, db: stamp.dbName } : { url: cfssl[row.ca].url, pid: cfssl[row.ca].pid, db: null };
        const m = await measure(target.pid, target.db, request(side, row, target.url, stamp.token, h.profileId, csr));
        checkSample(side, row, m.load.sample, side === "Stamp" ? h.rootPem : cfssl[row.ca].caPem, csr);
        runs.push({ row, round, side, ...m });
        const rate = m.load.ok / m.load.seconds;
        process.stderr.write(`  ${row.work} round ${round} ${side}: ${m.load.ok} certs in ${m.load.seconds.toFixed(1)} s = ${rate.toFixed(0)}/s, foreign ${(m.cpu.foreign / m.cpu.wall).toFixed(2)} cores (sample verified by openssl)\n`);
      }
    }
  }
  cleanups.splice(cleanups.indexOf(stamp.stop), 1);
  await stamp.stop();
}

const rate = (r: Run) => r.load.ok / r.load.seconds;
const us = (seconds: number, certs: number) => ((seconds / certs) * 1e6).toFixed(0);

/** The side's better round of a row (by certificates/s). */
function best(runs: Run[], row: Row, side: Run["side"]): Run {
  return runs.filter((r) => r.row === row && r.side === side).sort((x, y) => rate(y) - rate(x))[0];
}

/** Prints the headline table, the per-run table and the notes. */
function report(runs: Run[], cfsslVersion: string): void {
  const head = ["work, EC P-256 CA unless said", "Stamp certs/s", "CFSSL certs/s", "Stamp/CFSSL", "must reach", "goal", "met", "Stamp p50 ms", "Stamp p99 ms", "Stamp CPU µs/cert", "CFSSL CPU µs/cert", "DB CPU µs/cert", "Stamp peak RSS MB"];
  const rows = ROWS.map((row) => {
    const s = best(runs, row, "Stamp");
    const c = best(runs, row, "CFSSL");
    const ratio = rate(s) / rate(c);
    const met = ratio >= row.goal ? "goal" : ratio >= row.must ? "must" : "no";
    return [row.work, rate(s).toFixed(0), rate(c).toFixed(0), `${ratio.toFixed(2)}×`, `${row.must}×`, `${row.goal}×`, met, s.load.p50.toFixed(0), s.load.p99.toFixed(0), us(s.cpu.server, s.load.ok), us(c.cpu.server, c.load.ok), row.store === "pglite" ? "in server" : us(s.cpu.database, s.load.ok), s.rssMiB.toFixed(0)];
  });
  console.log(`\nStamp beside ${cfsslVersion.replace(/^Version: /, "CFSSL ")} in one alternating run (Stamp, CFSSL, Stamp, CFSSL per row; ${SECONDS} s each after ${WARMUP_SECONDS} s warm-up; each side's better round of ${ROUNDS} by certs/s; every run's sample certificate passed openssl verify)\n`);
  console.log(table(head, rows));
  const perRun = runs.map((r) => [r.row.work, r.round, r.side, r.load.ok, r.load.seconds.toFixed(1), rate(r).toFixed(0), r.load.p50.toFixed(0), r.load.p99.toFixed(0), us(r.cpu.server, r.load.ok), r.side === "CFSSL" ? "–" : r.row.store === "pglite" ? "in server" : us(r.cpu.database, r.load.ok), (r.cpu.load / r.cpu.wall).toFixed(2), r.row.store === "pglite" || r.side === "CFSSL" ? "–" : (r.cpu.pgShared / r.cpu.wall).toFixed(2), (r.cpu.foreign / r.cpu.wall).toFixed(2), r.rssMiB.toFixed(0)]);
  console.log("\nEvery run (cores = CPU seconds ÷ wall seconds; PG shared = PostgreSQL's WAL writer, checkpointer and other auxiliaries, which serve every database; foreign = machine busy time minus all of those):\n");
  console.log(table(["work", "round", "server", "certs", "seconds", "certs/s", "p50 ms", "p99 ms", "server CPU µs/cert", "DB CPU µs/cert", "load gen cores", "PG shared cores", "foreign cores", "peak RSS MB"], perRun));
  const c16 = ROWS.filter((r) => r.connections === 16).map((r) => best(runs, r, "Stamp"));
  if (c16.length) {
    const p99 = Math.max(...c16.map((r) => r.load.p99));
    const rss = Math.max(...c16.map((r) => r.rssMiB));
    const grade = (v: number, must: number, goal: number) => (v < goal ? "goal met" : v < must ? "must met" : "not met");
    console.log(`\nnote: worst Stamp p99 at c=16: ${p99.toFixed(0)} ms (must < 50, goal < 20: ${grade(p99, 50, 20)}); peak Stamp RSS at c=16: ${rss.toFixed(0)} MB (must < 250, goal < 150: ${grade(rss, 250, 150)}).`);
  }
  console.log(`note: ${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")} at the end, node ${process.version}; ratios are what compare across machines.`);
}

/** Runs the benchmark and prints the tables. */
export async function main(): Promise<void> {
  if (!ROWS.length) throw new Error("no rows selected (BENCH_STORES / BENCH_ENGINE_ROWS)");
  process.stderr.write(`engine bench: scale ${SCALE} (${SECONDS} s runs, ${WARMUP_SECONDS} s warm-up), rows ${ROWS.map((r) => r.n).join(",")}\n`);
  const csr = opensslCsr(NAME);
  const runs: Run[] = [];
  try {
    const cfssl = {} as Record<"ec" | "rsa", CfsslServer>;
    for (const ca of ["ec", "rsa"] as const) {
      if (!ROWS.some((r) => r.ca === ca)) continue;
      cfssl[ca] = await startCfssl(ca, csr);
      cleanups.push(cfssl[ca].stop);
    }
    const version = (cfssl.ec ?? cfssl.rsa).version;
    for (const store of STORES) await benchStore(store, cfssl, csr, runs);
    report(runs, version);
  } finally {
    await stopAll();
  }
}

/** Stops everything still running (load generator, servers, databases), newest first. */
async function stopAll(): Promise<void> {
  if (loadPid !== null) killTree(loadPid, "SIGKILL");
  while (cleanups.length) await cleanups.pop()!().catch((e) => process.stderr.write(`cleanup: ${e}\n`));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      process.stderr.write(`engine: ${sig}, cleaning up\n`);
      const force = setTimeout(() => process.exit(130), 30_000);
      void stopAll().finally(() => {
        clearTimeout(force);
        process.exit(130);
      });
    });
  }
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
