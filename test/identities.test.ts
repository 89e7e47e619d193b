import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_EMAIL, dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";
import type { Runtime } from "../src/server/ra/context.js";

// Users, projects, memberships and machine identities (Infisical-style universal auth),
// driven through the real HTTP API. Later tests build on earlier ones (one server, one database).
// Every user login from 127.0.0.1 counts against the per-address limit (10 per 5 min): keep few.

let db: Awaited<ReturnType<typeof freshDatabase>>;
let s: TestServer;
const others: TestServer[] = [];
const closed = new Set<TestServer>();
const closeOnce = async (x: TestServer) => {
  if (closed.has(x)) return;
  closed.add(x);
  await x.close();
};
// Every user may create projects here (--project-creation users); test/project-creation.test.ts
// covers the default, where only server admins may.
const OPEN = { STAMP_PROJECT_CREATION: "users" };
beforeAll(async () => {
  db = await freshDatabase();
  s = await startServer({ db, env: OPEN });
});
afterAll(async () => {
  for (const o of others) await closeOnce(o).catch(() => {});
  if (s) await closeOnce(s).catch(() => {});
  await db?.drop();
});

/** The raw response text, for asserting on what crosses the wire. */
async function raw(srv: TestServer, method: string, path: string, token: string, body?: unknown) {
  const res = await fetch(srv.url + path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const ALICE = { email: "Alice@Example.com", password: "alice's long password" };
const BOB = { email: "bob@example.com", password: "bob's long password!" };
const ids: Record<string, string> = {};
const tokens: Record<string, string> = {};

describe("ok/ users", () => {
  it("the admin logs in and /auth/me names it", async () => {
    const me = await s.api("GET", "/api/v1/auth/me", { token: s.adminToken });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ type: "user", label: ADMIN_EMAIL, isServerAdmin: true });
    ids.admin = me.body.id;
  });

  it("a server admin creates users; they log in with the email in any case", async () => {
    for (const [k, u] of [["alice", ALICE], ["bob", BOB]] as const) {
      const r = await s.api("POST", "/api/v1/users", { token: s.adminToken, body: u });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expect(r.body.user).toMatchObject({ email: u.email.toLowerCase(), isServerAdmin: false });
      expect(JSON.stringify(r.body)).not.toContain(u.password);
      ids[k] = r.body.user.id;
    }
    const login = await s.api("POST", "/api/v1/auth/login", { body: { email: "ALICE@example.com", password: ALICE.password } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body).toMatchObject({ tokenType: "Bearer", expiresIn: 3600 });
    tokens.alice = login.body.accessToken;
    const me = await s.api("GET", "/api/v1/auth/me", { token: tokens.alice });
    expect(me.body).toEqual({ type: "user", id: ids.alice, label: "alice@example.com", isServerAdmin: false });
    const bob = await s.api("POST", "/api/v1/auth/login", { body: BOB });
    expect(bob.status).toBe(200);
    tokens.bob = bob.body.accessToken;
  });
});

describe("fail/ users", () => {
  it("a non-admin cannot create users (403); a duplicate email is 409; a wrong password is 401", async () => {
    const r = await s.api("POST", "/api/v1/users", { token: tokens.alice, body: { email: "carol@example.com", password: "carol's long password" } });
    expect(r.status).toBe(403);
    const dup = await s.api("POST", "/api/v1/users", { token: s.adminToken, body: { email: "ALICE@example.com", password: "another long password" } });
    expect(dup.status).toBe(409);
    const anon = await s.api("POST", "/api/v1/users", { body: { email: "carol@example.com", password: "carol's long password" } });
    expect(anon.status).toBe(401);
    const short = await s.api("POST", "/api/v1/users", { token: s.adminToken, body: { email: "carol@example.com", password: "short" } });
    expect(short.status).toBe(400);
    const wrong = await s.api("POST", "/api/v1/auth/login", { body: { email: ALICE.email, password: "not the password" } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("www-authenticate")).toMatch(/^Bearer/);
    const me = await s.api("GET", "/api/v1/auth/me");
    expect(me.status).toBe(401);
  });
});

describe("ok/ projects and memberships", () => {
  it("creates a project whose creator is admin; each caller lists only its own projects", async () => {
    const p = await s.api("POST", "/api/v1/projects", { token: tokens.alice, body: { name: "alpha" } });
    expect(p.status, JSON.stringify(p.body)).toBe(200);
    expect(p.body.project).toMatchObject({ name: "alpha", role: "admin" });
    ids.alpha = p.body.project.id;
    const beta = await s.api("POST", "/api/v1/projects", { token: tokens.alice, body: { name: "beta" } });
    ids.beta = beta.body.project.id;

    const mine = await s.api("GET", "/api/v1/projects", { token: tokens.alice });
    expect(mine.body.projects.map((x: { name: string }) => x.name)).toEqual(["alpha", "beta"]);
    const admins = await s.api("GET", "/api/v1/projects", { token: s.adminToken });
    expect(admins.body.projects.map((x: { name: string }) => x.name)).toEqual(["default"]);
    const bobs = await s.api("GET", "/api/v1/projects", { token: tokens.bob });
    expect(bobs.body.projects).toEqual([]);
    // Another project's object is 404, not 403 (house rule 6) — even for a server admin.
    expect((await s.api("GET", `/api/v1/projects/${ids.alpha}`, { token: s.adminToken })).status).toBe(404);
    expect((await s.api("GET", `/api/v1/projects/${ids.alpha}`, { token: tokens.alice })).body.project.role).toBe("admin");
  });

  it("adds a member by email, changes the role, narrows it to profiles", async () => {
    const add = await s.api("POST", `/api/v1/projects/${ids.alpha}/memberships`, { token: tokens.alice, body: { email: "BOB@example.com", role: "member" } });
    expect(add.status, JSON.stringify(add.body)).toBe(200);
    expect(add.body.membership).toMatchObject({ principalType: "user", email: BOB.email, role: "member", profiles: null });
    // Users are named by email, never by account id (an invitation has none).
    expect(add.body.membership).not.toHaveProperty("principalId");
    ids.bobMembership = add.body.membership.id;
    expect((await s.api("GET", `/api/v1/projects/${ids.alpha}`, { token: tokens.bob })).body.project.role).toBe("member");

    const narrowed = await s.api("POST", `/api/v1/projects/${ids.alpha}/memberships`, { token: tokens.alice, body: { email: BOB.email, role: "viewer", profiles: ["web-servers", "mtls"] } });
    expect(narrowed.status, JSON.stringify(narrowed.body)).toBe(200);
    expect(narrowed.body.membership).toMatchObject({ id: ids.bobMembership, role: "viewer", profiles: ["web-servers", "mtls"] });

    const list = await s.api("GET", `/api/v1/projects/${ids.alpha}/memberships`, { token: tokens.alice });
    expect(list.status).toBe(200);
    const bob = list.body.memberships.find((m: { email?: string }) => m.email === BOB.email);
    expect(bob).toMatchObject({ id: ids.bobMembership, email: BOB.email, role: "viewer", profiles: ["web-servers", "mtls"] });
    const alice = list.body.memberships.find((m: { email?: string }) => m.email === "alice@example.com");
    expect(alice).toMatchObject({ email: "alice@example.com", role: "admin", profiles: null });
    ids.aliceMembership = alice.id;
    expect((await s.api("GET", `/api/v1/projects`, { token: tokens.bob })).body.projects).toEqual([expect.objectContaining({ id: ids.alpha, role: "viewer" })]);
  });

  it("never removes or demotes the last admin (409); with a second admin it may", async () => {
    const demote = await s.api("POST", `/api/v1/projects/${ids.alpha}/memberships`, { token: tokens.alice, body: { email: ALICE.email, role: "member" } });
    expect(demote.status).toBe(409);
    const remove = await s.api("DELETE", `/api/v1/projects/${ids.alpha}/memberships/${ids.aliceMembership}`, { token: tokens.alice });
    expect(remove.status).toBe(409);
    expect((await s.api("GET", `/api/v1/projects/${ids.alpha}`, { token: tokens.alice })).body.project.role).toBe("admin");

    // In beta, make bob admin; then alice may step down, and bob (now the last admin) may not.
    const bobAdmin = await s.api("POST", `/api/v1/projects/${ids.beta}/memberships`, { token: tokens.alice, body: { email: BOB.email, role: "admin" } });
    expect(bobAdmin.status).toBe(200);
    const aliceDown = await s.api("POST", `/api/v1/projects/${ids.beta}/memberships`, { token: tokens.alice, body: { email: ALICE.email, role: "viewer" } });
    expect(aliceDown.status, JSON.stringify(aliceDown.body)).toBe(200);
    expect(aliceDown.body.membership.role).toBe("viewer");
    const bobDown = await s.api("POST", `/api/v1/projects/${ids.beta}/memberships`, { token: tokens.bob, body: { email: BOB.email, role: "member" } });
    expect(bobDown.status).toBe(409);
    const bobOut = await s.api("DELETE", `/api/v1/projects/${ids.beta}/memberships/${bobAdmin.body.membership.id}`, { token: tokens.bob });
    expect(bobOut.status).toBe(409);
    // Restore alice as beta admin for the identity tests below.
    expect((await s.api("POST", `/api/v1/projects/${ids.beta}/memberships`, { token: tokens.bob, body: { email: ALICE.email, role: "admin" } })).status).toBe(200);
  });

  it("removes a non-admin membership", async () => {
    const carol = await s.api("POST", "/api/v1/users", { token: s.adminToken, body: { email: "carol@example.com", password: "carol's long password" } });
    const add = await s.api("POST", `/api/v1/projects/${ids.beta}/memberships`, { token: tokens.alice, body: { email: "carol@example.com", role: "member" } });
    expect(add.status).toBe(200);
    const del = await s.api("DELETE", `/api/v1/projects/${ids.beta}/memberships/${add.body.membership.id}`, { token: tokens.alice });
    expect(del.status).toBe(204);
    const list = await s.api("GET", `/api/v1/projects/${ids.beta}/memberships`, { token: tokens.alice });
    expect(carol.status).toBe(200);
    expect(list.body.memberships.map((m: { email?: string }) => m.email)).not.toContain("carol@example.com");
    expect((await s.api("DELETE", `/api/v1/projects/${ids.beta}/memberships/${add.body.membership.id}`, { token: tokens.alice })).status).toBe(404);
  });
});

describe("fail/ projects and memberships", () => {
  it("non-admins cannot manage members; unknown identities are refused; body needs exactly one principal", async () => {
    // bob is a viewer of alpha: reads the project, but not its memberships.
    expect((await s.api("GET", `/api/v1/projects/${ids.alpha}/memberships`, { token: tokens.bob })).status).toBe(403);
    expect((await s.api("POST", `/api/v1/projects/${ids.alpha}/memberships`, { token: tokens.bob, body: { email: BOB.email, role: "admin" } })).status).toBe(403);
    // The server admin is not in alpha at all: 404.
    expect((await s.api("POST", `/api/v1/projects/${ids.alpha}/memberships`, { token: s.adminToken, body: { email: ADMIN_EMAIL, role: "admin" } })).status).toBe(404);
    const both = await s.api("POST", `/api/v1/projects/${ids.alpha}/memberships`, { token: tokens.alice, body: { email: BOB.email, identityId: ids.alice, role: "member" } });
    expect(both.status).toBe(400);
    const neither = await s.api("POST", `/api/v1/projects/${ids.alpha}/memberships`, { token: tokens.alice, body: { role: "member" } });
    expect(neither.status).toBe(400);
    const badRole = await s.api("POST", `/api/v1/projects/${ids.alpha}/memberships`, { token: tokens.alice, body: { email: BOB.email, role: "owner" } });
    expect(badRole.status).toBe(400);
  });
});

describe("ok/ machine identities (universal auth)", () => {
  const seen: string[] = []; // every raw response of the flow
  const rec = (r: { status: number; text: string }) => (seen.push(r.text), { status: r.status, body: r.text ? JSON.parse(r.text) : null });

  it("identity → client secret (shown once) → list by prefix → login → token works", async () => {
    const created = rec(await raw(s, "POST", "/api/v1/identities", tokens.alice, { projectId: ids.alpha, name: "ci-runner", role: "member" }));
    expect(created.status, JSON.stringify(created.body)).toBe(200);
    expect(created.body.identity).toMatchObject({ projectId: ids.alpha, name: "ci-runner", accessTokenTTL: 3600 });
    ids.identity = created.body.identity.id;
    ids.clientId = created.body.identity.clientId;

    const sec1 = rec(await raw(s, "POST", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets`, tokens.alice, { description: "first" }));
    expect(sec1.status, JSON.stringify(sec1.body)).toBe(200);
    const secret1 = sec1.body.clientSecret as string;
    expect(secret1).toMatch(/^[0-9a-f]{64}$/);
    expect(sec1.body.clientSecretData).toMatchObject({ description: "first", clientSecretPrefix: secret1.slice(0, 4), revokedAt: null, expiresAt: null, lastUsedAt: null });
    const sec2 = rec(await raw(s, "POST", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets`, tokens.alice, { description: "second" }));
    const secret2 = sec2.body.clientSecret as string;
    ids.secret1 = sec1.body.clientSecretData.id;
    ids.secret2 = sec2.body.clientSecretData.id;
    tokens.secret1 = secret1;
    tokens.secret2 = secret2;

    const list = rec(await raw(s, "GET", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets`, tokens.alice));
    expect(list.status).toBe(200);
    expect(list.body.clientSecretData.map((x: { id: string }) => x.id).sort()).toEqual([ids.secret1, ids.secret2].sort());
    for (const d of list.body.clientSecretData) expect(Object.keys(d).sort()).toEqual(["clientSecretPrefix", "createdAt", "description", "expiresAt", "id", "lastUsedAt", "revokedAt"]);

    const login = await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ids.clientId, clientSecret: secret1 } });
    expect(login.status, JSON.stringify(login.body)).toBe(200);
    expect(login.body).toEqual({ accessToken: expect.any(String), expiresIn: 3600, tokenType: "Bearer" });
    tokens.identity = login.body.accessToken;

    const projects = await s.api("GET", "/api/v1/projects", { token: tokens.identity });
    expect(projects.status).toBe(200);
    expect(projects.body.projects).toEqual([expect.objectContaining({ id: ids.alpha, role: "member" })]);
    const me = await s.api("GET", "/api/v1/auth/me", { token: tokens.identity });
    expect(me.body).toEqual({ type: "identity", id: ids.identity, label: "ci-runner", isServerAdmin: false });
    // A member identity is not an admin: it cannot mint secrets for itself or see memberships.
    expect((await s.api("POST", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets`, { token: tokens.identity, body: {} })).status).toBe(403);
    expect((await s.api("GET", `/api/v1/projects/${ids.alpha}/memberships`, { token: tokens.identity })).status).toBe(403);

    const used = rec(await raw(s, "GET", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets`, tokens.alice));
    expect(used.body.clientSecretData.find((x: { id: string }) => x.id === ids.secret1).lastUsedAt).not.toBeNull();
    rec(await raw(s, "GET", `/api/v1/identities/${ids.identity}`, tokens.alice));
    rec(await raw(s, "GET", `/api/v1/projects/${ids.alpha}/identities`, tokens.alice));
    rec(await raw(s, "GET", `/api/v1/projects/${ids.alpha}/memberships`, tokens.alice));
    rec(await raw(s, "GET", `/api/v1/projects/${ids.alpha}/audit-logs`, tokens.alice));

    // Neither secret nor its SHA-256 ever appears after the one creation response.
    for (const [secret, createdText] of [[secret1, seen[1]], [secret2, seen[2]]] as const) {
      const hash = createHash("sha256").update(secret).digest("hex");
      for (const text of seen) {
        expect(text.toLowerCase()).not.toContain(hash);
        if (text !== createdText) expect(text).not.toContain(secret);
      }
      expect(createdText).toContain(secret);
    }
  });

  it("the identity is added to another project by identityId", async () => {
    const add = await s.api("POST", `/api/v1/projects/${ids.beta}/memberships`, { token: tokens.alice, body: { identityId: ids.identity, role: "viewer", profiles: ["only-this"] } });
    expect(add.status, JSON.stringify(add.body)).toBe(200);
    expect(add.body.membership).toMatchObject({ principalType: "identity", principalId: ids.identity, identityName: "ci-runner", role: "viewer", profiles: ["only-this"] });
    const list = await s.api("GET", `/api/v1/projects/${ids.beta}/memberships`, { token: tokens.alice });
    expect(list.body.memberships.find((m: { principalId: string }) => m.principalId === ids.identity)).toMatchObject({ identityName: "ci-runner", role: "viewer", profiles: ["only-this"] });
    const projects = await s.api("GET", "/api/v1/projects", { token: tokens.identity });
    expect(projects.body.projects.map((p: { id: string; role: string }) => [p.id, p.role]).sort()).toEqual([[ids.alpha, "member"], [ids.beta, "viewer"]].sort());
    // An admin who does not administer the identity's owning project cannot add it anywhere.
    const foreign = await s.api("POST", `/api/v1/projects/${s.defaultProjectId}/memberships`, { token: s.adminToken, body: { identityId: ids.identity, role: "admin" } });
    expect(foreign.status).toBe(422);
    expect(foreign.body.violations[0]).toMatchObject({ field: "identityId", code: "unknown_identity" });
    // Nor see or manage it.
    expect((await s.api("GET", `/api/v1/identities/${ids.identity}`, { token: s.adminToken })).status).toBe(404);
    expect((await s.api("GET", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets`, { token: s.adminToken })).status).toBe(404);
  });

  it("a revoked secret no longer logs in (401) and its tokens stop working; the other still does", async () => {
    const rev = await s.api("POST", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets/${ids.secret1}/revoke`, { token: tokens.alice });
    expect(rev.status, JSON.stringify(rev.body)).toBe(200);
    expect(rev.body.clientSecretData).toMatchObject({ id: ids.secret1, revokedAt: expect.any(String) });
    expect(JSON.stringify(rev.body)).not.toContain(tokens.secret1);
    const again = await s.api("POST", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets/${ids.secret1}/revoke`, { token: tokens.alice });
    expect(again.status).toBe(404);
    const bad = await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ids.clientId, clientSecret: tokens.secret1 } });
    expect(bad.status).toBe(401);
    const good = await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ids.clientId, clientSecret: tokens.secret2 } });
    expect(good.status).toBe(200);
    // The access token issued with the revoked secret ends with it (it names its secret);
    // the one from the other secret works.
    const ended = await s.api("GET", "/api/v1/auth/me", { token: tokens.identity });
    expect(ended.status, JSON.stringify(ended.body)).toBe(401);
    expect(ended.body.detail).toMatch(/revoked/);
    expect((await s.api("GET", "/api/v1/auth/me", { token: good.body.accessToken })).status).toBe(200);
    tokens.identity = good.body.accessToken;
    // Swapped ids: a valid secret of one identity does not open another.
    const other = await s.api("POST", "/api/v1/identities", { token: tokens.alice, body: { projectId: ids.alpha, name: "other", role: "viewer" } });
    const swapped = await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: other.body.identity.clientId, clientSecret: tokens.secret2 } });
    expect(swapped.status).toBe(401);
    const unknownClient = await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: "00000000-0000-4000-8000-000000000000", clientSecret: tokens.secret2 } });
    expect(unknownClient.status).toBe(401);
  });

  it("a tampered token is 401", async () => {
    const t = tokens.identity;
    for (const i of [t.length - 3, "stamp.".length + 5]) {
      const flipped = t.slice(0, i) + (t[i] === "A" ? "B" : "A") + t.slice(i + 1);
      expect((await s.api("GET", "/api/v1/projects", { token: flipped })).status).toBe(401);
    }
    expect((await s.api("GET", "/api/v1/projects", { token: "stamp.garbage" })).status).toBe(401);
    expect((await s.api("GET", "/api/v1/projects", { token: t })).status).toBe(200);
    const malformed = await s.api("GET", "/api/v1/projects", { headers: { authorization: `Basic ${t}` } });
    expect(malformed.status).toBe(401);
  });

  it("deleting an identity makes its existing token stop working (401)", async () => {
    const i = await s.api("POST", "/api/v1/identities", { token: tokens.alice, body: { projectId: ids.alpha, name: "short-lived", role: "viewer" } });
    const sec = await s.api("POST", `/api/v1/identities/${i.body.identity.id}/universal-auth/client-secrets`, { token: tokens.alice, body: {} });
    const login = await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: i.body.identity.clientId, clientSecret: sec.body.clientSecret } });
    expect((await s.api("GET", "/api/v1/projects", { token: login.body.accessToken })).status).toBe(200);
    const del = await s.api("DELETE", `/api/v1/identities/${i.body.identity.id}`, { token: tokens.alice });
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    expect((await s.api("GET", "/api/v1/projects", { token: login.body.accessToken })).status).toBe(401);
    expect((await s.api("GET", `/api/v1/identities/${i.body.identity.id}`, { token: tokens.alice })).status).toBe(404);
    const relogin = await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: i.body.identity.clientId, clientSecret: sec.body.clientSecret } });
    expect(relogin.status).toBe(401);
    const members = await s.api("GET", `/api/v1/projects/${ids.alpha}/memberships`, { token: tokens.alice });
    expect(members.body.memberships.map((m: { principalId: string }) => m.principalId)).not.toContain(i.body.identity.id);
  });
});

describe("ok/ several servers on one database", () => {
  // PGlite is a single-process database: the next server opens it only once the previous one closed.
  async function next(rt?: Partial<Runtime>) {
    if (dbKind === "pglite") {
      const last = others.at(-1) ?? s;
      await closeOnce(last);
    }
    const o = await startServer({ db, rt, env: OPEN });
    others.push(o);
    return o;
  }

  it("server B accepts tokens server A issued; a secret with a ttl expires (injected clock)", async () => {
    const expiring = await s.api("POST", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets`, { token: tokens.alice, body: { description: "1h", ttl: 3600 } });
    expect(expiring.status).toBe(200);
    expect(new Date(expiring.body.clientSecretData.expiresAt).getTime() - Date.now()).toBeGreaterThan(3500_000);
    expect((await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ids.clientId, clientSecret: expiring.body.clientSecret } })).status).toBe(200);

    const b = await next();
    for (const [token, type] of [[tokens.alice, "user"], [tokens.identity, "identity"], [s.adminToken, "user"]] as const) {
      const me = await b.api("GET", "/api/v1/auth/me", { token });
      expect(me.status, JSON.stringify(me.body)).toBe(200);
      expect(me.body.type).toBe(type);
    }
    // ...and A accepts B's (when both run at once).
    if (dbKind === "postgres") expect((await s.api("GET", "/api/v1/auth/me", { token: b.adminToken })).status).toBe(200);
    // Bootstrap ran again and did nothing: still one admin, one default project.
    expect((await b.api("GET", "/api/v1/projects", { token: b.adminToken })).body.projects.map((p: { name: string }) => p.name)).toEqual(["default"]);

    const later = await next({ clock: () => new Date(Date.now() + 2 * 3600_000) });
    const expired = await later.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ids.clientId, clientSecret: expiring.body.clientSecret } });
    expect(expired.status).toBe(401);
    const forever = await later.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ids.clientId, clientSecret: tokens.secret2 } });
    expect(forever.status).toBe(200);
    // The hour-long access tokens issued earlier have expired too.
    expect((await later.api("GET", "/api/v1/auth/me", { token: tokens.alice })).status).toBe(401);
    expect((await later.api("GET", "/api/v1/auth/me", { token: forever.body.accessToken })).status).toBe(200);
    expect((await later.api("GET", "/api/v1/auth/me", { token: later.adminToken })).body.label).toBe(ADMIN_EMAIL);
  });
});
