import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { entryHash, GENESIS_HASH } from "../src/contract/audit-chain.js";
import { openDb, type Db } from "../src/server/store/db.js";
import { migrate, MIGRATIONS } from "../src/server/store/migrations.js";
import { runStamp } from "./helpers/cli-run.js";
import { dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";

// Issue 14 finding 7: the audit log is one server-wide hash chain. Entries written before the
// migration are chained by it; two servers on one PostgreSQL append one chain; and
// `stamp audit verify` (recomputing every hash on the client) names the first entry that an
// owner of the table edited, deleted, inserted or reordered with the trigger turned off.

let db: Awaited<ReturnType<typeof freshDatabase>>;
let s: TestServer;
let cliDir: string;
const config = () => path.join(cliDir, "session.json");

const open = (): Promise<Db> => openDb(db.databaseUrl ? { kind: "postgres", url: db.databaseUrl } : { kind: "pglite", dataDir: `${db.dataDir}/db` });

/** Runs `fn` on the database with the server stopped (PGlite has one writer), then restarts it. */
async function withServerStopped(fn: (h: Db) => Promise<void>) {
  await s.close();
  const h = await open();
  try {
    await fn(h);
  } finally {
    await h.close();
  }
  s = await start();
}

// Every restart logs the admin in; each runs 6 minutes later than the one before, so the
// login rate limit (10 per 5 minutes) never trips.
let shift = 0;
function start() {
  shift += 6 * 60_000;
  const at = shift;
  return startServer({ db, rt: { clock: () => new Date(Date.now() + at) } });
}

/** As the table's owner: turns the append-only trigger off, runs `statements`, turns it back on. */
async function tamper(statements: (h: Db) => Promise<unknown>) {
  await withServerStopped(async (h) => {
    await sql`alter table audit_log disable trigger all`.execute(h.db);
    await statements(h);
    await sql`alter table audit_log enable trigger all`.execute(h.db);
  });
}

/** `stamp audit verify` as the server admin (the session file names the current server). */
async function verify(extra: string[] = []) {
  await writeFile(config(), JSON.stringify({ server: s.url, token: s.adminToken, expiresAt: new Date(Date.now() + shift + 3600_000).toISOString() }), { mode: 0o600 });
  return runStamp(["audit", "verify", ...extra], { config: config() });
}

type Row = { id: string; action: string; detail: unknown };
const rows = async (h: Db): Promise<Row[]> => (await sql<Row>`select id::text as id, action, detail from audit_log order by id`.execute(h.db)).rows;

beforeAll(async () => {
  db = await freshDatabase({ blank: true });
  cliDir = await mkdtemp(path.join(os.tmpdir(), "stamp-audit-cli-"));
  // A database as the previous release left it: migrations up to 0006 and a few entries, with
  // a gap in the ids (a rolled-back insert) and details jsonb reorders.
  const h = await open();
  try {
    await migrate(h.db, MIGRATIONS.filter((m) => m.name !== "0008_audit_chain"));
    await sql`insert into audit_log (id, project_id, actor_type, actor_id, action, object_type, object_id, outcome, source_ip, detail, created_at) values
      (1, null, 'anonymous', 'anonymous', 'auth.login', 'user', null, 'denied', '127.0.0.1', ${JSON.stringify({ email: "x@example.com" })}::jsonb, '2026-01-01T00:00:00.123Z'),
      (2, '00000000-0000-4000-8000-000000000001', 'user', 'u1', 'ca.create', 'ca', 'c1', 'success', null, ${JSON.stringify({ zeta: 1, alpha: [1, 2.5, "ü"], nested: { b: true, a: null } })}::jsonb, '2026-01-01T00:00:01Z'),
      (5, null, 'user', 'u1', 'user.create', 'user', 'u2', 'success', '::1', '{}'::jsonb, '2026-01-01T00:00:02Z')`.execute(h.db);
    await sql`select setval('audit_log_id_seq', 5)`.execute(h.db);
  } finally {
    await h.close();
  }
  s = await start();
});
afterAll(async () => {
  await s?.close();
  await db?.drop();
  await rm(cliDir, { recursive: true, force: true });
});

describe("ok/ the hash chain", () => {
  it("the migration chained the entries written before it; new entries follow them", async () => {
    const r = await s.api("GET", "/api/v1/audit-log?order=asc&limit=10", { token: s.adminToken });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const [a, b, c, d] = r.body.auditLogs;
    expect([a.id, b.id, c.id, d.id]).toEqual(["1", "2", "5", "6"]);
    expect(a.prevHash).toBe(GENESIS_HASH);
    expect(b.prevHash).toBe(a.hash);
    expect(c.prevHash).toBe(b.hash);
    expect(d.prevHash).toBe(c.hash);
    // The hash is the documented encoding (docs/security.md), recomputed here.
    for (const e of [a, b, c, d]) expect(entryHash(e)).toBe(e.hash);
    expect(b.detail).toEqual({ zeta: 1, alpha: [1, 2.5, "ü"], nested: { b: true, a: null } });
  });

  it("stamp audit verify: exit 0 on a normal run, printing the head; --expect checks a recorded entry", async () => {
    await s.api("POST", "/api/v1/projects", { token: s.adminToken, body: { name: "chained" } });
    const ok = await verify();
    expect(ok.code, ok.stderr + ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/audit log intact: \d+ entries checked/);
    const head = /head: (\d+:[0-9a-f]{64})/.exec(ok.stdout)![1];
    const again = await verify(["--expect", head]);
    expect(again.code, again.stderr).toBe(0);
    const wrong = await verify(["--expect", `${head.split(":")[0]}:${"a".repeat(64)}`]);
    expect(wrong.code).toBe(7);
    expect(wrong.stderr).toContain(`entry ${head.split(":")[0]} has hash`);
    expect((await verify(["--expect", "nonsense"])).code).toBe(2);
  });

  it("stamp audit list: a project's log, and the whole server's with --server", async () => {
    await verify();
    const project = await runStamp(["audit", "list", "--project", "chained"], { config: config() });
    expect(project.code, project.stderr).toBe(0);
    expect(project.stdout).toMatch(/^ID\s+TIME\s+OUTCOME\s+ACTION\s+ACTOR\s+OBJECT\n/);
    expect(project.stdout).toContain("project.create");
    expect(project.stdout).not.toContain("auth.login");
    const server = await runStamp(["audit", "list", "--server", "--project", "none", "--outcome", "denied", "--all", "--json"], { config: config() });
    expect(server.code, server.stderr).toBe(0);
    const entries = JSON.parse(server.stdout).auditLogs as { id: string; projectId: string | null; action: string }[];
    expect(entries.map((e) => e.id)).toContain("1");
    expect(entries.every((e) => e.projectId === null)).toBe(true);
    const bad = await runStamp(["audit", "list", "--outcome", "maybe"], { config: config() });
    expect(bad.code).toBe(2);
  });

  it.skipIf(dbKind !== "postgres")("two servers on one PostgreSQL append one chain", async () => {
    const at = shift;
    const s2 = await startServer({ db, rt: { clock: () => new Date(Date.now() + at) } });
    try {
      const create = (srv: TestServer, i: number) => srv.api("POST", "/api/v1/projects", { token: srv.adminToken, body: { name: `concurrent-${i}` } });
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => create(i % 2 ? s : s2, i)));
      expect(answers.map((x) => x.status)).toEqual(Array(40).fill(200));
      const r = await verify();
      expect(r.code, r.stderr).toBe(0);
      const created = await s.api("GET", "/api/v1/audit-log?action=project.create&limit=100", { token: s.adminToken });
      expect(created.body.auditLogs.filter((e: { detail: { name?: string } }) => e.detail.name?.startsWith("concurrent-"))).toHaveLength(40);
    } finally {
      await s2.close();
    }
  });
});

describe("fail/ stamp audit verify finds what the table's owner changed with the trigger off", () => {
  it("an edited field: names the entry and exits 7; restoring it makes the chain whole again", async () => {
    let target!: Row;
    await tamper(async (h) => {
      target = (await rows(h))[3];
      await sql`update audit_log set action = 'forged.action' where id = ${target.id}::bigint`.execute(h.db);
    });
    const r = await verify();
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`entry ${target.id} was changed after it was written`);
    await tamper((h) => sql`update audit_log set action = ${target.action} where id = ${target.id}::bigint`.execute(h.db));
    expect((await verify()).code).toBe(0);
  });

  it("a changed detail, even with the hash recomputed for it: the next entry no longer follows", async () => {
    let target!: Row;
    let next!: Row;
    await tamper(async (h) => {
      const all = await rows(h);
      [target, next] = [all[4], all[5]];
      const full = (await sql<Record<string, any>>`select * from audit_log where id = ${target.id}::bigint`.execute(h.db)).rows[0];
      const forged = { ...(full.detail as object), forged: true };
      const hash = entryHash({ id: target.id, prevHash: full.prev_hash, projectId: full.project_id, actorType: full.actor_type, actorId: full.actor_id, action: full.action, objectType: full.object_type, objectId: full.object_id, outcome: full.outcome, sourceIp: full.source_ip, createdAt: new Date(full.created_at).toISOString(), detail: forged });
      await sql`update audit_log set detail = ${JSON.stringify(forged)}::jsonb, hash = ${hash} where id = ${target.id}::bigint`.execute(h.db);
    });
    const r = await verify();
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`entry ${next.id} does not follow entry ${target.id}`);
    await tamper(async (h) => {
      const full = (await sql<Record<string, any>>`select * from audit_log where id = ${target.id}::bigint`.execute(h.db)).rows[0];
      const { forged: _f, ...detail } = full.detail as Record<string, unknown>;
      const hash = entryHash({ id: target.id, prevHash: full.prev_hash, projectId: full.project_id, actorType: full.actor_type, actorId: full.actor_id, action: full.action, objectType: full.object_type, objectId: full.object_id, outcome: full.outcome, sourceIp: full.source_ip, createdAt: new Date(full.created_at).toISOString(), detail });
      await sql`update audit_log set detail = ${JSON.stringify(detail)}::jsonb, hash = ${hash} where id = ${target.id}::bigint`.execute(h.db);
    });
    expect((await verify()).code).toBe(0);
  });

  it("a deleted entry: the one after it no longer follows", async () => {
    let saved!: Record<string, unknown>;
    let before!: Row;
    let after!: Row;
    await tamper(async (h) => {
      const all = await rows(h);
      [before, after] = [all[5], all[7]];
      saved = (await sql<Record<string, unknown>>`select * from audit_log where id = ${all[6].id}::bigint`.execute(h.db)).rows[0];
      await sql`delete from audit_log where id = ${all[6].id}::bigint`.execute(h.db);
    });
    const r = await verify();
    expect(r.code).toBe(7);
    expect(r.stderr).toContain(`entry ${after.id} does not follow entry ${before.id}`);
    await tamper((h) => h.db.insertInto("audit_log").values({ ...(saved as any), detail: JSON.stringify(saved.detail) }).execute());
    expect((await verify()).code).toBe(0);
  });

  it("reordered entries (two ids swapped) and an inserted entry", async () => {
    let a!: Row;
    await tamper(async (h) => {
      const all = await rows(h);
      a = all[2];
      const b = all[3];
      await sql`update audit_log set id = -1 where id = ${a.id}::bigint`.execute(h.db);
      await sql`update audit_log set id = ${a.id}::bigint where id = ${b.id}::bigint`.execute(h.db);
      await sql`update audit_log set id = ${b.id}::bigint where id = -1`.execute(h.db);
    });
    const swapped = await verify();
    expect(swapped.code).toBe(7);
    expect(swapped.stderr).toContain(`entry ${a.id} `);

    await tamper(async (h) => {
      const all = await rows(h);
      // Put the pair back, then slip a forged entry in after the chain's end.
      await sql`update audit_log set id = -1 where id = ${all[2].id}::bigint`.execute(h.db);
      await sql`update audit_log set id = ${all[2].id}::bigint where id = ${all[3].id}::bigint`.execute(h.db);
      await sql`update audit_log set id = ${all[3].id}::bigint where id = -1`.execute(h.db);
    });
    expect((await verify()).code).toBe(0);
    let forgedId = "";
    await tamper(async (h) => {
      const last = (await rows(h)).at(-1)!;
      // Well past the head, so the server's own next appends do not collide with it.
      forgedId = String(BigInt(last.id) + 1000n);
      await sql`insert into audit_log (id, actor_type, actor_id, action, object_type, outcome, detail, created_at, prev_hash, hash) values (${forgedId}::bigint, 'user', 'u', 'forged', 'x', 'success', '{}'::jsonb, now(), ${GENESIS_HASH}, ${"b".repeat(64)})`.execute(h.db);
    });
    const inserted = await verify();
    expect(inserted.code).toBe(7);
    expect(inserted.stderr).toContain(`entry ${forgedId} does not follow`);
  });
});
