import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** A real `npm start` process (node --import tsx src/server/main.ts), plain HTTP on a free port. */
export interface SpawnedServer {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far. */
  output(): string;
  /** True while the process runs. */
  alive(): boolean;
  stop(): Promise<void>;
}

/** How to start it: extra environment, how long to wait, who hears its output, a command to run it under (e.g. strace). */
export interface SpawnOptions {
  env?: Record<string, string>;
  waitMs?: number;
  onOutput?: (text: string) => void;
  prefix?: string[];
}

/** Starts the server process and waits (up to `waitMs`, default 60 s) for its "listening on" line. */
export async function spawnServer(args: string[], opts: SpawnOptions = {}): Promise<SpawnedServer> {
  const { env = {}, waitMs = 60_000, onOutput, prefix = [] } = opts;
  const argv = [process.execPath, "--import", "tsx", "src/server/main.ts", "--listen", "127.0.0.1:0", "--tls", "off", "--log-level", "warn", ...args];
  const child = spawn(prefix[0] ?? argv[0], [...prefix.slice(1), ...(prefix.length ? argv : argv.slice(1))], {
    cwd: ROOT,
    // One process unless a test asks for more (test/cluster.test.ts): `auto` would fork one per core on PostgreSQL.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, STAMP_WORKERS: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const log: string[] = [];
  child.stdout!.on("data", (c: Buffer) => log.push(c.toString()));
  child.stderr!.on("data", (c: Buffer) => log.push(c.toString()));
  if (onOutput) for (const s of [child.stdout!, child.stderr!]) s.on("data", () => onOutput(log.join("")));
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no "listening" line within ${waitMs} ms:\n${log.join("")}`)), waitMs);
    const check = () => {
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log.join(""));
      if (m) {
        clearTimeout(t);
        resolve(m[1]);
      }
    };
    child.stdout!.on("data", check);
    child.on("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`server exited with ${code}:\n${log.join("")}`));
    });
  });
  return {
    child,
    url,
    output: () => log.join(""),
    alive: () => child.exitCode === null && child.signalCode === null,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}

/** A JSON request with a bounded wait; network failures come back as status 0. */
export async function call<T = any>(url: string, method: string, p: string, opts: { token?: string; body?: unknown; headers?: Record<string, string>; timeoutMs?: number } = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  try {
    const r = await fetch(url + p, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body), signal: AbortSignal.timeout(opts.timeoutMs ?? 30_000) });
    const text = await r.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: r.status, body: body as T, headers: r.headers };
  } catch (e) {
    return { status: 0, body: String(e) as T, headers: new Headers() };
  }
}
