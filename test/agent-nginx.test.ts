import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentFixture, agentYaml, type AgentFixture } from "./helpers/agent-setup.js";
import { restartServerOnPort } from "./helpers/agent-restart.js";
import { dbKind, freePort, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";

// nginx serves the certificate the long-running agent keeps: issue → nginx starts → Stamp goes
// down (the agent retries, files intact) → config change + SIGHUP → Stamp comes back → the
// agent replaces the certificate and its hook reloads nginx → nginx serves the new serial.

const ROOT = path.resolve(import.meta.dirname, "..");
const NGINX = "/usr/sbin/nginx";
let db: Awaited<ReturnType<typeof freshDatabase>>;
let s: TestServer | null = null;
let again: { close(): Promise<void> } | null = null;
let fx: AgentFixture;
let agentProc: ChildProcess | null = null;
let nginxProc: ChildProcess | null = null;
let logs = "";

const sh = (cmd: string, args: string[], timeoutMs = 15_000) =>
  new Promise<{ code: number; out: string }>((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, out: `${stdout}${stderr}` }));
  });
const events = () => logs.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
const count = (ev: string) => events().filter((e) => e.event === ev).length;
async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}; agent log:\n${logs.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
/** The serial nginx serves, via openssl s_client (async: never blocks the in-process server). */
const servedSerial = async (port: number) => {
  const r = await sh("sh", ["-c", `openssl s_client -connect 127.0.0.1:${port} -servername web.acme.test </dev/null 2>/dev/null | openssl x509 -noout -serial`]);
  return /serial=([0-9A-F]+)/i.exec(r.out)?.[1]?.toUpperCase();
};
const fileSerial = async (f: string) => /serial=([0-9A-F]+)/i.exec((await sh("openssl", ["x509", "-noout", "-serial", "-in", f])).out)?.[1]?.toUpperCase();

beforeAll(async () => {
  if (dbKind !== "pglite") return; // nginx runs on PGlite only, to save time
  db = await freshDatabase();
  s = await startServer({ db });
  fx = await agentFixture(s, "nginx-web");
});
afterAll(async () => {
  agentProc?.kill("SIGKILL");
  // nginx's workers outlive a killed master: stop the whole process group (spawned detached).
  if (nginxProc?.pid) {
    try {
      process.kill(-nginxProc.pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  await s?.close().catch(() => undefined);
  await again?.close().catch(() => undefined);
  await db?.drop();
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

describe.skipIf(dbKind !== "pglite")("ok/ stamp agent keeps nginx's certificate", () => {
  it("issue → nginx serves it → Stamp down (retries, files intact) → SIGHUP config change → Stamp back → renewed and reloaded", { timeout: 90_000 }, async () => {
    const stampPort = Number(new URL(s!.url).port);
    const ngPort = await freePort();
    const ng = path.join(fx.dir, "nginx");
    const out = path.join(fx.dir, "out");
    for (const d of [ng, path.join(ng, "logs"), path.join(ng, "tmp"), out]) mkdirSync(d, { recursive: true });
    const conf = path.join(ng, "nginx.conf");
    writeFileSync(conf, `daemon off;
master_process on;
worker_processes 1;
user root root;
pid ${ng}/nginx.pid;
error_log ${ng}/logs/error.log;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${ng}/tmp/body; proxy_temp_path ${ng}/tmp/proxy; fastcgi_temp_path ${ng}/tmp/fcgi; uwsgi_temp_path ${ng}/tmp/uwsgi; scgi_temp_path ${ng}/tmp/scgi;
  server {
    listen 127.0.0.1:${ngPort} ssl;
    server_name web.acme.test;
    ssl_certificate ${out}/fullchain.pem;
    ssl_certificate_key ${out}/web.key;
    location / { return 200 "ok\\n"; }
  }
}
`);
    const reload = { command: [NGINX, "-p", ng, "-c", conf, "-s", "reload"], timeoutSeconds: 10 };
    const cfgFile = path.join(fx.dir, "agent.yaml");
    const certEntry = { files: { certificate: "out/web.pem", fullChain: "out/fullchain.pem", privateKey: "out/web.key" }, hooks: { afterRenew: reload } };
    writeFileSync(cfgFile, agentYaml({ server: s!.url, fx, interval: "3s", cert: certEntry }));

    // The agent, long-running.
    agentProc = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), "agent", "--config", cfgFile], {
      cwd: ROOT, env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" }, stdio: ["ignore", "pipe", "pipe"],
    });
    agentProc.stdout!.on("data", (c: Buffer) => (logs += c.toString()));
    agentProc.stderr!.on("data", (c: Buffer) => (logs += c.toString()));
    await until("the first issuance", () => count("issued") >= 1);

    // nginx starts on the agent's files.
    nginxProc = spawn(NGINX, ["-p", ng, "-c", conf], { stdio: "ignore", detached: true });
    const serial1 = await until("nginx to serve the certificate", () => servedSerial(ngPort), 20_000);
    expect(serial1).toBe(await fileSerial(path.join(out, "web.pem")));
    const keyBefore = readFileSync(path.join(out, "web.key"), "utf8");

    // Stamp stops; the config changes (another altName) and the agent is told to reload.
    await s!.close();
    s = null;
    writeFileSync(cfgFile, agentYaml({ server: `http://127.0.0.1:${stampPort}`, fx, interval: "3s", cert: { ...certEntry, altNames: ["dns:web.acme.test", "dns:www.acme.test"] } }));
    agentProc.kill("SIGHUP");
    await until("the agent to fail twice while Stamp is down", () => count("failed") >= 2, 30_000);
    const failed = events().filter((e) => e.event === "failed");
    expect(failed.every((e) => e.unreachable === true)).toBe(true);
    expect(count("reloaded")).toBe(1);
    // Old files intact; nginx still serves the old certificate.
    expect(readFileSync(path.join(out, "web.key"), "utf8")).toBe(keyBefore);
    expect(await fileSerial(path.join(out, "web.pem"))).toBe(serial1);
    expect(await servedSerial(ngPort)).toBe(serial1);

    // Stamp comes back on the same port and database; the next retry succeeds and reloads nginx.
    again = await restartServerOnPort(db, stampPort);
    await until("the replacement and the nginx reload", () => events().some((e) => e.event === "hook_ok" && e.hook === "afterRenew"), 40_000);
    const serial2 = await until("nginx to serve the new serial", async () => {
      const v = await servedSerial(ngPort);
      return v && v !== serial1 ? v : undefined;
    }, 15_000);
    expect(serial2).toBe(await fileSerial(path.join(out, "web.pem")));
    const gaps = events().filter((e) => e.event === "failed").map((e) => Date.parse(String(e.retryAt)) - Date.parse(String(e.time)));
    expect(gaps[1]).toBeGreaterThan(gaps[0] - 3000); // backoff does not shrink
    agentProc.kill("SIGTERM");
    await until("the agent to stop", () => agentProc!.exitCode !== null || agentProc!.signalCode !== null, 10_000);
    expect(count("stopped")).toBe(1);
  });
});
