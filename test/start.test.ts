import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import https from "node:https";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dbKind, freePort } from "./helpers/harness.js";

/** GET over HTTPS trusting only `ca`. */
function get(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(url, { ca, timeout: 10_000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}

/** Waits for a line matching `re` on the child's stdout, up to `ms`. */
function waitFor(child: ChildProcess, re: RegExp, ms: number, log: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out waiting for ${re}; output:\n${log.join("")}`)), ms);
    const on = (chunk: Buffer) => {
      log.push(chunk.toString());
      const m = re.exec(log.join(""));
      if (m) {
        clearTimeout(t);
        resolve(m[0]);
      }
    };
    child.stdout!.on("data", on);
    child.stderr!.on("data", (c: Buffer) => log.push(c.toString()));
    child.on("exit", (code) => reject(new Error(`server exited with ${code}:\n${log.join("")}`)));
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
    const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts", "--listen", "127.0.0.1:0", "--http-listen", `127.0.0.1:${httpPort}`, "--data-dir", dir, "--log-level", "warn"], {
      cwd: path.resolve(import.meta.dirname, ".."),
      env: { PATH: process.env.PATH, HOME: process.env.HOME },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.push(child);
    const log: string[] = [];
    const listening = await waitFor(child, /listening on https:\/\/127\.0\.0\.1:\d+/, 60_000, log);
    const port = Number(listening.split(":").pop());
    const out = log.join("");
    expect(out).toContain(`root encryption key at ${path.join(dir, "root.key")}`);
    expect(out).toContain(path.join(dir, "initial-admin.txt"));
    expect((await stat(path.join(dir, "root.key"))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, "initial-admin.txt"))).mode & 0o777).toBe(0o600);

    const ca = await readFile(path.join(dir, "tls-ca.pem"), "utf8");
    const health = await get(`https://127.0.0.1:${port}/healthz`, ca);
    expect(health.status).toBe(200);
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
  });

  it("fail/ a bad option stops the server with a message and exit code 2", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/server/main.ts", "--listen", "nonsense"], { cwd: path.resolve(import.meta.dirname, ".."), stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).toBe(2);
    expect(err).toContain("--listen must be host:port");
  });
});
