import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dbKind, freePort } from "./helpers/harness.js";

/** GET over HTTPS trusting only `ca`. */
function get(url: string, ca: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; requestId: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 10_000, headers }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, requestId: res.headers["x-request-id"] as string | undefined }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}

/** Collects the child's stdout and stderr, in order, from the moment it is called (right after spawn). */
function collect(child: ChildProcess): string[] {
  const log: string[] = [];
  child.stdout!.on("data", (c: Buffer) => log.push(c.toString()));
  child.stderr!.on("data", (c: Buffer) => log.push(c.toString()));
  return log;
}

/** Waits until `re` matches what `collect` gathered (already, or after more output), up to `ms`. */
function waitFor(child: ChildProcess, re: RegExp, ms: number, log: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const stop = () => {
      clearTimeout(t);
      child.stdout!.off("data", check);
      child.off("exit", exited);
    };
    const check = () => {
      const m = re.exec(log.join(""));
      if (!m) return;
      stop();
      resolve(m[0]);
    };
    const exited = (code: number | null) => {
      stop();
      reject(new Error(`server exited with ${code}:\n${log.join("")}`));
    };
    const t = setTimeout(() => {
      stop();
      reject(new Error(`timed out waiting for ${re}; output:\n${log.join("")}`));
    }, ms);
    child.stdout!.on("data", check); // after collect's listener: the chunk is already in `log`
    child.on("exit", exited);
    check();
  });
}

// README's first command starts the server on its embedded default; this starts it the same
// way (npm start = node --import tsx src/server/main.ts) with TLS auto and no other setup.
describe.skipIf(dbKind !== "pglite")("start like README's first command", () => {
  const children: ChildProcess[] = [];
  let dir = "";
  afterAll(async () => {
    for (const c of children) c.kill("SIGTERM");
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("ok/ first start creates the root key and admin credentials (0600) and serves /healthz over its own TLS", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "stamp-start-"));
    // TLS on also starts the plain-HTTP revocation listener (8080 by default; a free port here).
    const httpPort = await freePort();
    const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts", "--listen", "127.0.0.1:0", "--http-listen", `127.0.0.1:${httpPort}`, "--data-dir", dir, "--log-level", "info"], {
      cwd: path.resolve(import.meta.dirname, ".."),
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    const log = collect(child);
    const listening = await waitFor(child, /listening on https:\/\/127\.0\.0\.1:\d+/, 60_000, log);
    const port = Number(listening.split(":").pop());
    await waitFor(child, /stamp: {3}API docs/, 10_000, log); // the last "what next" line
    const out = log.join("");
    expect(out).toContain(`root encryption key at ${path.join(dir, "root.key")}`);
    expect(out).toContain(path.join(dir, "initial-admin.txt"));
    expect((await stat(path.join(dir, "root.key"))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, "initial-admin.txt"))).mode & 0o777).toBe(0o600);

    // First start explains itself: what it is doing, then what to do next.
    expect(out).toContain(`stamp: first start: creating the embedded database in ${path.join(dir, "db")}`);
    expect(out).toContain("stamp: what next:");
    expect(out).toContain(`stamp:   password    in ${path.join(dir, "initial-admin.txt")}`);
    expect(out).toContain(`--ca-file ${path.join(dir, "tls-ca.pem")} --email admin@stamp.local`);

    const ca = await readFile(path.join(dir, "tls-ca.pem"), "utf8");
    const health = await get(`https://127.0.0.1:${port}/healthz`, ca);
    expect(health.status).toBe(200);
    // Not a terminal: one JSON line per request, carrying the id the answer sent back as x-request-id.
    const logged = await waitFor(child, /\{[^\n]*"path":"\/healthz"[^\n]*\}/, 10_000, log);
    const rec = JSON.parse(logged);
    expect(rec).toMatchObject({ level: 30, msg: "request", method: "GET", path: "/healthz", status: 200 });
    expect(rec.reqId).toBe(health.requestId);
    expect(log.join("")).not.toMatch(/incoming request|request completed/); // Fastify's own two lines per request are off
    expect(log.join("").match(/"path":"\/healthz"/g)).toHaveLength(1);
    expect((await get(`https://localhost:${port}/readyz`, ca)).status).toBe(200);
    // The plain-HTTP listener answers OCSP (here malformedRequest) and nothing else.
    expect(out).toContain(`CRLs, OCSP and CA certificates also on http://127.0.0.1:${httpPort}`);
    const ocsp = await fetch(`http://127.0.0.1:${httpPort}/api/v1/cert-manager/ocsp/00000000-0000-0000-0000-000000000000`, { method: "POST", headers: { "content-type": "application/ocsp-request" }, body: "x", signal: AbortSignal.timeout(10_000) });
    expect(ocsp.status).toBe(200);
    expect(ocsp.headers.get("content-type")).toBe("application/ocsp-response");
    expect((await fetch(`http://127.0.0.1:${httpPort}/healthz`, { signal: AbortSignal.timeout(10_000) })).status).toBe(404);

    // The one-time credentials log in.
    const creds = await readFile(path.join(dir, "initial-admin.txt"), "utf8");
    const email = /email: (\S+)/.exec(creds)![1];
    const password = /password: (\S+)/.exec(creds)![1];
    const body = JSON.stringify({ email, password });
    const status = await new Promise<number>((resolve, reject) => {
      const req = https.request(`https://127.0.0.1:${port}/api/v1/auth/login`, { method: "POST", ca, headers: { "content-type": "application/json" } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end(body);
    });
    expect(status).toBe(200);
    child.kill("SIGTERM");
    await new Promise((r) => child.once("exit", r));

    // Started again with bootstrap settings: they are ignored, and the server says so. With
    // --log-format text, each request is one readable line ending in the client's own request id.
    const again = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts", "--listen", "127.0.0.1:0", "--http-listen", "off", "--data-dir", dir, "--log-format", "text"], {
      cwd: path.resolve(import.meta.dirname, ".."),
      env: { PATH: process.env.PATH, HOME: process.env.HOME, STAMP_BOOTSTRAP_EMAIL: "late@example.com", STAMP_BOOTSTRAP_PASSWORD: "a long enough password" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(again);
    const log2 = collect(again);
    const port2 = Number((await waitFor(again, /listening on https:\/\/127\.0\.0\.1:\d+/, 60_000, log2)).split(":").pop());
    const out2 = log2.join("");
    expect(out2).toContain("stamp: STAMP_BOOTSTRAP_EMAIL and STAMP_BOOTSTRAP_PASSWORD were ignored: this database already has an admin");
    expect(out2).not.toContain("stamp: first start:");
    expect(out2).not.toContain("FastifyDeprecation");
    expect(out2).not.toContain("what next");
    const r = await get(`https://127.0.0.1:${port2}/healthz`, ca, { "x-request-id": "readme-check-1" });
    expect(r.requestId).toBe("readme-check-1");
    expect(await waitFor(again, /\d\d:\d\d:\d\d INFO  GET \/healthz 200 [\d.]+ ms  req=readme-check-1/, 10_000, log2)).toBeTruthy();
    again.kill("SIGTERM");
    await new Promise((r) => again.once("exit", r));
  }, 180_000);

  it("fail/ a bad option stops the server with a message and exit code 2", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts", "--listen", "nonsense"], { cwd: path.resolve(import.meta.dirname, ".."), stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).toBe(2);
    expect(err).toContain("--listen must be host:port");
  });
});
