/**
 * HTTP load from autocannon in a child process of its own, so the load generator's CPU is not the
 * server's and can be read apart. The child warms up (unmeasured), prints "start", runs the
 * measured load, prints "end" and a JSON result line; `runCannon` calls back at the two marks so
 * the caller reads /proc around the measured part only.
 */
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

/** One load: POST `body` to `url` over `connections` keep-alive connections. */
export interface CannonSpec {
  url: string;
  body: string;
  /** A binary body (base64), sent instead of `body` (SCEP's DER messages). */
  bodyBase64?: string;
  headers: Record<string, string>;
  connections: number;
  warmupSeconds: number;
  seconds: number;
}

/** What the measured part did: answers by kind, latency percentiles (ms), its duration and one 2xx body. */
export interface CannonResult {
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  seconds: number;
  p50: number;
  p99: number;
  sample: string;
  firstFailure: string;
}

interface AutocannonResult {
  "2xx": number;
  non2xx: number;
  errors: number;
  timeouts: number;
  duration: number;
  latency: { p50: number; p99: number };
}

/** In the child: one autocannon run; fails if any answer was not 2xx or any request failed. */
async function load(spec: CannonSpec, seconds: number, what: string): Promise<CannonResult> {
  const autocannon = createRequire(import.meta.url)("autocannon") as (o: unknown) => Promise<AutocannonResult>;
  let sample = "";
  let firstFailure = "";
  const r = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: seconds,
    timeout: 30,
    requests: [
      {
        method: "POST",
        body: spec.bodyBase64 ? Buffer.from(spec.bodyBase64, "base64") : spec.body,
        headers: spec.headers,
        onResponse: (status: number, body: string) => {
          if (status >= 200 && status < 300) sample = body;
          else if (!firstFailure) firstFailure = `${status} ${String(body).slice(0, 500)}`;
        },
      },
    ],
  });
  const out = { ok: r["2xx"], non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, seconds: r.duration, p50: r.latency.p50, p99: r.latency.p99, sample, firstFailure };
  if (out.non2xx || out.errors || out.timeouts || !out.ok) throw new Error(`${what}: ${out.ok} ok, ${out.non2xx} non-2xx, ${out.errors} errors (${out.timeouts} timeouts); first failure: ${firstFailure || "none recorded"}`);
  return out;
}

/** In the parent: runs the child; `onStart`/`onEnd` run when the measured part starts and ends. Bounded: killed after warm-up + run + 60 s. */
export function runCannon(spec: CannonSpec, hooks: { onSpawn?: (pid: number) => void; onStart(): void; onEnd(): void }): Promise<CannonResult> {
  return new Promise((resolve, reject) => {
    const self = fileURLToPath(import.meta.url);
    // The spec (with a bearer token) goes in the environment, not argv, which every user can read.
    const child = spawn(process.execPath, ["--import", "tsx", self], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, BENCH_CANNON_SPEC: JSON.stringify(spec) } });
    hooks.onSpawn?.(child.pid!);
    let out = "";
    let err = "";
    let started = false;
    let ended = false;
    const limit = setTimeout(() => child.kill("SIGKILL"), (spec.warmupSeconds + spec.seconds + 60) * 1000);
    child.stdout!.on("data", (c: Buffer) => {
      out += c.toString();
      if (!started && out.includes("start\n")) {
        started = true;
        hooks.onStart();
      }
      if (started && !ended && out.includes("end\n")) {
        ended = true;
        hooks.onEnd();
      }
    });
    child.stderr!.on("data", (c: Buffer) => {
      err = (err + c.toString()).slice(-4_000);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(limit);
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (code !== 0 || !line || !ended) return reject(new Error(`load generator exited with ${code ?? signal}:\n${err}`));
      resolve(JSON.parse(line) as CannonResult);
    });
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const spec = JSON.parse(process.env.BENCH_CANNON_SPEC ?? "null") as CannonSpec;
  const warm = await load(spec, spec.warmupSeconds, "warm-up");
  // Requests cut off at the warm-up's end still run on the server: let them finish before measuring.
  await new Promise((r) => setTimeout(r, Math.min(2_000, Math.max(200, 2 * warm.p99))));
  process.stdout.write("start\n");
  const r = await load(spec, spec.seconds, "measured run").catch((e: Error) => {
    process.stdout.write("end\n");
    throw e;
  });
  process.stdout.write("end\n");
  process.stdout.write(`${JSON.stringify(r)}\n`);
}
