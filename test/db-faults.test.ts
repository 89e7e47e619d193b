import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKind } from "./helpers/harness.js";
import { canRunPrivatePg, startPrivatePg, type PrivatePg } from "./helpers/private-pg.js";
import { call, spawnServer, type SpawnedServer } from "./helpers/spawned-server.js";

const EMAIL = "faults@example.com";
const PASSWORD = "faults faults faults";
const CERTS = "/api/v1/cert-manager/certificates";

interface Outcome {
  status: number;
  at: number;
  id?: string;
  serial?: string;
  retryAfter?: string | null;
  detail?: string;
}

/** Issues on `servers` at concurrency `c` until `stop()` says so; every answer is kept. */
function load(servers: SpawnedServer[], token: () => string, profileId: string, c: number) {
  const outcomes: Outcome[] = [];
  let stopped = false;
  let n = 0;
  const worker = async (w: number) => {
    while (!stopped) {
      const s = servers[n++ % servers.length];
      const r = await call(s.url, "POST", CERTS, { token: token(), body: { profileId, attributes: { commonName: `w${w}-${n}.faults.test`, ttl: "1d" } }, timeoutMs: 20_000 });
      outcomes.push({ status: r.status, at: Date.now(), id: r.body?.certificate?.certificateId, serial: r.body?.certificate?.serialNumber, retryAfter: r.headers.get("retry-after"), detail: r.status === 200 ? undefined : JSON.stringify(r.body).slice(0, 300) });
      if (r.status !== 200) await new Promise((res) => setTimeout(res, 100));
    }
  };
  const done = Promise.all(Array.from({ length: c }, (_, w) => worker(w)));
  return {
    outcomes,
    async stop() {
      stopped = true;
      await done;
    },
  };
}

/** Waits until an issuance that started after `since` succeeds; returns how long that took. */
async function recovered(outcomes: Outcome[], since: number, ms: number): Promise<number> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (outcomes.some((o) => o.at > since && o.status === 200)) return Date.now() - since;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no issuance succeeded within ${ms} ms of the database coming back; last answers: ${JSON.stringify(outcomes.slice(-5))}`);
}

// A PostgreSQL of the test's own (initdb into a temp dir): it is restarted and killed, which the
// shared server on 5432 never is. The Stamp servers are real processes, so a crash would show.
describe.skipIf(dbKind !== "postgres" || !canRunPrivatePg())("PostgreSQL restarts under load", () => {
  let cluster: PrivatePg;
  let servers: SpawnedServer[] = [];
  const dirs: string[] = [];
  let url = "";
  let token = "";
  let profileId = "";

  beforeAll(async () => {
    cluster = await startPrivatePg();
    const admin = new pg.Client({ connectionString: cluster.url });
    await admin.connect();
    await admin.query("create database stamp");
    await admin.end();
    url = cluster.url.replace(/\/postgres$/, "/stamp");
    const env = { STAMP_BOOTSTRAP_EMAIL: EMAIL, STAMP_BOOTSTRAP_PASSWORD: PASSWORD };
    for (let i = 0; i < 2; i++) {
      const dir = await mkdtemp(path.join(os.tmpdir(), "stamp-faults-"));
      dirs.push(dir);
      servers.push(await spawnServer(["--database-url", url, "--data-dir", dir, "--root-key-file", path.join(dirs[0], "root.key")], { env }));
    }
    const login = await call(servers[0].url, "POST", "/api/v1/auth/login", { body: { email: EMAIL, password: PASSWORD } });
    token = login.body.accessToken;
    const projectId = (await call(servers[0].url, "GET", "/api/v1/projects", { token })).body.projects[0].id;
    const ca = await call(servers[0].url, "POST", "/api/v1/cert-manager/ca/internal", { token, body: { projectId, name: "faults-root", configuration: { type: "root", commonName: "Faults Root", keyAlgorithm: "EC_prime256v1" } } });
    const tpl = await call(servers[0].url, "POST", "/api/v1/cert-manager/certificate-templates", { token, body: { projectId, name: "faults-tpl", preset: "tls-server" } });
    const prof = await call(servers[0].url, "POST", "/api/v1/cert-manager/certificate-profiles", { token, body: { projectId, slug: "faults", templateId: tpl.body.certificateTemplate.id, caId: ca.body.id } });
    expect(prof.status, JSON.stringify(prof.body)).toBe(200);
    profileId = prof.body.certificateProfile.id;
  }, 120_000);

  afterAll(async () => {
    for (const s of servers) await s.stop();
    cluster?.destroy();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("ok/ two servers at c=16 survive a fast restart, a kill -9 of the postmaster and killed backends; nothing issued is lost", async () => {
    const l = load(servers, () => token, profileId, 16);
    try {
      await new Promise((r) => setTimeout(r, 1500));
      expect(l.outcomes.filter((o) => o.status === 200).length).toBeGreaterThan(0);

      cluster.restart();
      const back1 = Date.now();
      await recovered(l.outcomes, back1, 10_000);

      cluster.crash();
      const back2 = Date.now();
      await recovered(l.outcomes, back2, 10_000);

      // Backends killed one by one while the servers hold them, some inside a transaction.
      const admin = new pg.Client({ connectionString: cluster.url });
      await admin.connect();
      for (let i = 0; i < 10; i++) {
        await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = 'stamp' and pid <> pg_backend_pid() and state <> 'idle'");
        await new Promise((r) => setTimeout(r, 150));
      }
      await admin.end();
      await recovered(l.outcomes, Date.now(), 10_000);
    } finally {
      await l.stop();
    }

    for (const s of servers) expect(s.alive(), s.output()).toBe(true);
    // The faults did reach requests in flight, and those were told to come back.
    expect(l.outcomes.filter((o) => o.status === 503).length).toBeGreaterThan(0);
    // Only successes and 503 with Retry-After: never a 500 or a dropped connection.
    const bad = l.outcomes.filter((o) => o.status !== 200 && !(o.status === 503 && o.retryAfter));
    expect(bad, JSON.stringify(bad.slice(0, 5))).toEqual([]);

    const issued = l.outcomes.filter((o) => o.status === 200);
    expect(issued.length).toBeGreaterThan(20);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const rows = (await db.query<{ id: string; serial: string }>("select id, serial from certificates")).rows;
      const ids = new Set(rows.map((r) => r.id));
      const missing = issued.filter((o) => !ids.has(o.id!));
      expect(missing, "certificates a client received but the store lost").toEqual([]);
      const dup = await db.query("select ca_id, serial from certificates group by ca_id, serial having count(*) > 1");
      expect(dup.rows).toEqual([]);
    } finally {
      await db.end();
    }
  }, 180_000);

  it("ok/ while the database is down: 503 with Retry-After and /readyz 503; a server started meanwhile waits for it, then serves", async () => {
    cluster.stop();
    try {
      const login = await call(servers[0].url, "POST", "/api/v1/auth/login", { body: { email: EMAIL, password: PASSWORD } });
      expect(login.status, JSON.stringify(login.body)).toBe(503);
      expect(login.headers.get("retry-after")).toBe("2");
      expect(login.headers.get("content-type")).toContain("application/problem+json");
      expect(login.body.detail).toMatch(/database is unavailable/);
      const issue = await call(servers[1].url, "POST", CERTS, { token, body: { profileId, attributes: { commonName: "down.faults.test", ttl: "1d" } } });
      expect(issue.status).toBe(503);
      const ready = await call(servers[0].url, "GET", "/readyz");
      expect(ready.status).toBe(503);
      expect(ready.body).toMatchObject({ status: "not ready", reason: "the database does not answer", checks: [{ name: "database", ok: false, detail: "the database does not answer" }] });
      expect((await call(servers[0].url, "GET", "/healthz")).status).toBe(200);

      const dir = await mkdtemp(path.join(os.tmpdir(), "stamp-faults-"));
      dirs.push(dir);
      let waiting!: () => void;
      const sawWaiting = new Promise<void>((r) => (waiting = r));
      const starting = spawnServer(["--database-url", url, "--data-dir", dir, "--root-key-file", path.join(dirs[0], "root.key")], {
        onOutput: (out) => {
          if (out.includes("waiting for PostgreSQL")) waiting();
        },
      });
      await Promise.race([sawWaiting, starting.then(() => Promise.reject(new Error("started without its database")))]);
      cluster.start();
      const late = await starting;
      servers.push(late);
      expect(late.output()).toMatch(/waiting for PostgreSQL at 127\.0\.0\.1:\d+ \(.*\); giving up in \d+ s/);
      const ok = await call(late.url, "POST", CERTS, { token, body: { profileId, attributes: { commonName: "late.faults.test", ttl: "1d" } } });
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect((await call(servers[0].url, "GET", "/readyz")).status).toBe(200);
    } finally {
      cluster.start();
    }
  }, 120_000);

  it("fail/ a database that never comes within --database-wait: one clear line, exit 1", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "stamp-faults-"));
    dirs.push(dir);
    const err = await spawnServer(["--database-url", "postgres://postgres@127.0.0.1:1/none", "--data-dir", dir, "--database-wait", "1"], { waitMs: 30_000 }).then(
      () => "",
      (e: Error) => e.message,
    );
    expect(err).toMatch(/exited with 1/);
    expect(err).toMatch(/stamp: failed to start: could not reach PostgreSQL at 127\.0\.0\.1:1 within 1 s \(.*ECONNREFUSED.*\); check that it runs/);
  }, 60_000);
});
