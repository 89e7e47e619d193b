import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, startServer, type TestServer } from "./helpers/harness.js";

// Who may create projects (a server setting; server admins only by default) and adding
// members by email without telling a project admin whether an account exists.

let db: Awaited<ReturnType<typeof freshDatabase>>;
let s: TestServer;
const tokens: Record<string, string> = {};
const PW = "a long enough password";

async function user(email: string) {
  const r = await s.api("POST", "/api/v1/users", { token: s.adminToken, body: { email, password: PW } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  const login = await s.api("POST", "/api/v1/auth/login", { body: { email, password: PW } });
  expect(login.status, JSON.stringify(login.body)).toBe(200);
  return login.body.accessToken as string;
}

beforeAll(async () => {
  db = await freshDatabase();
  s = await startServer({ db });
  tokens.pat = await user("pat@example.com");
  tokens.quinn = await user("quinn@example.com");
  const ident = await s.api("POST", "/api/v1/identities", { token: s.adminToken, body: { projectId: s.defaultProjectId, name: "pc-robot", role: "admin" } });
  const sec = await s.api("POST", `/api/v1/identities/${ident.body.identity.id}/universal-auth/client-secrets`, { token: s.adminToken, body: {} });
  tokens.robot = (await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ident.body.identity.clientId, clientSecret: sec.body.clientSecret } })).body.accessToken;
});
afterAll(async () => {
  await s?.close();
  await db?.drop();
});

describe("project creation", () => {
  it("fail/ by default a user who is not a server admin gets 403 that says how to open it", async () => {
    const r = await s.api("POST", "/api/v1/projects", { token: tokens.pat, body: { name: "pat's own" } });
    expect(r.status, JSON.stringify(r.body)).toBe(403);
    expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(r.body.detail).toContain("--project-creation users");
    expect(r.body.detail).toContain("STAMP_PROJECT_CREATION");
    expect((await s.api("GET", "/api/v1/projects", { token: tokens.pat })).body.projects).toEqual([]);
  });
  it("fail/ a machine identity never creates projects, even a project admin one", async () => {
    expect((await s.api("POST", "/api/v1/projects", { token: tokens.robot, body: { name: "robot's own" } })).status).toBe(403);
  });
  it("ok/ a server admin creates projects", async () => {
    const r = await s.api("POST", "/api/v1/projects", { token: s.adminToken, body: { name: "team-a" } });
    expect(r.status).toBe(200);
    expect(r.body.project).toMatchObject({ name: "team-a", role: "admin" });
  });
  it("ok/ with --project-creation users every user may; machine identities still may not", async () => {
    const open = await startServer({ env: { STAMP_PROJECT_CREATION: "users" } });
    try {
      await open.api("POST", "/api/v1/users", { token: open.adminToken, body: { email: "sam@example.com", password: PW } });
      const sam = (await open.api("POST", "/api/v1/auth/login", { body: { email: "sam@example.com", password: PW } })).body.accessToken;
      const r = await open.api("POST", "/api/v1/projects", { token: sam, body: { name: "sam's own" } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.project.role).toBe("admin");
    } finally {
      await open.close();
    }
  });
});

describe("adding a member by email", () => {
  let project = "";
  const add = (email: string, role = "member", token = tokens.pat) => s.api("POST", `/api/v1/projects/${project}/memberships`, { token, body: { email, role } });
  /** A membership with its id and time taken out: what must not differ between the two cases. */
  const shape = (m: Record<string, unknown>) => ({ ...m, id: typeof m.id, createdAt: typeof m.createdAt, email: typeof m.email });

  beforeAll(async () => {
    project = (await s.api("POST", "/api/v1/projects", { token: s.adminToken, body: { name: "team-b" } })).body.project.id;
    expect((await s.api("POST", `/api/v1/projects/${project}/memberships`, { token: s.adminToken, body: { email: "pat@example.com", role: "admin" } })).status).toBe(200);
  });

  it("ok/ an existing account and an unknown email answer the same status and body shape", async () => {
    const known = await add("Quinn@Example.com");
    const unknown = await add("Ghost@Example.com");
    expect([known.status, unknown.status]).toEqual([200, 200]);
    expect(Object.keys(unknown.body.membership).sort()).toEqual(Object.keys(known.body.membership).sort());
    expect(shape(unknown.body.membership)).toEqual(shape(known.body.membership));
    expect(known.body.membership).toMatchObject({ principalType: "user", email: "quinn@example.com", role: "member" });
    expect(unknown.body.membership).toMatchObject({ principalType: "user", email: "ghost@example.com", role: "member" });
    expect(known.body.membership).not.toHaveProperty("principalId");
    // Same headers apart from the date and length.
    const heads = (h: Headers) => [...h.keys()].filter((k) => !["date", "content-length"].includes(k)).sort();
    expect(heads(unknown.headers)).toEqual(heads(known.headers));
  });

  it("ok/ the member list and the audit log show both alike", async () => {
    const list = (await s.api("GET", `/api/v1/projects/${project}/memberships`, { token: tokens.pat })).body.memberships;
    const q = list.find((m: { email?: string }) => m.email === "quinn@example.com");
    const g = list.find((m: { email?: string }) => m.email === "ghost@example.com");
    expect(shape(g)).toEqual(shape(q));
    const log = (await s.api("GET", `/api/v1/projects/${project}/audit-logs?action=membership.upsert`, { token: tokens.pat })).body.auditLogs;
    const details = log.map((e: { detail: Record<string, unknown> }) => e.detail).filter((d: { email?: string }) => d.email === "quinn@example.com" || d.email === "ghost@example.com");
    expect(details).toHaveLength(2);
    expect(Object.keys(details[0]).sort()).toEqual(Object.keys(details[1]).sort());
    expect(JSON.stringify(log)).not.toContain((await s.api("GET", "/api/v1/auth/me", { token: tokens.quinn })).body.id);
  });

  it("ok/ changing the role and the last-admin rule answer alike for both", async () => {
    expect((await add("ghost@example.com", "viewer")).body.membership.role).toBe("viewer");
    expect((await add("quinn@example.com", "viewer")).body.membership.role).toBe("viewer");
  });

  it("ok/ the invitation becomes a membership (same id) when a server admin creates that user", async () => {
    const before = (await s.api("GET", `/api/v1/projects/${project}/memberships`, { token: tokens.pat })).body.memberships.find((m: { email?: string }) => m.email === "ghost@example.com");
    const ghost = await user("ghost@example.com");
    const projects = (await s.api("GET", "/api/v1/projects", { token: ghost })).body.projects;
    expect(projects).toEqual([expect.objectContaining({ id: project, role: "viewer" })]);
    const after = (await s.api("GET", `/api/v1/projects/${project}/memberships`, { token: tokens.pat })).body.memberships.find((m: { email?: string }) => m.email === "ghost@example.com");
    expect(after).toEqual(before);
    // A viewer reads, and may not manage members.
    expect((await s.api("GET", `/api/v1/projects/${project}`, { token: ghost })).status).toBe(200);
    expect((await s.api("GET", `/api/v1/projects/${project}/memberships`, { token: ghost })).status).toBe(403);
  });

  it("ok/ an invitation is removed like a membership; removing it again is 404", async () => {
    const inv = (await add("nobody-yet@example.com")).body.membership;
    expect((await s.api("DELETE", `/api/v1/projects/${project}/memberships/${inv.id}`, { token: tokens.pat })).status).toBe(204);
    expect((await s.api("DELETE", `/api/v1/projects/${project}/memberships/${inv.id}`, { token: tokens.pat })).status).toBe(404);
    await user("nobody-yet@example.com").then(async (t) => expect((await s.api("GET", "/api/v1/projects", { token: t })).body.projects).toEqual([]));
  });

  it("ok/ an invited admin counts as an admin, like an existing one: the last real admin may step down", async () => {
    const p = (await s.api("POST", "/api/v1/projects", { token: s.adminToken, body: { name: "team-c" } })).body.project.id;
    const addTo = (email: string, role: string) => s.api("POST", `/api/v1/projects/${p}/memberships`, { token: s.adminToken, body: { email, role } });
    expect((await addTo("future-admin@example.com", "admin")).status).toBe(200);
    const down = await addTo("admin@example.com", "viewer");
    expect(down.status, JSON.stringify(down.body)).toBe(200);
  });
});
