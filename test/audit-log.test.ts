import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type Db } from "../src/server/store/db.js";
import { freshDatabase, startServer, type TestServer } from "./helpers/harness.js";

// The project audit log through the API (entries, order, filters, keyset pages, who may read
// it), then the database itself refusing to change what was written.

const CA = "/api/v1/cert-manager/ca/internal";
let db: Awaited<ReturnType<typeof freshDatabase>>;
let s: TestServer;
let stopped = false;
const ids: Record<string, string> = {};
let viewerToken = "";

beforeAll(async () => {
  db = await freshDatabase();
  // The viewer creates a project of its own below: open project creation to every user.
  s = await startServer({ db, env: { STAMP_PROJECT_CREATION: "users" } });
});
afterAll(async () => {
  if (!stopped) await s?.close();
  await db?.drop();
});

type Entry = { id: string; actorType: string; actorId: string; action: string; objectType: string; objectId: string | null; outcome: string; sourceIp: string | null; detail: Record<string, unknown>; createdAt: string };
const logs = async (query = "", token = s.adminToken) => s.api<{ auditLogs: Entry[]; nextCursor: string | null }>("GET", `/api/v1/projects/${ids.project}/audit-logs${query}`, { token });

describe("ok/ audit log", () => {
  it("records logins, project and identity changes, CA creation and a refused CA creation", async () => {
    ids.admin = (await s.api("GET", "/api/v1/auth/me", { token: s.adminToken })).body.id;
    const p = await s.api("POST", "/api/v1/projects", { token: s.adminToken, body: { name: "audited" } });
    ids.project = p.body.project.id;
    const viewer = await s.api("POST", "/api/v1/users", { token: s.adminToken, body: { email: "viewer@example.com", password: "viewer's long password" } });
    ids.viewer = viewer.body.user.id;
    expect((await s.api("POST", `/api/v1/projects/${ids.project}/memberships`, { token: s.adminToken, body: { email: "viewer@example.com", role: "viewer" } })).status).toBe(200);
    viewerToken = (await s.api("POST", "/api/v1/auth/login", { body: { email: "viewer@example.com", password: "viewer's long password" } })).body.accessToken;

    const ident = await s.api("POST", "/api/v1/identities", { token: s.adminToken, body: { projectId: ids.project, name: "robot", role: "admin" } });
    ids.identity = ident.body.identity.id;
    const secret = await s.api("POST", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets`, { token: s.adminToken, body: {} });
    const ok = await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ident.body.identity.clientId, clientSecret: secret.body.clientSecret } });
    expect(ok.status).toBe(200);
    const bad = await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ident.body.identity.clientId, clientSecret: "f".repeat(64) } });
    expect(bad.status).toBe(401);

    const before = new Date(Date.now() - 1000).toISOString();
    ids.beforeCa = before;
    const cfg = { type: "root", commonName: "x", keyAlgorithm: "EC_prime256v1" };
    const ca = await s.api("POST", CA, { token: ok.body.accessToken, body: { projectId: ids.project, name: "root", configuration: cfg } });
    expect(ca.status, JSON.stringify(ca.body)).toBe(200);
    ids.ca = ca.body.id;
    const dup = await s.api("POST", CA, { token: s.adminToken, body: { projectId: ids.project, name: "root", configuration: cfg } });
    expect(dup.status).toBe(422);
    // A viewer is refused (403), and the refusal is audited in the project's log.
    expect((await s.api("POST", CA, { token: viewerToken, body: { projectId: ids.project, name: "v", configuration: cfg } })).status).toBe(403);

    const all = await logs();
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    const e = all.body.auditLogs;
    expect(e.map((x) => `${x.action}:${x.outcome}`)).toEqual([
      `POST ${CA}:denied`,
      "ca.create:failure",
      "ca.create:success",
      "auth.universal-auth.login:denied",
      "auth.universal-auth.login:success",
      "identity.client-secret.create:success",
      "identity.create:success",
      "membership.upsert:success",
      "project.create:success",
    ]);
    // Newest first, by id and by time.
    for (let i = 1; i < e.length; i++) {
      expect(BigInt(e[i - 1].id) > BigInt(e[i].id)).toBe(true);
      expect(Date.parse(e[i - 1].createdAt)).toBeGreaterThanOrEqual(Date.parse(e[i].createdAt));
    }
    for (const x of e) {
      expect(x.sourceIp).toMatch(/^(::ffff:)?127\.0\.0\.1$/);
      expect(Math.abs(Date.parse(x.createdAt) - Date.now())).toBeLessThan(120_000);
    }
    expect(e[0]).toMatchObject({ actorType: "user", actorId: ids.viewer, objectType: "project", objectId: ids.project, detail: { need: "admin", role: "viewer" } });
    e.shift();
    expect(e[0]).toMatchObject({ actorType: "user", actorId: ids.admin, objectType: "ca", objectId: null, detail: { name: "root", violations: ["duplicate"] } });
    expect(e[1]).toMatchObject({ actorType: "identity", actorId: ids.identity, objectType: "ca", objectId: ids.ca, detail: { keyAlgorithm: "EC_prime256v1", type: "root" } });
    expect(e[2]).toMatchObject({ actorType: "identity", actorId: ids.identity, objectType: "identity", objectId: ids.identity });
    expect(e[3].detail).toEqual({ clientSecretId: secret.body.clientSecretData.id });
    expect(e[6]).toMatchObject({ actorType: "user", actorId: ids.admin, objectType: "membership", detail: { principalType: "user", email: "viewer@example.com", role: "viewer" } });
    expect(e[7]).toMatchObject({ actorType: "user", actorId: ids.admin, objectType: "project", objectId: ids.project, detail: { name: "audited" } });
    // No secret is ever written to the log.
    expect(JSON.stringify(all.body)).not.toContain(secret.body.clientSecret);
    expect(JSON.stringify(all.body)).not.toContain("viewer's long password");
  });

  it("filters by action, outcome, actorId, objectId and time", async () => {
    const act = async (q: string) => (await logs(q)).body.auditLogs.map((x) => `${x.action}:${x.outcome}`);
    expect(await act("?action=ca.create")).toEqual(["ca.create:failure", "ca.create:success"]);
    expect(await act("?outcome=failure")).toEqual(["ca.create:failure"]);
    expect(await act("?outcome=denied")).toEqual([`POST ${CA}:denied`, "auth.universal-auth.login:denied"]);
    expect(await act(`?actorId=${ids.identity}`)).toEqual(["ca.create:success", "auth.universal-auth.login:denied", "auth.universal-auth.login:success"]);
    expect(await act(`?actorId=${ids.identity}&outcome=success&action=ca.create`)).toEqual(["ca.create:success"]);
    expect(await act(`?objectId=${ids.ca}`)).toEqual(["ca.create:success"]);
    expect(await act(`?from=${encodeURIComponent(ids.beforeCa)}&action=ca.create`)).toHaveLength(2);
    expect(await act(`?to=${encodeURIComponent(new Date(Date.now() - 3600_000).toISOString())}`)).toEqual([]);
    expect(await act(`?actorId=nobody`)).toEqual([]);
  });

  it("walks every entry with limit=2 and the cursor, without duplicates", async () => {
    const all = (await logs()).body.auditLogs.map((x) => x.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await logs(`?limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      expect(r.body.auditLogs.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.auditLogs.map((x) => x.id));
      cursor = r.body.nextCursor;
      expect(++pages).toBeLessThan(20);
    } while (cursor);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);
    // Filters and the cursor combine.
    const first = await logs("?limit=1&action=ca.create");
    const second = await logs(`?limit=1&action=ca.create&cursor=${first.body.nextCursor}`);
    expect([first.body.auditLogs[0].outcome, second.body.auditLogs[0].outcome]).toEqual(["failure", "success"]);
  });
});

describe("ok/ refusals past the role check are audited too", () => {
  it("a membership narrowed to another profile, and a profile with API enrollment off", async () => {
    const t = s.adminToken;
    const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: ids.project, name: "web", preset: "tls-server" } });
    const mk = (slug: string, extra = {}) => s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: ids.project, slug, templateId: tpl.body.certificateTemplate.id, caId: ids.ca, ...extra } });
    const web = (await mk("web")).body.certificateProfile;
    const other = (await mk("other")).body.certificateProfile;
    const acmeOnly = (await mk("acme-only", { enrollmentMethods: ["acme"] })).body.certificateProfile;
    expect(web && other && acmeOnly).toBeTruthy();
    const narrow = await s.api("POST", "/api/v1/users", { token: t, body: { email: "narrow@example.com", password: "narrow's long password" } });
    await s.api("POST", `/api/v1/projects/${ids.project}/memberships`, { token: t, body: { email: "narrow@example.com", role: "member", profiles: ["other"] } });
    const nt = (await s.api("POST", "/api/v1/auth/login", { body: { email: "narrow@example.com", password: "narrow's long password" } })).body.accessToken;
    const issue = (profileId: string, token: string) => s.api("POST", "/api/v1/cert-manager/certificates", { token, body: { profileId, attributes: { commonName: "x.example.com" } } });
    expect((await issue(web.id, nt)).status).toBe(403);
    expect((await issue(acmeOnly.id, t)).status).toBe(403);
    const denied = (await logs(`?outcome=denied&action=${encodeURIComponent("POST /api/v1/cert-manager/certificates")}`)).body.auditLogs;
    expect(denied).toHaveLength(2);
    expect(denied[1]).toMatchObject({ actorId: narrow.body.user.id, objectType: "certificate-profile", objectId: web.id, detail: { profile: "web", reason: "membership limited to other profiles" } });
    expect(denied[0]).toMatchObject({ actorId: ids.admin, objectType: "certificate-profile", objectId: acmeOnly.id, detail: { reason: "API enrollment is off" } });
  });
});

describe("ok/ the server-wide audit log (server admins)", () => {
  type ServerEntry = Entry & { projectId: string | null; prevHash: string; hash: string };
  const server = async (query = "", token = s.adminToken) => s.api<{ auditLogs: ServerEntry[]; nextCursor: string | null; chainHead: { id: string | null; hash: string | null } }>("GET", `/api/v1/audit-log${query}`, { token });

  it("shows failed logins, which belong to no project, with every project's entries", async () => {
    const failed = await s.api("POST", "/api/v1/auth/login", { body: { email: "viewer@example.com", password: "not the viewer's password" } });
    expect(failed.status).toBe(401);
    const logins = await server("?projectId=none&action=auth.login&outcome=denied");
    expect(logins.status, JSON.stringify(logins.body)).toBe(200);
    expect(logins.body.auditLogs[0]).toMatchObject({ projectId: null, actorType: "anonymous", objectType: "user", objectId: ids.viewer, outcome: "denied", detail: { email: "viewer@example.com" } });
    expect(JSON.stringify(logins.body)).not.toContain("not the viewer's password");
    const all = await server("?limit=500");
    const projects = new Set(all.body.auditLogs.map((e) => e.projectId));
    expect(projects.has(null) && projects.has(ids.project)).toBe(true);
    // One project's entries are the project's own view, with their place in the chain.
    const one = await server(`?projectId=${ids.project}&limit=500`);
    expect(one.body.auditLogs.map((e) => e.id)).toEqual((await logs("?limit=500")).body.auditLogs.map((e) => e.id));
    for (const e of one.body.auditLogs) expect(e.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it("order=asc walks the chain oldest first: each entry names the previous one's hash; the head is the newest", async () => {
    const seen: ServerEntry[] = [];
    let cursor = "";
    let head: { id: string | null; hash: string | null } = { id: null, hash: null };
    for (let i = 0; i < 50; i++) {
      const r = await server(`?order=asc&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(r.status).toBe(200);
      if (!cursor) head = r.body.chainHead;
      seen.push(...r.body.auditLogs);
      if (!r.body.nextCursor) break;
      cursor = r.body.nextCursor;
    }
    expect(seen.length).toBeGreaterThan(10);
    expect(seen[0].prevHash).toBe("0".repeat(64));
    for (let i = 1; i < seen.length; i++) {
      expect(BigInt(seen[i].id)).toBe(BigInt(seen[i - 1].id) + 1n);
      expect(seen[i].prevHash).toBe(seen[i - 1].hash);
    }
    expect(seen.find((e) => e.id === head.id)?.hash).toBe(head.hash);
  });

  it("anyone but a server admin gets 403, and the refusal is itself audited server-wide", async () => {
    expect((await server("", viewerToken)).status).toBe(403);
    expect((await server("", "")).status).toBe(401);
    const refused = await server(`?projectId=none&outcome=denied&actorId=${ids.viewer}&action=${encodeURIComponent("GET /api/v1/audit-log")}`);
    expect(refused.body.auditLogs).toHaveLength(1);
    expect(refused.body.auditLogs[0]).toMatchObject({ projectId: null, actorType: "user", objectType: "audit-log", detail: { need: "server admin" } });
    for (const bad of ["?order=sideways", "?projectId=abc", "?cursor=x", "?limit=501"]) expect((await server(bad)).status, bad).toBe(400);
  });
});

describe("fail/ audit log", () => {
  it("a viewer gets 403, anonymous 401, another project's caller 404; bad queries 400", async () => {
    expect((await logs("", viewerToken)).status).toBe(403);
    expect((await logs("", "")).status).toBe(401);
    const other = await s.api("POST", "/api/v1/projects", { token: viewerToken, body: { name: "viewer's own" } });
    expect((await s.api("GET", `/api/v1/projects/${other.body.project.id}/audit-logs`, { token: s.adminToken })).status).toBe(404);
    expect((await logs("?cursor=abc")).status).toBe(400);
    expect((await logs("?limit=0")).status).toBe(400);
    expect((await logs("?limit=501")).status).toBe(400);
    expect((await logs("?outcome=maybe")).status).toBe(400);
    expect((await logs("?from=yesterday")).status).toBe(400);
  });

  it("the table is append-only: UPDATE, DELETE and TRUNCATE raise errors, nothing changes", async () => {
    const before = (await logs("?limit=500")).body.auditLogs;
    await s.close();
    stopped = true;
    const h: Db = await openDb(db.databaseUrl ? { kind: "postgres", url: db.databaseUrl } : { kind: "pglite", dataDir: `${db.dataDir}/db` });
    try {
      const count = async () => Number((await sql<{ n: string }>`select count(*) as n from audit_log`.execute(h.db)).rows[0].n);
      const n = await count();
      expect(n).toBeGreaterThanOrEqual(before.length);
      await expect(sql`update audit_log set outcome = 'success' where outcome <> 'success'`.execute(h.db)).rejects.toThrow(/append-only/);
      await expect(sql`delete from audit_log`.execute(h.db)).rejects.toThrow(/append-only/);
      await expect(sql`truncate audit_log`.execute(h.db)).rejects.toThrow(/append-only/);
      await expect(h.db.deleteFrom("audit_log").where("id", "=", before[0].id).execute()).rejects.toThrow(/append-only/);
      await expect(h.db.updateTable("audit_log").set({ action: "forged" }).where("id", "=", before[0].id).execute()).rejects.toThrow(/append-only/);
      expect(await count()).toBe(n);
      const rows = await h.db.selectFrom("audit_log").select(["id", "action", "outcome"]).where("project_id", "=", ids.project).orderBy("id", "desc").execute();
      expect(rows.map((r) => `${r.id}:${r.action}:${r.outcome}`)).toEqual(before.map((x) => `${x.id}:${x.action}:${x.outcome}`));
    } finally {
      await h.close();
    }
  });
});
