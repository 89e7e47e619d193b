/**
 * A small HTTP load generator, run as a child process so its CPU does not share the server's
 * event loop: POSTs pre-built bodies round-robin from N keep-alive loops for a fixed time, checks
 * every answer's status and content type, and prints one JSON line of counts and latencies.
 *
 *   node --import tsx bench/lib/http-load.ts <spec.json>
 *   spec: { url, contentType, expectType, bodiesFile (JSON array of base64), concurrency, seconds, warmupSeconds, client }
 */
import { readFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { performance } from "node:perf_hooks";

/** What the parent asks for. */
export interface LoadSpec {
  url: string;
  contentType: string;
  expectType: string;
  bodiesFile: string;
  concurrency: number;
  seconds: number;
  warmupSeconds: number;
  /** "node" (node:http with a keep-alive agent) or "raw" (a minimal HTTP/1.1 client on net sockets). */
  client: "node" | "raw";
}

/** What the child prints (one JSON line on stdout). */
export interface LoadResult {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  bad: number;
  firstBad: string | null;
  /** One measured answer (base64) and the index of the body it answers. */
  sample: { index: number; body: string } | null;
}

/** A keep-alive HTTP/1.1 connection with one request in flight. */
interface RawConn {
  request(bytes: Buffer): Promise<{ status: number; type: string; body: Buffer }>;
  close(): void;
}

/** Opens a RawConn; parses only what the checks need (responses carry content-length). */
function rawConn(u: URL): Promise<RawConn> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: u.hostname, port: Number(u.port), noDelay: true });
    let buf: Buffer = Buffer.alloc(0);
    let pending: { resolve: (r: { status: number; type: string; body: Buffer }) => void; reject: (e: Error) => void } | null = null;
    const tryParse = () => {
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0 || !pending) return;
      const head = buf.subarray(0, end).toString("latin1");
      const len = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? "0");
      if (buf.length < end + 4 + len) return;
      const body = buf.subarray(end + 4, end + 4 + len);
      buf = buf.subarray(end + 4 + len);
      const p = pending;
      pending = null;
      p.resolve({ status: Number(head.slice(9, 12)), type: /\r\ncontent-type: *([^\r]*)/i.exec(head)?.[1] ?? "", body });
    };
    sock.on("data", (c: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      tryParse();
    });
    sock.on("error", (e) => (pending ? pending.reject(e) : reject(e)));
    sock.on("connect", () =>
      resolve({
        request: (bytes) =>
          new Promise((res, rej) => {
            pending = { resolve: res, reject: rej };
            sock.write(bytes);
          }),
        close: () => sock.destroy(),
      }),
    );
  });
}

async function run(spec: LoadSpec): Promise<LoadResult> {
  const bodies = (JSON.parse(readFileSync(spec.bodiesFile, "utf8")) as string[]).map((b) => Buffer.from(b, "base64"));
  const u = new URL(spec.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
  const post = (body: Buffer) =>
    new Promise<{ status: number; type: string; body: Buffer }>((resolve, reject) => {
      const req = http.request(
        { host: u.hostname, port: u.port, path: u.pathname, method: "POST", agent, headers: { "content-type": spec.contentType, "content-length": body.length } },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), body: Buffer.concat(chunks) }));
          res.on("error", reject);
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  // "raw": one keep-alive socket per loop writing pre-built HTTP/1.1 requests and reading
  // just the status line, content type and content-length — far less client CPU than node:http
  // (what wrk would do), so a co-located client leaves more of the 2 cores to the server.
  const rawPost = (i: number, sock: RawConn) => sock.request(rawRequests[i]);
  const rawRequests = bodies.map((b) => Buffer.concat([Buffer.from(`POST ${u.pathname} HTTP/1.1\r\nhost: ${u.host}\r\ncontent-type: ${spec.contentType}\r\ncontent-length: ${b.length}\r\n\r\n`), b]));
  const conns = spec.client === "raw" ? await Promise.all(Array.from({ length: spec.concurrency }, () => rawConn(u))) : [];
  let latencies = new Float64Array(1 << 16);
  let count = 0;
  let bad = 0;
  let firstBad: string | null = null;
  let sample: LoadResult["sample"] = null;
  let measuring = false;
  let stopAt = 0;
  let next = 0;
  const loop = async (_: unknown, k: number) => {
    while (performance.now() < stopAt) {
      const i = next++ % bodies.length;
      const t0 = performance.now();
      const r = spec.client === "raw" ? await rawPost(i, conns[k]) : await post(bodies[i]);
      const dt = performance.now() - t0;
      if (!measuring) continue;
      if (r.status !== 200 || r.type !== spec.expectType) {
        bad++;
        firstBad ??= `${r.status} ${r.type} ${r.body.toString("utf8").slice(0, 200)}`;
      }
      if (count === latencies.length) {
        const bigger = new Float64Array(latencies.length * 2);
        bigger.set(latencies);
        latencies = bigger;
      }
      latencies[count++] = dt;
      if (count === 1 || count === 1000) sample = { index: i, body: r.body.toString("base64") };
    }
  };
  // Warm-up: the same loops, not counted (JIT, sockets, server caches).
  stopAt = performance.now() + spec.warmupSeconds * 1000;
  await Promise.all(Array.from({ length: spec.concurrency }, loop));
  measuring = true;
  const start = performance.now();
  stopAt = start + spec.seconds * 1000;
  await Promise.all(Array.from({ length: spec.concurrency }, loop));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  for (const c of conns) c.close();
  const sorted = latencies.subarray(0, count).sort();
  const pct = (q: number) => (count ? sorted[Math.min(count - 1, Math.max(0, Math.ceil(q * count) - 1))] : NaN);
  return { requests: count, seconds, p50: pct(0.5), p99: pct(0.99), bad, firstBad, sample };
}

const specFile = process.argv[2];
if (!specFile) {
  console.error("usage: http-load.ts <spec.json>");
  process.exit(2);
}
run(JSON.parse(readFileSync(specFile, "utf8")) as LoadSpec).then(
  (r) => console.log(JSON.stringify(r)),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
