/**
 * EST simpleenroll (RFC 7030 §4.2.1, HTTP Basic, base64 PKCS#10 in, certs-only CMS out) beside
 * API issuance from the same CSR, on PostgreSQL, at 1 and 16 connections, in one run: each load
 * is autocannon in a child process (bench/lib/cannon.ts), alternating API and EST. One sample
 * answer of each kind is checked with `openssl verify` against the root. Prints a table.
 *
 *   node --import tsx bench/est.ts        (or: npm run bench -- est)
 *   BENCH_SCALE=0.2 … for a quick run (seconds per load scale with it).
 */
import crypto from "node:crypto";
import { pathToFileURL } from "node:url";
import { certsOfPkcs7 } from "../src/pki/est.js";
import { toPem } from "../src/pki/pem.js";
import { runCannon, type CannonResult } from "./lib/cannon.js";
import { createBenchHierarchy } from "./lib/hierarchy.js";
import { opensslCsr, opensslVerify } from "./lib/openssl.js";
import { startBenchServer } from "./lib/server.js";
import { table } from "./lib/table.js";

const SCALE = Number(process.env.BENCH_SCALE ?? "1");
if (!(SCALE > 0 && SCALE <= 20)) throw new Error("BENCH_SCALE must be a number in (0, 20]");
const SECONDS = Math.max(2, Math.round(8 * SCALE));
const CONCURRENCY = [1, 16];

interface Row {
  path: string;
  c: number;
  r: CannonResult;
}

async function main(): Promise<void> {
  // The issue asks for PostgreSQL figures; BENCH_STORES=pglite skips this bench.
  if (!(process.env.BENCH_STORES ?? "postgres").split(",").map((x) => x.trim()).includes("postgres")) {
    console.log("est: PostgreSQL only, and BENCH_STORES leaves it out; skipped.");
    return;
  }
  const s = await startBenchServer("postgres", 64);
  try {
    const h = await createBenchHierarchy(s.api, s.projectId, "est-bench", "EC_prime256v1");
    const on = await s.api("PATCH", `/api/v1/cert-manager/certificate-profiles/${h.profileId}`, { enrollmentMethods: ["api", "est"] });
    if (on.status !== 200) throw new Error(`enable EST: ${JSON.stringify(on.body)}`);
    const pass = await s.api("POST", `/api/v1/cert-manager/certificate-profiles/${h.profileId}/est/passphrase`);
    if (pass.status !== 200) throw new Error(`EST passphrase: ${JSON.stringify(pass.body)}`);
    // One CSR for every request of both paths: the same parse, policy and signing work per certificate.
    const cn = "est.bench.test";
    const csrPem = opensslCsr(cn);
    const csrB64 = csrPem.replace(/-----[^-]+-----|\s/g, "");
    const api = { url: `${s.url}/api/v1/cert-manager/certificates`, body: JSON.stringify({ profileId: h.profileId, csr: csrPem, attributes: {} }), headers: { "content-type": "application/json", authorization: `Bearer ${s.token}` } };
    const est = { url: `${s.url}/.well-known/est/${h.profileId}/simpleenroll`, body: csrB64, headers: { "content-type": "application/pkcs10", authorization: `Basic ${Buffer.from(`est:${pass.body.passphrase}`).toString("base64")}` } };
    const rows: Row[] = [];
    for (const c of CONCURRENCY) {
      for (const [name, spec] of [["API issuance (JSON + Bearer)", api], ["EST simpleenroll (Basic)", est]] as const) {
        console.error(`${name}, c=${c}, ${SECONDS} s …`);
        const r = await runCannon({ ...spec, connections: c, warmupSeconds: 1, seconds: SECONDS }, { onStart() {}, onEnd() {} });
        rows.push({ path: name, c, r });
        // The sample answer is a real certificate under the root.
        const certPem = name.startsWith("EST") ? toPem(certsOfPkcs7(Buffer.from(r.sample, "base64"))[0], "CERTIFICATE") : (JSON.parse(r.sample).certificate.certificate as string);
        const chain = name.startsWith("EST") ? "" : (JSON.parse(r.sample).certificate.certificateChain as string);
        opensslVerify(h.rootPem, chain || (await intermediatePem(s, h.profileId)), certPem);
        if (!new crypto.X509Certificate(certPem).subjectAltName?.includes(`DNS:${cn}`)) throw new Error(`${name}: sample lacks DNS:${cn}`);
      }
    }
    console.log(`EST simpleenroll beside API issuance, PostgreSQL, ${SECONDS} s per load, EC P-256 CSR, in-process server (plain HTTP), autocannon in a child process; ${new Date().toISOString().slice(0, 10)}\n`);
    console.log(table(["path", "connections", "req/s", "p50 ms", "p99 ms"], rows.map((x) => [x.path, x.c, (x.r.ok / x.r.seconds).toFixed(0), x.r.p50.toFixed(1), x.r.p99.toFixed(1)])));
  } finally {
    await s.close();
  }
}

/** The issuing CA's chain (intermediate and root) for checking an EST sample, from the EST cacerts answer. */
async function intermediatePem(s: { url: string }, profileId: string): Promise<string> {
  const r = await fetch(`${s.url}/.well-known/est/${profileId}/cacerts`);
  if (r.status !== 200) throw new Error(`cacerts: ${r.status}`);
  return certsOfPkcs7(Buffer.from(await r.text(), "base64")).map((d) => toPem(d, "CERTIFICATE")).join("");
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
