import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dbKind, freePort, freshDatabase } from "./helpers/harness.js";
import { verifyChain } from "./helpers/openssl.js";
import { spawnServer, type SpawnedServer } from "./helpers/spawned-server.js";

// Issue 12, "All cores": `--workers 2` on PostgreSQL runs a primary and two server processes
// sharing the API and revocation listeners; a worker killed with -9 is replaced while the other
// keeps answering; SIGTERM stops all of them. The embedded store refuses more than one.

const EMAIL = "cluster@example.com";
const PASSWORD = "cluster password 1234";
const CA = "/api/v1/cert-manager/ca/internal";
const CERTS = "/api/v1/cert-manager/certificates";

/** One request on a fresh connection (no keep-alive), so the cluster hands each to a worker in turn. */
function request(base: string, method: string, p: string, opts: { token?: string; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  return new Promise((resolve) => {
    const data = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
    const headers: Record<string, string | number> = { connection: "close" };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    if (data) Object.assign(headers, { "content-type": "application/json", "content-length": data.length });
    const req = http.request(`${base}${p}`, { method, headers, agent: false, timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", (e) => resolve({ status: 0, body: String(e) }));
    req.end(data);
  });
}

/** The pids that logged a completed request (pino puts the pid on every line), from `from` on in the output. */
function servingPids(output: string, from = 0): Set<number> {
  const pids = new Set<number>();
  for (const line of output.slice(from).split("\n")) {
    if (!line.startsWith("{") || !line.includes('"msg":"request"')) continue;
    try {
      pids.add(JSON.parse(line).pid);
    } catch {
      /* a line cut by the pipe */
    }
  }
  return pids;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Pids of the processes whose command line names `dataDir` (a cluster's primary and workers). */
function serversOn(dataDir: string): number[] {
  return spawnSync("pgrep", ["-f", "--", `--data-dir ${dataDir}`], { encoding: "utf8" }).stdout.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** Polls `cond` every 100 ms for up to `ms`. */
async function until(cond: () => boolean, ms: number, what: string, output: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${output().slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.runIf(dbKind === "postgres")("--workers 2 on PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let srv: SpawnedServer | undefined;
  afterAll(async () => {
    await srv?.stop();
    await db?.drop();
  });

  it("ok/ both workers serve both listeners, a killed worker is replaced while requests keep succeeding, SIGTERM stops every process", async () => {
    db = await freshDatabase();
    const httpPort = await freePort();
    srv = await spawnServer(["--database-url", db.databaseUrl!, "--data-dir", db.dataDir, "--http-listen", `127.0.0.1:${httpPort}`, "--log-level", "info"], {
      env: { STAMP_WORKERS: "2", STAMP_BOOTSTRAP_EMAIL: EMAIL, STAMP_BOOTSTRAP_PASSWORD: PASSWORD },
      waitMs: 120_000,
    });
    const out = srv.output;
    const pidsLine = /2 worker processes serve these listeners: (\d+), (\d+) \(primary (\d+)\)/;
    // The line after "listening on" may arrive in the next chunk of the pipe.
    await until(() => pidsLine.test(out()), 5_000, "the worker pids line", out);
    const m = pidsLine.exec(out());
    const [a, b, primary] = [Number(m![1]), Number(m![2]), Number(m![3])];
    expect(primary).toBe(srv.child.pid);
    // Startup notices come once, from the first worker.
    expect(out().match(/created the first admin/g)?.length).toBe(1);

    const login = await request(srv.url, "POST", "/api/v1/auth/login", { body: { email: EMAIL, password: PASSWORD } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    const token = login.body.accessToken as string;
    const projects = await request(srv.url, "GET", "/api/v1/projects", { token });
    const projectId = projects.body.projects.find((p: { name: string }) => p.name === "default").id;
    const root = await request(srv.url, "POST", CA, { token, body: { projectId, name: "cluster-root", configuration: { type: "root", commonName: "Cluster Root", keyAlgorithm: "EC_prime256v1" } } });
    expect(root.status, JSON.stringify(root.body)).toBe(200);
    const rootPem = (await request(srv.url, "GET", `${CA}/${root.body.id}/certificate`, { token })).body.certificate as string;
    const tpl = await request(srv.url, "POST", "/api/v1/cert-manager/certificate-templates", { token, body: { projectId, name: "cluster", preset: "tls-server" } });
    const prof = await request(srv.url, "POST", "/api/v1/cert-manager/certificate-profiles", { token, body: { projectId, slug: "cluster", templateId: tpl.body.certificateTemplate.id, caId: root.body.id } });
    expect(prof.status, JSON.stringify(prof.body)).toBe(200);
    const profileId = prof.body.certificateProfile.id;
    let n = 0;
    const issue = () => {
      const cn = `c${n++}.cluster.test`;
      return request(srv!.url, "POST", CERTS, { token, body: { profileId, attributes: { commonName: cn, altNames: [{ type: "dns_name", value: cn }], keyAlgorithm: "EC_prime256v1" } } });
    };

    // Concurrent issuance: every one succeeds, both workers answer, serials are distinct.
    const first = await Promise.all(Array.from({ length: 16 }, issue));
    for (const r of first) expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(new Set(first.map((r) => r.body.certificate.serialNumber)).size).toBe(16);
    const v = verifyChain(rootPem, "", first[0].body.certificate.certificate, ["-purpose", "sslserver"]);
    expect(v.out).toContain("cert.pem: OK");
    await until(() => servingPids(out()).has(a) && servingPids(out()).has(b), 10_000, "both workers to log a request", out);

    // The plain-HTTP revocation listener is shared too: the CA certificate from its caIssuers URL.
    const aia = new X509Certificate(first[0].body.certificate.certificate).infoAccess ?? "";
    const caIssuers = /CA Issuers - URI:(\S+)/.exec(aia)?.[1];
    expect(caIssuers, aia).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${httpPort}/`));
    const mark = out().length;
    const ders = await Promise.all(Array.from({ length: 8 }, () => request(caIssuers!.replace(/\/api.*$/, ""), "GET", new URL(caIssuers!).pathname)));
    for (const d of ders) expect(d.status).toBe(200);
    await until(() => servingPids(out(), mark).size === 2, 10_000, "both workers to serve the revocation listener", out);

    // kill -9 one worker: the other keeps answering, and the primary starts a replacement.
    process.kill(a, "SIGKILL");
    await until(() => !alive(a), 10_000, "the killed worker to go", out);
    const during: { status: number; body: any }[] = [];
    const replaced = () => /worker process (\d+) ready \(replacing one that died\)/.exec(out());
    const deadline = Date.now() + 90_000;
    while (!replaced() && Date.now() < deadline) during.push(...(await Promise.all([issue(), issue()])));
    expect(replaced(), out().slice(-3000)).not.toBeNull();
    expect(out()).toMatch(new RegExp(`worker process ${a} died \\(signal SIGKILL\\); starting a replacement in \\d+ ms`));
    expect(during.length).toBeGreaterThan(0);
    for (const r of during) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const c = Number(replaced()![1]);
    expect([a, b]).not.toContain(c);
    const children = spawnSync("ps", ["-o", "pid=", "--ppid", String(primary)], { encoding: "utf8" }).stdout.trim().split(/\s+/).map(Number).sort();
    expect(children).toEqual([b, c].sort());
    const afterMark = out().length;
    const after = await Promise.all(Array.from({ length: 8 }, issue));
    for (const r of after) expect(r.status, JSON.stringify(r.body)).toBe(200);
    await until(() => servingPids(out(), afterMark).has(c) && servingPids(out(), afterMark).has(b), 10_000, "the replacement and the survivor to serve", out);

    // SIGTERM to the primary stops every process, promptly and with exit code 0.
    expect(serversOn(db.dataDir).sort()).toEqual([primary, b, c].sort());
    const exited = new Promise<number | null>((r) => srv!.child.once("exit", (code) => r(code)));
    srv.child.kill("SIGTERM");
    const code = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 40_000))]);
    expect(code, out().slice(-2000)).toBe(0);
    await until(() => !alive(b) && !alive(c) && serversOn(db.dataDir).length === 0, 5_000, "no worker left behind", out);
    expect(out()).toContain("SIGTERM received, stopping 2 worker processes");
  });

  it("fail/ a worker that cannot start (its port is taken) stops the cluster with its exit code, leaving no process", async () => {
    const net = await import("node:net");
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const e = await spawnServer(["--database-url", db.databaseUrl!, "--data-dir", db.dataDir, "--listen", `127.0.0.1:${port}`], { env: { STAMP_WORKERS: "2" }, waitMs: 120_000 }).catch((x: unknown) => x as Error);
      expect(e).toBeInstanceOf(Error);
      const msg = (e as Error).message;
      expect(msg).toMatch(/server exited with 1/);
      expect(msg).toMatch(/stamp: failed to start: .*EADDRINUSE/);
      expect(msg).toMatch(/a worker process exited during startup \(code 1\); stopping/);
      // Workers carry the primary's arguments, so the data dir names every process of this cluster.
      await until(() => serversOn(db.dataDir).length === 0, 5_000, "no process left", () => msg);
    } finally {
      blocker.close();
    }
  });
});

describe.runIf(dbKind === "pglite")("--workers on the embedded store", () => {
  let dir = "";
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("fail/ --workers 2 without PostgreSQL exits 2 with the reason, before opening anything", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "stamp-cluster-"));
    const e = await spawnServer(["--data-dir", dir, "--workers", "2"], { waitMs: 30_000 }).catch((x: unknown) => x as Error);
    expect(e).toBeInstanceOf(Error);
    expect((e as Error).message).toMatch(/server exited with 2/);
    expect((e as Error).message).toContain("stamp: --workers 2 needs PostgreSQL (--database-url): the embedded database is opened by one process only.");
    expect(spawnSync("ls", [dir], { encoding: "utf8" }).stdout.trim()).toBe("");
  });
});
