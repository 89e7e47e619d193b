/**
 * The CPU-heavy requests: RSA server-key issuance (RSA key generation) and PKCS#12 export
 * (PBKDF2 + the PKCS#12 MAC KDF), at concurrency 8, with the server's event-loop delay while
 * they run. Prints a table.
 *
 *   node --import tsx bench/heavy-crypto.ts      (or: npm run bench -- heavy-crypto)
 *   BENCH_SCALE=0.5 … for a quick run; BENCH_STORES=pglite or postgres (default postgres).
 */
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { monitorEventLoopDelay, performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { startBenchServer, type StoreKind } from "./lib/server.js";
import { percentile, table } from "./lib/table.js";

const CA = "/api/v1/cert-manager/ca/internal";
const CERTS = "/api/v1/cert-manager/certificates";
const SCALE = Number(process.env.BENCH_SCALE ?? "1");
if (!(SCALE > 0 && SCALE <= 20)) throw new Error("BENCH_SCALE must be a number in (0, 20]");
const STORES = (process.env.BENCH_STORES ?? "postgres").split(",").map((s) => s.trim()) as StoreKind[];
const C = 8;
const KEYGEN_N = Math.max(16, Math.round(160 * SCALE));
const P12_N = Math.max(16, Math.round(160 * SCALE));

interface Row {
  store: StoreKind;
  work: string;
  requests: number;
  seconds: number;
  latencies: number[];
  loopP99: number;
  loopMax: number;
}

/** Sends `n` requests with `c` loops; returns wall time, latencies, replies and the event-loop delay meanwhile. */
async function drive(n: number, c: number, send: (i: number) => Promise<{ status: number; body: any }>) {
  const latencies: number[] = [];
  const replies: any[] = [];
  const h = monitorEventLoopDelay({ resolution: 5 });
  let next = 0;
  const loop = async () => {
    while (next < n) {
      const i = next++;
      const t0 = performance.now();
      const r = await send(i);
      latencies.push(performance.now() - t0);
      if (r.status !== 200) throw new Error(`request ${i}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      replies[i] = r.body;
    }
  };
  h.enable();
  const start = performance.now();
  await Promise.all(Array.from({ length: c }, loop));
  const seconds = (performance.now() - start) / 1000;
  h.disable();
  return { seconds, latencies, replies, loopP99: h.percentile(99) / 1e6, loopMax: h.max / 1e6 };
}

/** Runs `openssl` in a temp dir holding `files`; throws unless it exits 0. */
function openssl(args: string[], files: Record<string, string | Uint8Array>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-bench-heavy-"));
  try {
    for (const [f, v] of Object.entries(files)) writeFileSync(path.join(dir, f), v);
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchStore(store: StoreKind): Promise<Row[]> {
  const s = await startBenchServer(store, C);
  const rows: Row[] = [];
  try {
    const must = async (m: string, p: string, b?: unknown) => {
      const r = await s.api(m, p, b);
      if (r.status !== 200) throw new Error(`${m} ${p}: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body;
    };
    const projectId = s.projectId;
    const root = await must("POST", CA, { projectId, name: "heavy-root", configuration: { type: "root", commonName: "Heavy Root", keyAlgorithm: "EC_prime256v1" } });
    const tpl = await must("POST", "/api/v1/cert-manager/certificate-templates", { projectId, name: "heavy", preset: "tls-server" });
    const prof = await must("POST", "/api/v1/cert-manager/certificate-profiles", { projectId, slug: "heavy", templateId: tpl.certificateTemplate.id, caId: root.id, defaults: { ttl: "30d" } });
    const rootPem = (await must("GET", `${CA}/${root.id}/certificate`)).certificate as string;
    const body = (cn: string) => ({ profileId: prof.certificateProfile.id, attributes: { commonName: cn, altNames: [{ type: "dns_name", value: cn }], keyAlgorithm: "RSA_2048" } });
    await drive(8, 4, (i) => s.api("POST", CERTS, body(`warm-${i}.heavy.test`)));

    const k = await drive(KEYGEN_N, C, (i) => s.api("POST", CERTS, body(`k${i}.heavy.test`)));
    const sample = k.replies[0].certificate;
    openssl(["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "root.pem", "cert.pem"], { "root.pem": rootPem, "cert.pem": sample.certificate });
    const x = new crypto.X509Certificate(sample.certificate);
    if (x.publicKey.asymmetricKeyDetails?.modulusLength !== 2048) throw new Error("the sample is not an RSA-2048 certificate");
    rows.push({ store, work: "RSA-2048 server-key issuance", requests: KEYGEN_N, ...k });
    process.stderr.write(`  ${store} RSA-2048 keygen: ${KEYGEN_N} in ${k.seconds.toFixed(2)} s (sample verified by openssl)\n`);

    const ids = k.replies.map((r) => r.certificate.certificateId as string);
    // The PKCS#12 reply is binary: fetched raw (undici keeps connections alive).
    const p12 = async (i: number) => {
      const r = await fetch(`${s.url}${CERTS}/${ids[i % ids.length]}/pkcs12`, { method: "POST", headers: { authorization: `Bearer ${s.token}`, "content-type": "application/json" }, body: JSON.stringify({ password: "bench p12 password" }), signal: AbortSignal.timeout(60_000) });
      return { status: r.status, body: Buffer.from(await r.arrayBuffer()) };
    };
    const p = await drive(P12_N, C, p12);
    const der = p.replies[0] as Buffer;
    openssl(["pkcs12", "-in", "a.p12", "-passin", "pass:bench p12 password", "-nodes", "-out", "out.pem"], { "a.p12": der });
    rows.push({ store, work: "PKCS#12 export", requests: P12_N, ...p });
    process.stderr.write(`  ${store} PKCS#12: ${P12_N} in ${p.seconds.toFixed(2)} s (sample opened by openssl pkcs12)\n`);
  } finally {
    await s.close();
  }
  return rows;
}

/** Runs the benchmark and prints the table. */
export async function main(): Promise<void> {
  process.stderr.write(`heavy-crypto bench: ${KEYGEN_N} RSA-2048 issuances and ${P12_N} PKCS#12 exports at c=${C}, stores ${STORES.join(", ")}, ${os.availableParallelism()} cores\n`);
  const rows: Row[] = [];
  for (const store of STORES) rows.push(...(await benchStore(store)));
  console.log(`\nCPU-heavy requests at concurrency ${C} (server in-process; event-loop delay measured in the server's thread)\n`);
  console.log(
    table(
      ["store", "work", "requests", "per s", "p50 ms", "p99 ms", "event-loop delay p99 ms", "max ms"],
      rows.map((r) => {
        const lat = [...r.latencies].sort((a, b) => a - b);
        return [r.store, r.work, r.requests, (r.requests / r.seconds).toFixed(1), percentile(lat, 0.5).toFixed(0), percentile(lat, 0.99).toFixed(0), r.loopP99.toFixed(1), r.loopMax.toFixed(1)];
      }),
    ),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
