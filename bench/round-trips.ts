/**
 * SQL round trips per issuance, with this server's caches on and off (docs/adr/0007-caches.md).
 *
 *   node --import tsx bench/round-trips.ts     (or: npm run bench -- round-trips)
 *   BENCH_STORES=pglite … for one store.
 *
 * Counts every statement the driver sends (pg `Client.query`, PGlite `query`/`exec`), BEGIN and
 * COMMIT included, except the cache listener's own heartbeats, over sequential CSR issuances.
 */
import { pathToFileURL } from "node:url";
import { makeCsrs, setUp } from "./issuance.js";
import { opensslVerify } from "./lib/openssl.js";
import { startCounting, stopCounting } from "./lib/statement-counter.js";
import { startBenchServer, type StoreKind } from "./lib/server.js";
import { table } from "./lib/table.js";

const STORES = (process.env.BENCH_STORES ?? "pglite,postgres").split(",").map((s) => s.trim()) as StoreKind[];
for (const s of STORES) if (s !== "pglite" && s !== "postgres") throw new Error(`BENCH_STORES: unknown store ${s}`);
const N = 50;

const CACHED = /from "(users|identities|identity_client_secrets|revoked_tokens|memberships|certificate_profiles|certificate_templates|cas|ca_keys|ca_certificates|alert_rules|certificates)"/;

/** Issues N certificates one after another; returns statements per issuance, split by kind. */
async function measure(store: StoreKind, cache: boolean): Promise<(string | number)[]> {
  const s = await startBenchServer(store, 1);
  try {
    const { profileId, rootPem } = await setUp(s);
    if (!cache) s.server.cache.setLive(false);
    const csrs = makeCsrs(N + 1, `rt-${cache ? "on" : "off"}`);
    const issue = async (i: number) => {
      const cn = `rt-${cache ? "on" : "off"}-${i}.bench.test`;
      const r = await s.api("POST", "/api/v1/cert-manager/certificates", { profileId, csr: csrs[i].pem, attributes: { commonName: cn, altNames: [{ type: "dns_name", value: cn }] } });
      if (r.status !== 200) throw new Error(`issuance: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.certificate;
    };
    const first = await issue(N);
    opensslVerify(rootPem, first.certificateChain, first.certificate);
    startCounting();
    for (let i = 0; i < N; i++) await issue(i);
    // Let the batched delivery confirmations of the last answers land inside the count.
    await new Promise((r) => setTimeout(r, 300));
    const seen = stopCounting();
    const per = (f: (q: string) => boolean) => (seen.filter(f).length / N).toFixed(1);
    const word = (q: string) => q.trim().split(/\s+/)[0].toLowerCase();
    return [
      store,
      cache ? "on" : "off",
      per(() => true),
      per((q) => word(q) === "select" && CACHED.test(q)),
      per((q) => ["begin", "commit"].includes(word(q))),
      per((q) => ["insert", "update", "with", "delete"].includes(word(q))),
      per((q) => word(q) === "select" && !CACHED.test(q)),
    ];
  } finally {
    await s.close();
  }
}

/** Prints the table. */
export async function main(): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const store of STORES) for (const cache of [false, true]) rows.push(await measure(store, cache));
  console.log(`\nSQL statements per CSR issuance (POST /api/v1/cert-manager/certificates, c=1, ${N} issuances, a sample verified by openssl)\n`);
  console.log(table(["store", "cache", "statements", "reads (profile, auth, CA, alert hook)", "begin/commit", "writes", "other reads"], rows));
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
