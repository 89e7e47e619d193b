/**
 * CSR issuance on PostgreSQL with `--workers 1` against `--workers 2` (node:cluster), the real
 * server process (`node --import tsx src/server/main.ts`) driven by autocannon at c=16 with one
 * EC P-256 CSR, runs alternating. Prints certs/s, latency and server CPU per certificate.
 *
 *   node --import tsx bench/workers.ts      (or: npm run bench -- workers)
 *   BENCH_SECONDS=5 … shorter runs; BENCH_ROUNDS=1 … fewer alternations (default 2).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import crypto from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import autocannon from "autocannon";
import { assembleCsr, buildCsrInfo } from "../src/pki/csr.js";
import { encodeName } from "../src/pki/name.js";
import { toPem } from "../src/pki/pem.js";
import { freshStore } from "./lib/server.js";
import { cpuBetween, readCpu } from "./lib/proc.js";
import { call } from "../test/helpers/spawned-server.js";
import { table } from "./lib/table.js";

const ROOT = path.resolve(import.meta.dirname, "..");
const SECONDS = Number(process.env.BENCH_SECONDS ?? "10");
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? "2");
const C = 16;
const EMAIL = "workers@example.com";
const PASSWORD = "workers bench password";
const CERTS = "/api/v1/cert-manager/certificates";

/** Starts the server with `workers` processes on a fresh database, sets up a profile, and returns how to drive it. */
async function start(workers: number) {
  const store = await freshStore("postgres", `w${workers}`);
  const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts", "--listen", "127.0.0.1:0", "--tls", "off", "--log-level", "warn", "--data-dir", store.dataDir, "--database-url", store.databaseUrl!, "--workers", String(workers)], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, STAMP_BOOTSTRAP_EMAIL: EMAIL, STAMP_BOOTSTRAP_PASSWORD: PASSWORD },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (c: Buffer) => (log += c));
  child.stderr!.on("data", (c: Buffer) => (log += c));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no listening line:\n${log}`)), 120_000);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (m && (workers === 1 || log.includes("worker processes serve"))) {
        clearTimeout(t);
        resolve(m[1]);
      }
    };
    child.stdout!.on("data", check);
    child.once("exit", (code) => reject(new Error(`server exited with ${code}:\n${log}`)));
  });
  const token = (await call(url, "POST", "/api/v1/auth/login", { body: { email: EMAIL, password: PASSWORD } })).body.accessToken as string;
  const projectId = (await call(url, "GET", "/api/v1/projects", { token })).body.projects[0].id;
  const must = async (p: string, body: unknown) => {
    const r = await call(url, "POST", p, { body, token });
    if (r.status !== 200) throw new Error(`${p}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const root = await must("/api/v1/cert-manager/ca/internal", { projectId, name: "w-root", configuration: { type: "root", commonName: "Workers Root", keyAlgorithm: "EC_prime256v1" } });
  const tpl = await must("/api/v1/cert-manager/certificate-templates", { projectId, name: "w", preset: "tls-server" });
  const prof = await must("/api/v1/cert-manager/certificate-profiles", { projectId, slug: "w", templateId: tpl.certificateTemplate.id, caId: root.id, defaults: { ttl: "30d" } });
  const rootPem = (await call(url, "GET", `/api/v1/cert-manager/ca/internal/${root.id}/certificate`, { token })).body.certificate as string;
  return {
    url,
    token,
    profileId: prof.certificateProfile.id as string,
    rootPem,
    pid: child.pid!,
    async stop() {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 40_000);
      await exited;
      clearTimeout(t);
      await store.drop();
    },
  };
}

/** One EC P-256 CSR for every request (as the comparison with CFSSL did). */
function csrPem(): string {
  const { publicKey, privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const info = buildCsrInfo(encodeName({ commonName: "w.bench.test" }), publicKey.export({ type: "spki", format: "der" }));
  return toPem(assembleCsr(info, "EC_prime256v1", crypto.sign("sha256", info, privateKey)), "CERTIFICATE REQUEST");
}

/** Runs autocannon for SECONDS at c=16 and reports certs/s, latency and CPU per certificate. */
async function run(workers: number, csr: string) {
  const s = await start(workers);
  try {
    const body = JSON.stringify({ profileId: s.profileId, csr, attributes: { commonName: "w.bench.test", altNames: [{ type: "dns_name", value: "w.bench.test" }] } });
    const headers = { authorization: `Bearer ${s.token}`, "content-type": "application/json" };
    // Warm-up: JIT, pools, caches; not measured.
    await autocannon({ url: `${s.url}${CERTS}`, method: "POST", headers, body, connections: C, duration: 2 });
    const cpu0 = readCpu(s.pid, null, null);
    const r = await autocannon({ url: `${s.url}${CERTS}`, method: "POST", headers, body, connections: C, duration: SECONDS });
    const cpu = cpuBetween(cpu0, readCpu(s.pid, null, null)).server;
    const ok = r["2xx"];
    // One certificate checked by openssl, after the run.
    const sample = await call(s.url, "POST", CERTS, { body: JSON.parse(body), token: s.token });
    const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-bench-workers-"));
    try {
      writeFileSync(path.join(dir, "root.pem"), s.rootPem);
      writeFileSync(path.join(dir, "cert.pem"), sample.body.certificate.certificate);
      const check = spawnSync("openssl", ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "root.pem", "cert.pem"], { cwd: dir, encoding: "utf8", timeout: 30_000 });
      if (!check.stdout.includes("cert.pem: OK")) throw new Error(`openssl verify failed: ${check.stdout}${check.stderr}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return { workers, certsPerSecond: ok / SECONDS, p50: r.latency.p50, p99: r.latency.p99, errors: r.non2xx + r.errors, cpuUsPerCert: ok ? (cpu * 1e6) / ok : NaN };
  } finally {
    await s.stop();
  }
}

/** Runs the alternation and prints the table. */
export async function main(): Promise<void> {
  const csr = csrPem();
  const rows: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const w of [1, 2]) {
      const r = await run(w, csr);
      rows.push(r);
      process.stderr.write(`  --workers ${w}: ${r.certsPerSecond.toFixed(0)} certs/s (sample verified by openssl)\n`);
    }
  }
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`\nCSR issuance on PostgreSQL, autocannon c=${C}, ${SECONDS} s runs, alternating; load average at the end ${load}\n`);
  console.log(table(["workers", "certs/s", "p50 ms", "p99 ms", "non-2xx + errors", "server CPU µs/cert"], rows.map((r) => [r.workers, r.certsPerSecond.toFixed(0), r.p50.toFixed(0), r.p99.toFixed(0), r.errors, r.cpuUsPerCert.toFixed(0)])));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
