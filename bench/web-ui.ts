/**
 * The web UI's certificate table with 100,000 certificates in the store (issue 9: the first
 * page shows in under 500 ms). On PostgreSQL (BENCH_STORES=pglite for the embedded store,
 * whose row copy here takes ~12 ms a row: use BENCH_SCALE=0.05 there): one certificate issued
 * through the API, copied 100,000 × BENCH_SCALE times in SQL (new id, serial, names, expiry);
 * then, in Debian's Chromium (the flags of test/helpers/browser.ts), signed
 * in once, the certificate page loaded BENCH_RUNS times (default 10): from navigation to the
 * table's first row, and the API call behind it (GET …/certificates, 50 a page) alone.
 *
 *   node --import tsx bench/web-ui.ts        (or: npm run bench -- web-ui)
 */
import { performance } from "node:perf_hooks";
import { execFileSync } from "node:child_process";
import { sql } from "kysely";
import { chromium } from "playwright-core";
import { ADMIN_EMAIL, ADMIN_PASSWORD, startBenchServer, type StoreKind } from "./lib/server.js";
import { percentile, table } from "./lib/table.js";

const SCALE = Number(process.env.BENCH_SCALE ?? "1");
const ROWS = Math.max(1000, Math.round(100_000 * SCALE));
const RUNS = Number(process.env.BENCH_RUNS ?? 10);
const STORES = (process.env.BENCH_STORES ?? "postgres").split(",").map((s) => s.trim()) as StoreKind[];
const log = (m: string) => process.stderr.write(`  ${m}\n`);
const CA = "/api/v1/cert-manager/ca/internal";

execFileSync(process.execPath, ["web/build-if-stale.mjs"], { stdio: "inherit" });
const rows: (string | number)[][] = [];
for (const kind of STORES) {
  const s = await startBenchServer(kind, 4);
  try {
    const p = s.projectId;
    const root = await s.api("POST", CA, { projectId: p, name: "bench-root", configuration: { type: "root", commonName: "Bench Root", keyAlgorithm: "EC_prime256v1" } });
    const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { projectId: p, name: "bench", preset: "tls-server" });
    const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { projectId: p, slug: "bench", templateId: tpl.body.certificateTemplate.id, caId: root.body.id });
    const one = await s.api("POST", "/api/v1/cert-manager/certificates", { profileId: prof.body.certificateProfile.id, attributes: { commonName: "seed.bench.example", altNames: [{ type: "dns_name", value: "seed.bench.example" }] } });
    if (one.status !== 200) throw new Error(JSON.stringify(one.body));
    const t0 = performance.now();
    // Copies of the issued row: every column as it is, but a new id, serial, name and expiry.
    for (let lo = 1; lo <= ROWS; lo += 20_000) {
      const hi = Math.min(ROWS, lo + 19_999);
      await sql`insert into certificates
        select (jsonb_populate_record(null::certificates, to_jsonb(c) || jsonb_build_object(
          'id', gen_random_uuid(), 'serial', md5(g::text), 'common_name', 'host-' || g || '.bench.example',
          'search_text', 'host-' || g || '.bench.example', 'not_after', now() + (g % 400) * interval '1 day',
          'created_at', now() - (${ROWS}::int - g) * interval '10 milliseconds'))).*
        from certificates c, generate_series(${lo}::int, ${hi}::int) g where c.id = ${one.body.certificate.certificateId}::uuid`.execute(s.server.db.db);
    }
    await sql`analyze certificates`.execute(s.server.db.db);
    log(`${kind}: ${ROWS} certificates copied in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

    const api: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const a = performance.now();
      const r = await s.api("GET", `/api/v1/cert-manager/certificates?projectId=${p}&limit=50`);
      api.push(performance.now() - a);
      if (r.status !== 200 || r.body.certificates.length !== 50) throw new Error(`list: ${r.status}`);
    }
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    const ui: number[] = [];
    try {
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
      await page.goto(`${s.url}/login`);
      await page.getByLabel("Email").fill(ADMIN_EMAIL);
      await page.getByLabel(/^Password/).fill(ADMIN_PASSWORD);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Dashboard" }).waitFor({ timeout: 60_000 });
      for (let i = 0; i < RUNS + 1; i++) {
        const a = performance.now();
        await page.goto(`${s.url}/p/${p}/certificates`);
        await page.getByRole("table", { name: "Certificates" }).locator("tbody tr").first().waitFor({ timeout: 60_000 });
        if (i > 0) ui.push(performance.now() - a); // the first load fills the browser's cache
      }
    } finally {
      await browser.close();
    }
    for (const [what, xs] of [["API: first page of 50", api], ["UI: navigation → first row", ui]] as const) {
      const sorted = [...xs].sort((x, y) => x - y);
      rows.push([kind, ROWS, what, percentile(sorted, 0.5).toFixed(1), percentile(sorted, 0.95).toFixed(1), sorted[sorted.length - 1].toFixed(1), percentile(sorted, 0.5) < 500 ? "yes" : "NO"]);
    }
  } finally {
    await s.close();
  }
}
console.log(table(["store", "certificates", "what", "median ms", "p95 ms", "max ms", "< 500 ms"], rows));
