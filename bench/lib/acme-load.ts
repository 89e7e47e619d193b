/**
 * An ACME load generator, run as a child process so its CPU (JWS signing, TLS, JSON) is not
 * counted as the server's: K accounts (one EAB key each, ES256), each a loop of complete http-01
 * orders — newOrder → authz → challenge (Stamp validates while the POST waits) → finalize →
 * download — against one directory, with the http-01 responder in this process.
 *
 *   node --import tsx bench/lib/acme-load.ts <spec.json>
 *
 * Prints JSON lines on stdout: {"phase":"start"} just before the measured orders,
 * {"phase":"end"} just after, then the result (AcmeLoadResult), so the parent can read its own
 * CPU usage around exactly the measured part.
 */
import { readFileSync } from "node:fs";
import https from "node:https";
import { performance } from "node:perf_hooks";
import { AcmeClient, makeCsr, startHttp01, type Http01Server } from "../../test/helpers/acme-client.js";

/** What the parent asks for. */
export interface AcmeLoadSpec {
  directory: string;
  /** PEM file of the CA that signed Stamp's TLS certificate. */
  tlsCaFile: string;
  /** One EAB key per client. */
  eabs: { keyId: string; hmacKey: string }[];
  /** Measured orders (in total, across clients) and unmeasured warm-up orders. */
  orders: number;
  warmup: number;
  http01Port: number;
  /** Names are `${prefix}-<i>.stamp.test`. */
  prefix: string;
}

/** What the child prints last. */
export interface AcmeLoadResult {
  orders: number;
  seconds: number;
  /** Per-order latency, ms, newOrder sent to certificate downloaded. */
  latencies: number[];
  /** The PEM chain of one measured order and its name. */
  sample: { name: string; pem: string };
  /** ACME problem types seen (should be none). */
  problems: string[];
}

type Csr = { name: string; der: Uint8Array };

/** One complete order for `csr.name`; returns the PEM chain. */
async function order(c: AcmeClient, http01: Http01Server, csr: Csr): Promise<string> {
  const o = await c.newOrder([csr.name]);
  if (o.status !== 201) throw new Error(`newOrder ${csr.name}: ${o.status} ${o.text}`);
  await c.authorize(o.body, http01);
  const f = await c.finalize(o.body, csr.der);
  if (f.status !== 200 || f.body?.status !== "valid") throw new Error(`finalize ${csr.name}: ${f.status} ${f.text}`);
  const pem = await c.download(f.body.certificate);
  if (pem.status !== 200 || !pem.text.includes("BEGIN CERTIFICATE")) throw new Error(`download ${csr.name}: ${pem.status} ${pem.text.slice(0, 300)}`);
  return pem.text;
}

async function run(spec: AcmeLoadSpec): Promise<AcmeLoadResult> {
  const ca = readFileSync(spec.tlsCaFile, "utf8");
  const k = spec.eabs.length;
  const agent = new https.Agent({ keepAlive: true, maxSockets: k });
  const http01 = await startHttp01(spec.http01Port);
  try {
    // Accounts (not measured).
    const clients = await Promise.all(
      spec.eabs.map(async (eab) => {
        const c = new AcmeClient(spec.directory, { ca, agent });
        await c.init();
        const r = await c.newAccount({ contact: ["mailto:bench@stamp.test"] }, eab);
        if (r.status !== 201) throw new Error(`newAccount: ${r.status} ${r.text}`);
        return c;
      }),
    );
    // CSRs (openssl, P-256, CN + DNS SAN), made before timing; two at a time (2 cores).
    const total = spec.warmup + spec.orders;
    const csrs: Csr[] = new Array(total);
    for (let i = 0; i < total; i += 2) {
      await Promise.all(
        [i, i + 1].filter((j) => j < total).map(async (j) => {
          const name = `${spec.prefix}-${j}.stamp.test`;
          csrs[j] = { name, der: (await makeCsr([name])).der };
        }),
      );
    }
    // K loops taking the next order index from a shared counter.
    const drive = async (from: number, n: number) => {
      const latencies = new Array<number>(n);
      let next = 0;
      let failure: Error | undefined;
      let sample = "";
      const loop = async (c: AcmeClient) => {
        while (next < n && !failure) {
          const i = next++;
          const t0 = performance.now();
          try {
            const pem = await order(c, http01, csrs[from + i]);
            latencies[i] = performance.now() - t0;
            if (i === Math.floor(n / 2)) sample = pem;
          } catch (e) {
            failure ??= e as Error;
          }
        }
      };
      const start = performance.now();
      await Promise.all(clients.map(loop));
      const seconds = (performance.now() - start) / 1000;
      if (failure) throw failure;
      return { seconds, latencies, sample };
    };
    if (spec.warmup > 0) await drive(0, spec.warmup);
    process.stdout.write(`${JSON.stringify({ phase: "start" })}\n`);
    const r = await drive(spec.warmup, spec.orders);
    process.stdout.write(`${JSON.stringify({ phase: "end" })}\n`);
    return {
      orders: spec.orders,
      seconds: r.seconds,
      latencies: r.latencies,
      sample: { name: csrs[spec.warmup + Math.floor(spec.orders / 2)].name, pem: r.sample },
      problems: clients.flatMap((c) => c.problems),
    };
  } finally {
    agent.destroy();
    await http01.close();
  }
}

const specFile = process.argv[2];
if (!specFile) {
  console.error("usage: acme-load.ts <spec.json>");
  process.exit(2);
}
run(JSON.parse(readFileSync(specFile, "utf8")) as AcmeLoadSpec).then(
  (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
