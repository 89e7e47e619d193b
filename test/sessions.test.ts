import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_EMAIL, ADMIN_PASSWORD, startServer, type TestServer } from "./helpers/harness.js";

// Sessions and credentials: password rules, password change (ends the other sessions),
// logout (one token, or all of them) and machine identity tokens.

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => {
  await s?.close();
});

const me = (token: string) => s.api("GET", "/api/v1/auth/me", { token });
const login = (email: string, password: string) => s.api("POST", "/api/v1/auth/login", { body: { email, password } });
async function session(email: string, password: string) {
  const r = await login(email, password);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body.accessToken as string;
}
const codes = (body: { violations?: { code: string }[] }) => (body.violations ?? []).map((v) => v.code).sort();

describe("password rules", () => {
  it("fail/ a user's password may not be its email, the email's local part, or one repeated character", async () => {
    const create = (email: string, password: string) => s.api("POST", "/api/v1/users", { token: s.adminToken, body: { email, password } });
    for (const [email, password, code] of [
      ["dana@example.com", "DANA@example.COM", "same_as_email"],
      ["averyverylongname@example.com", "AveryVeryLongName", "same_as_email"],
      ["dana@example.com", "zzzzzzzzzzzzzzzz", "repeated_character"],
    ] as const) {
      const r = await create(email, password);
      expect(r.status, `${email} / ${password}: ${JSON.stringify(r.body)}`).toBe(422);
      expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(codes(r.body)).toEqual([code]);
      expect(r.body.violations[0].field).toBe("password");
      expect(JSON.stringify(r.body)).not.toContain(password);
    }
    expect((await login("dana@example.com", "zzzzzzzzzzzzzzzz")).status).toBe(401);
  });
  it("fail/ the first admin's password follows the same rules (bootstrap)", async () => {
    await expect(s.server.users.bootstrap("first@example.com", "first@example.com")).rejects.toMatchObject({ kind: "validation", violations: [expect.objectContaining({ code: "same_as_email" })] });
    await expect(s.server.users.bootstrap("first@example.com", "############")).rejects.toMatchObject({ kind: "validation", violations: [expect.objectContaining({ code: "repeated_character" })] });
  });
});

describe("password change", () => {
  const ERIN = { email: "erin@example.com", password: "erin's first password" };
  const NEW = "erin's second password";
  beforeAll(async () => {
    expect((await s.api("POST", "/api/v1/users", { token: s.adminToken, body: ERIN })).status).toBe(200);
  });
  const change = (token: string, currentPassword: string, newPassword: string) => s.api("POST", "/api/v1/auth/password", { token, body: { currentPassword, newPassword } });

  it("fail/ a wrong current password and weak new ones are 422 naming each violation; nothing changes", async () => {
    const t = await session(ERIN.email, ERIN.password);
    const wrong = await change(t, "not the password", NEW);
    expect(wrong.status).toBe(422);
    expect(wrong.body.violations).toEqual([expect.objectContaining({ field: "currentPassword", code: "incorrect" })]);
    const weak = await change(t, "not the password", "Erin@Example.com");
    expect(codes(weak.body)).toEqual(["incorrect", "same_as_email"]);
    expect((await change(t, ERIN.password, "erin")).status).toBe(400);
    expect(codes((await change(t, ERIN.password, "............")).body)).toEqual(["repeated_character"]);
    expect(codes((await change(t, ERIN.password, ERIN.password)).body)).toEqual(["unchanged"]);
    for (const r of [wrong, weak]) expect(JSON.stringify(r.body)).not.toMatch(/not the password|Erin@Example/);
    expect((await me(t)).status).toBe(200);
    expect((await login(ERIN.email, ERIN.password)).status).toBe(200);
  });

  it("ok/ the change ends every other session; the caller gets a fresh token; only the new password logs in", async () => {
    const a = await session(ERIN.email, ERIN.password);
    const b = await session(ERIN.email, ERIN.password);
    const r = await change(a, ERIN.password, NEW);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ tokenType: "Bearer", expiresIn: 3600 });
    for (const old of [a, b]) {
      const gone = await me(old);
      expect(gone.status).toBe(401);
      expect(gone.body.detail).toMatch(/revoked/);
    }
    expect((await me(r.body.accessToken)).body.label).toBe(ERIN.email);
    expect((await login(ERIN.email, ERIN.password)).status).toBe(401);
    expect((await login(ERIN.email, NEW)).status).toBe(200);
  });

  it("fail/ a machine identity has no password (403); anonymous is 401", async () => {
    const ident = await s.api("POST", "/api/v1/identities", { token: s.adminToken, body: { projectId: s.defaultProjectId, name: "pw-robot", role: "viewer" } });
    const sec = await s.api("POST", `/api/v1/identities/${ident.body.identity.id}/universal-auth/client-secrets`, { token: s.adminToken, body: {} });
    const t = (await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ident.body.identity.clientId, clientSecret: sec.body.clientSecret } })).body.accessToken;
    const r = await change(t, "whatever it is", "a new long password");
    expect(r.status).toBe(403);
    expect(r.body.detail).toMatch(/client secret/);
    expect((await s.api("POST", "/api/v1/auth/password", { body: { currentPassword: "x", newPassword: "a new long password" } })).status).toBe(401);
  });
});

describe("logout", () => {
  const FRED = { email: "fred@example.com", password: "fred's long password" };
  beforeAll(async () => {
    expect((await s.api("POST", "/api/v1/users", { token: s.adminToken, body: FRED })).status).toBe(200);
  });
  const logout = (token: string, body: unknown = {}) => s.api("POST", "/api/v1/auth/logout", { token, body });

  it("ok/ logout revokes this token only; the user's other sessions go on", async () => {
    const a = await session(FRED.email, FRED.password);
    const b = await session(FRED.email, FRED.password);
    const r = await logout(a);
    expect(r.status, JSON.stringify(r.body)).toBe(204);
    expect((await me(a)).status).toBe(401);
    expect((await logout(a)).status).toBe(401);
    expect((await me(b)).status).toBe(200);
    // No body at all (curl -X POST) is a plain logout too.
    expect((await s.api("POST", "/api/v1/auth/logout", { token: b })).status).toBe(204);
    expect((await me(b)).status).toBe(401);
  });

  it("ok/ allSessions revokes every token of the user; a new login works", async () => {
    const a = await session(FRED.email, FRED.password);
    const b = await session(FRED.email, FRED.password);
    expect((await logout(a, { allSessions: true })).status).toBe(204);
    expect((await me(a)).status).toBe(401);
    expect((await me(b)).status).toBe(401);
    expect((await me(await session(FRED.email, FRED.password))).status).toBe(200);
  });

  it("ok/ a machine identity logs out too; its client secret still logs in", async () => {
    const ident = await s.api("POST", "/api/v1/identities", { token: s.adminToken, body: { projectId: s.defaultProjectId, name: "logout-robot", role: "viewer" } });
    const sec = await s.api("POST", `/api/v1/identities/${ident.body.identity.id}/universal-auth/client-secrets`, { token: s.adminToken, body: {} });
    const ua = () => s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ident.body.identity.clientId, clientSecret: sec.body.clientSecret } });
    const t = (await ua()).body.accessToken;
    expect((await logout(t)).status).toBe(204);
    expect((await me(t)).status).toBe(401);
    expect((await me((await ua()).body.accessToken)).status).toBe(200);
  });

  it("fail/ logout without a token is 401; a bad body is 400", async () => {
    expect((await s.api("POST", "/api/v1/auth/logout", { body: {} })).status).toBe(401);
    const t = await session(FRED.email, FRED.password);
    expect((await logout(t, { allSessions: "yes" })).status).toBe(400);
    expect((await me(t)).status).toBe(200);
  });
});

describe("a server admin ends another user's sessions", () => {
  it("ok/ POST /users/:id/revoke-tokens ends every token of that user; a new login works", async () => {
    const HAL = { email: "hal@example.com", password: "hal's long password" };
    const id = (await s.api("POST", "/api/v1/users", { token: s.adminToken, body: HAL })).body.user.id;
    const [a, b] = [await session(HAL.email, HAL.password), await session(HAL.email, HAL.password)];
    expect((await s.api("POST", `/api/v1/users/${id}/revoke-tokens`, { token: a })).status).toBe(403);
    expect((await s.api("POST", `/api/v1/users/${id}/revoke-tokens`, { token: s.adminToken })).status).toBe(204);
    expect([(await me(a)).status, (await me(b)).status]).toEqual([401, 401]);
    expect((await me(s.adminToken)).status).toBe(200);
    expect((await me(await session(HAL.email, HAL.password))).status).toBe(200);
    expect((await s.api("POST", `/api/v1/users/${crypto.randomUUID()}/revoke-tokens`, { token: s.adminToken })).status).toBe(404);
  });
});

describe("the first admin", () => {
  it("ok/ changes the bootstrap password; the old one stops working", async () => {
    const r = await s.api("POST", "/api/v1/auth/password", { token: s.adminToken, body: { currentPassword: ADMIN_PASSWORD, newPassword: "the admin's new passphrase" } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect((await me(s.adminToken)).status).toBe(401);
    expect((await login(ADMIN_EMAIL, ADMIN_PASSWORD)).status).toBe(401);
    expect((await login(ADMIN_EMAIL, "the admin's new passphrase")).status).toBe(200);
  });
});
