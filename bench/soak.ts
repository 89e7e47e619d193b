/**
 * Soak: a real server process on PostgreSQL under steady issuance (c=4) for SOAK_MINUTES (10 by
 * default), printing its RSS every 30 s. The goal (issue 13): RSS grows by less than 10% after
 * the first minute's warm-up. Opt-in: `npm run bench -- soak` (not part of a plain `npm run bench`).
 *
 *   SOAK_MINUTES=2 node --import tsx bench/soak.ts      (a quick look)
 */
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { freshStore } from "./lib/server.js";
import { treeRssMiB } from "./lib/proc.js";
import { call } from "../test/helpers/spawned-server.js";
import { table } from "./lib/table.js";

const MINUTES = Number(process.env.SOAK_MINUTES ?? "10");
if (!(MINUTES > 0 && MINUTES <= 240)) throw new Error("SOAK_MINUTES must be a number in (0, 240]");
const CONCURRENCY = 4;
const SAMPLE_MS = 30_000;
const WARMUP_MS = 60_000;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const EMAIL = "soak@example.com";
const PASSWORD = "soak soak soak soak";


async function main() {
  const store = await freshStore("postgres", "soak");
  const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts", "--listen", "127.0.0.1:0", "--tls", "off", "--log-level", "warn", "--data-dir", store.dataDir, "--database-url", store.databaseUrl!], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, STAMP_WORKERS: "1", STAMP_BOOTSTRAP_EMAIL: EMAIL, STAMP_BOOTSTRAP_PASSWORD: PASSWORD },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const base = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
        if (m) resolve(m[1]);
      });
      child.on("exit", (code) => reject(new Error(`server exited with ${code}`)));
    });
    const token = (await call(base, "POST", "/api/v1/auth/login", { body: { email: EMAIL, password: PASSWORD } })).body.accessToken as string;
    const projectId = (await call(base, "GET", "/api/v1/projects", { token })).body.projects[0].id as string;
    const ca = await call(base, "POST", "/api/v1/cert-manager/ca/internal", { body: { projectId, name: "soak-root", configuration: { type: "root", commonName: "Soak Root", keyAlgorithm: "EC_prime256v1" } }, token, timeoutMs: 60_000 });
    const tpl = await call(base, "POST", "/api/v1/cert-manager/certificate-templates", { body: { projectId, name: "soak-tpl", preset: "tls-server" }, token, timeoutMs: 60_000 });
    const prof = await call(base, "POST", "/api/v1/cert-manager/certificate-profiles", { body: { projectId, slug: "soak", templateId: tpl.body.certificateTemplate.id, caId: ca.body.id }, token, timeoutMs: 60_000 });
    const profileId = prof.body.certificateProfile.id as string;

    let issued = 0;
    let failed = 0;
    let n = 0;
    const end = Date.now() + MINUTES * 60_000;
    const worker = async () => {
      while (Date.now() < end) {
        const r = await call(base, "POST", "/api/v1/cert-manager/certificates", { body: { profileId, attributes: { commonName: `s${n++}.soak.test`, ttl: "1d" } }, token, timeoutMs: 60_000 }).catch(() => ({ status: 0 }));
        if (r.status === 200) issued++;
        else failed++;
      }
    };
    const start = Date.now();
    const rows: (string | number)[][] = [];
    const samples: { at: number; rss: number }[] = [];
    let lastIssued = 0;
    let lastAt = 0;
    const sample = () => {
      const at = Date.now() - start;
      const rss = treeRssMiB(child.pid!);
      samples.push({ at, rss });
      rows.push([(at / 1000).toFixed(0), rss.toFixed(1), issued, at > lastAt ? ((issued - lastIssued) / ((at - lastAt) / 1000)).toFixed(1) : "0.0", failed]);
      lastIssued = issued;
      lastAt = at;
      console.log(`t=${(at / 1000).toFixed(0)}s rss=${rss.toFixed(1)} MiB issued=${issued} failed=${failed}`);
    };
    sample();
    const timer = setInterval(sample, SAMPLE_MS);
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    clearInterval(timer);
    sample();

    console.log(`\nSoak on PostgreSQL, c=${CONCURRENCY}, ${MINUTES} min (server RSS every ${SAMPLE_MS / 1000} s)\n`);
    console.log(table(["seconds", "RSS MiB", "issued", "certs/s since last row", "failed"], rows));
    const warm = samples.find((s) => s.at >= WARMUP_MS) ?? samples[0];
    const last = samples[samples.length - 1];
    const growth = ((last.rss - warm.rss) / warm.rss) * 100;
    console.log(`\nRSS after warm-up (${(warm.at / 1000).toFixed(0)} s): ${warm.rss.toFixed(1)} MiB; at the end: ${last.rss.toFixed(1)} MiB; growth ${growth.toFixed(1)}% (goal: under 10%)`);
  } finally {
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));
    await store.drop();
  }
}

await main();
