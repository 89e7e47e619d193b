/**
 * ACME http-01 orders end to end, on PGlite and PostgreSQL: one lego order at a time (wall time
 * and server time per order), then orders/s with 1, 4 and 16 concurrent clients. Prints a table.
 *
 *   node --import tsx bench/acme.ts        (or: npm run bench -- acme)
 *   BENCH_SCALE=0.2 … for a quick run; BENCH_STORES=pglite or postgres for one store.
 */
import { spawn } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { verifyPemChain } from "../test/helpers/acme-client.js";
import { run, startAcmeEnv, type AcmeEnv } from "../test/helpers/acme-env.js";
import type { AcmeLoadResult, AcmeLoadSpec } from "./lib/acme-load.js";
import { freshStore, type StoreKind } from "./lib/server.js";
import { startCounting, statementKind, stopCounting } from "./lib/statement-counter.js";
import { percentile, table } from "./lib/table.js";

const SCALE = Number(process.env.BENCH_SCALE ?? "1");
if (!(SCALE > 0 && SCALE <= 20)) throw new Error("BENCH_SCALE must be a number in (0, 20]");
const STORES = (process.env.BENCH_STORES ?? "pglite,postgres").split(",").map((s) => s.trim()) as StoreKind[];
for (const s of STORES) if (s !== "pglite" && s !== "postgres") throw new Error(`BENCH_STORES: unknown store ${s}`);
const LEGO_ORDERS = Math.max(3, Math.round(10 * SCALE));
/** [concurrency, measured orders] for the bench client. */
const LOAD_RUNS: [number, number][] = [
  [1, Math.max(5, Math.round(30 * SCALE))],
  [4, Math.max(12, Math.round(80 * SCALE))],
  [16, Math.max(32, Math.round(160 * SCALE))],
];
const HERE = path.dirname(fileURLToPath(import.meta.url));

interface Row {
  store: StoreKind;
  client: string;
  concurrency: number;
  orders: number;
  seconds: number;
  latencies: number[];
  cpuMs: number;
  busyMs: number;
  requests: number;
  /** Server time by request kind (lego and concurrency-1 runs). */
  kinds?: Map<string, { ms: number; n: number }>;
  /** Every SQL statement the server sent during the measured orders (bench client runs). */
  statements?: string[];
}


/**
 * Server-side request time: a 'request' listener prepended to Stamp's node server (fastify's own
 * hooks cannot be added once the app is ready) notes arrival, and the response's 'finish' adds the
 * elapsed time. `busyMs` sums these; `requests` counts them.
 */
interface Meter {
  busyMs: number;
  requests: number;
  /** Per request kind ("POST new-order", "POST chall", …): summed ms and count, while `byKind` is set. */
  byKind?: Map<string, { ms: number; n: number }>;
}
function meterRequests(server: Server): Meter {
  const m: Meter = { busyMs: 0, requests: 0 };
  server.prependListener("request", (req: IncomingMessage, res: ServerResponse) => {
    const t0 = performance.now();
    res.once("finish", () => {
      const ms = performance.now() - t0;
      m.busyMs += ms;
      m.requests++;
      if (m.byKind) {
        // ACME paths are …/acme/profiles/<profile>/<kind>[/<id>[/finalize]]: keep the kind words, drop ids.
        const rest = (req.url ?? "").split("?")[0].replace(/^.*\/acme\/profiles\/[^/]+\//, "");
        const kind = `${req.method} ${rest.split("/").filter((seg, i) => i === 0 || !/[0-9]/.test(seg) || seg.length < 12).join("/")}`;
        const e = m.byKind.get(kind) ?? { ms: 0, n: 0 };
        e.ms += ms;
        e.n++;
        m.byKind.set(kind, e);
      }
    });
  });
  return m;
}

/** Snapshot of this process's CPU time (ms) and the request meter. */
function snap(m: Meter) {
  const c = process.cpuUsage();
  return { cpuMs: (c.user + c.system) / 1000, busyMs: m.busyMs, requests: m.requests };
}

/** Verifies a PEM chain (leaf first) with openssl against the root and checks the leaf names `name`. */
async function checkChain(rootPem: string, pem: string, name: string, what: string): Promise<void> {
  const v = await verifyPemChain(rootPem, pem);
  if (!v.ok || !v.out.includes("cert.pem: OK")) throw new Error(`${what}: openssl verify failed:\n${v.out}`);
  const leaf = new X509Certificate(pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/)![0]);
  if (!leaf.subjectAltName?.split(", ").includes(`DNS:${name}`)) throw new Error(`${what}: leaf lacks DNS:${name} (${leaf.subjectAltName})`);
}

/** lego http-01 orders one after another, each a fresh name on one account (created by an unmeasured first run). */
async function legoRuns(store: StoreKind, env: AcmeEnv, meter: Meter): Promise<Row> {
  const eab = await env.eab();
  const legoPath = path.join(env.dir, "lego");
  const lego = (name: string) =>
    run("lego", ["--server", env.directory, "--accept-tos", "--email", "bench@stamp.test", "--eab", "--kid", eab.keyId, "--hmac", eab.hmacKey, "--path", legoPath, "--domains", name, "--http", "--http.port", `127.0.0.1:${env.ports.http01}`, "run"], {
      env: { LEGO_CA_CERTIFICATES: env.s.tlsCaFile },
      timeoutMs: 90_000,
    });
  const warm = await lego(`lego-warm-${store}.stamp.test`);
  if (warm.code !== 0) throw new Error(`lego (warm-up) failed:\n${warm.out}`);
  const latencies: number[] = [];
  meter.byKind = new Map();
  const before = snap(meter);
  const start = performance.now();
  for (let i = 0; i < LEGO_ORDERS; i++) {
    const t0 = performance.now();
    const r = await lego(`lego-${store}-${i}.stamp.test`);
    latencies.push(performance.now() - t0);
    if (r.code !== 0) throw new Error(`lego order ${i} failed:\n${r.out}`);
  }
  const seconds = (performance.now() - start) / 1000;
  const after = snap(meter);
  const kinds = meter.byKind;
  meter.byKind = undefined;
  const k = Math.floor(LEGO_ORDERS / 2);
  const name = `lego-${store}-${k}.stamp.test`;
  await checkChain(env.rootPem, await readFile(path.join(legoPath, "certificates", `${name}.crt`), "utf8"), name, "lego");
  return { store, client: "lego", concurrency: 1, orders: LEGO_ORDERS, seconds, latencies, cpuMs: after.cpuMs - before.cpuMs, busyMs: after.busyMs - before.busyMs, requests: after.requests - before.requests, kinds };
}

/** One run of the bench client (bench/lib/acme-load.ts, a child process) with `k` accounts. */
async function loadRun(store: StoreKind, env: AcmeEnv, meter: Meter, k: number, orders: number): Promise<Row> {
  const eabs = [];
  for (let i = 0; i < k; i++) eabs.push(await env.eab());
  const spec: AcmeLoadSpec = { directory: env.directory, tlsCaFile: env.s.tlsCaFile, eabs, orders, warmup: Math.max(4, k), http01Port: env.ports.http01, prefix: `load-${store}-c${k}` };
  const specFile = path.join(env.dir, `load-c${k}.json`);
  await writeFile(specFile, JSON.stringify(spec));
  let before: ReturnType<typeof snap> | undefined;
  let after: ReturnType<typeof snap> | undefined;
  let result: AcmeLoadResult | undefined;
  let kinds: Row["kinds"];
  let statements: string[] = [];
  let stderr = "";
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(HERE, "lib", "acme-load.ts"), specFile], { stdio: ["ignore", "pipe", "pipe"] });
    const t = setTimeout(() => child.kill("SIGKILL"), 600_000);
    let buf = "";
    child.stdout.on("data", (c: Buffer) => {
      buf += c.toString();
      let nl: number;
      while ((nl = buf.indexOf("\n")) >= 0) {
        const line = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        if (line.phase === "start") {
          if (k === 1) meter.byKind = new Map();
          startCounting();
          before = snap(meter);
        } else if (line.phase === "end") {
          after = snap(meter);
          statements = stopCounting();
          kinds = meter.byKind;
          meter.byKind = undefined;
        }
        else result = line;
      }
    });
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    child.on("close", (c) => {
      clearTimeout(t);
      resolve(c);
    });
  });
  if (code !== 0 || !result || !before || !after) throw new Error(`acme-load c=${k} failed (exit ${code}):\n${stderr.slice(-3000)}`);
  if (result.problems.length) throw new Error(`acme-load c=${k}: ACME problems ${result.problems.join(", ")}`);
  await checkChain(env.rootPem, result.sample.pem, result.sample.name, `bench client c=${k}`);
  return { store, client: "bench", concurrency: k, orders: result.orders, seconds: result.seconds, latencies: result.latencies, cpuMs: after.cpuMs - before.cpuMs, busyMs: after.busyMs - before.busyMs, requests: after.requests - before.requests, kinds, statements };
}

async function benchStore(store: StoreKind): Promise<Row[]> {
  const db = await freshStore(store, "acme_");
  let env: AcmeEnv | undefined;
  const rows: Row[] = [];
  try {
    env = await startAcmeEnv({
      db,
      env: { STAMP_ACME_REQUESTS_PER_MINUTE: "1000000", STAMP_ACME_ORDERS_PER_HOUR: "1000000", STAMP_LOG_LEVEL: "silent" },
    });
    const meter = meterRequests(env.s.server.app.server as Server);
    const lego = await legoRuns(store, env, meter);
    rows.push(lego);
    process.stderr.write(`  ${store} lego: ${lego.orders} orders in ${lego.seconds.toFixed(2)} s (sample verified by openssl)\n`);
    for (const [k, n] of LOAD_RUNS) {
      const r = await loadRun(store, env, meter, k, n);
      rows.push(r);
      process.stderr.write(`  ${store} bench c=${k}: ${r.orders} orders in ${r.seconds.toFixed(2)} s (sample verified by openssl)\n`);
    }
  } finally {
    await env?.close();
    await db.drop();
  }
  return rows;
}

/** Runs the benchmark and prints the table. */
export async function main(): Promise<void> {
  process.stderr.write(`acme bench: scale ${SCALE}, stores ${STORES.join(", ")}, lego ${LEGO_ORDERS} orders, bench client ${LOAD_RUNS.map(([c, n]) => `${n}@c=${c}`).join(", ")}\n`);
  const rows: Row[] = [];
  for (const store of STORES) rows.push(...(await benchStore(store)));
  const out = rows.map((r) => {
    const lat = [...r.latencies].sort((a, b) => a - b);
    return [
      r.store, r.client, r.concurrency, r.orders, r.seconds.toFixed(2), (r.orders / r.seconds).toFixed(1), percentile(lat, 0.5).toFixed(1), percentile(lat, 0.99).toFixed(1),
      (r.cpuMs / r.orders).toFixed(1), (r.busyMs / r.orders).toFixed(1), (r.requests / r.orders).toFixed(1), r.statements ? (r.statements.length / r.orders).toFixed(1) : "–",
    ];
  });
  console.log(`\nACME http-01 orders end to end over HTTPS (EC P-256 leaf under EC P-256 intermediate; every run's sample passed openssl verify -x509_strict -purpose sslserver)\n`);
  console.log(table(["store", "client", "concurrency", "orders", "seconds", "orders/s", "p50 ms", "p99 ms", "server CPU ms/order", "server req ms/order", "requests/order", "SQL statements/order"], out));
  for (const r of rows.filter((x) => x.client === "lego")) {
    const cpu = r.cpuMs / r.orders;
    console.log(`note: ${r.store}: lego order server CPU ${cpu.toFixed(1)} ms (goal < 100 ms: ${cpu < 100 ? "met" : "NOT met"}), summed server request time ${(r.busyMs / r.orders).toFixed(1)} ms, lego wall p50 ${percentile([...r.latencies].sort((a, b) => a - b), 0.5).toFixed(0)} ms.`);
  }
  for (const r of rows.filter((x) => x.client === "bench" && x.concurrency === 1 && x.statements)) {
    const by = new Map<string, number>();
    for (const q of r.statements!) by.set(statementKind(q), (by.get(statementKind(q)) ?? 0) + 1);
    const parts = [...by].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${(n / r.orders).toFixed(1)}`);
    console.log(`note: ${r.store} bench c=1, SQL statements per order by kind: ${parts.join("; ")}`);
  }
  for (const r of rows.filter((x) => x.kinds)) {
    const parts = [...r.kinds!].map(([kind, e]) => `${kind} ${(e.ms / e.n).toFixed(1)} ms ×${(e.n / r.orders).toFixed(1)}`);
    console.log(`note: ${r.store} ${r.client} c=${r.concurrency}, mean server time per request (×requests per order): ${parts.join("; ")}`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
