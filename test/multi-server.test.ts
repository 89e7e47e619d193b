import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";
import { requestFrom } from "./helpers/from-address.js";
import { verifyChain } from "./helpers/openssl.js";

const CA = "/api/v1/cert-manager/ca/internal";

// PGlite is one process's database; scaling out is PostgreSQL's job.
describe.skipIf(dbKind !== "postgres")("two Stamp servers on one PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let a: TestServer;
  let b: TestServer;
  beforeAll(async () => {
    db = await freshDatabase();
    // Started together: migrations and the first admin must happen exactly once.
    [a, b] = await Promise.all([startServer({ db }), startServer({ db })]);
  });
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await db?.drop();
  });

  it("ok/ both migrated one schema and share the bootstrap, projects and tokens", async () => {
    expect(a.defaultProjectId).toBe(b.defaultProjectId);
    const projects = (await b.api("GET", "/api/v1/projects", { token: a.adminToken })).body.projects;
    expect(projects.filter((p: { name: string }) => p.name === "default")).toHaveLength(1);
  });

  it("ok/ alternating requests build a CA hierarchy; concurrent creates on both servers do not conflict", async () => {
    const t = a.adminToken;
    const root = await a.api("POST", CA, { token: t, body: { projectId: a.defaultProjectId, name: "ms-root", configuration: { type: "root", commonName: "MS Root", keyAlgorithm: "EC_prime256v1" } } });
    expect(root.status, JSON.stringify(root.body)).toBe(200);
    const made = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? b : a).api("POST", CA, { token: t, body: { projectId: a.defaultProjectId, name: `ms-int-${i}`, configuration: { type: "intermediate", commonName: `MS Int ${i}`, keyAlgorithm: "EC_prime256v1", parentCaId: root.body.id } } }),
      ),
    );
    expect(made.map((r) => r.status)).toEqual(Array(10).fill(200));
    const rootPem = (await b.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body.certificate;
    const serials = new Set<string>();
    for (const m of made) {
      const c = (await (serials.size % 2 ? a : b).api("GET", `${CA}/${m.body.id}/certificate`, { token: t })).body;
      serials.add(c.serialNumber);
      expect(verifyChain(rootPem, "", c.certificate).out).toContain("cert.pem: OK");
    }
    expect(serials.size).toBe(10);
    const listed = (await b.api("GET", `${CA}?projectId=${a.defaultProjectId}`, { token: t })).body;
    expect(listed).toHaveLength(11);
  });

  it("fail/ the same CA name created on both servers at once: one wins, the other gets a clear 422", async () => {
    const body = { projectId: a.defaultProjectId, name: "ms-race", configuration: { type: "root", commonName: "Race", keyAlgorithm: "EC_prime256v1" } };
    const [x, y] = await Promise.all([a.api("POST", CA, { token: a.adminToken, body }), b.api("POST", CA, { token: a.adminToken, body })]);
    expect([x.status, y.status].sort()).toEqual([200, 422]);
    const loser = x.status === 422 ? x : y;
    expect(loser.body.violations[0]).toMatchObject({ field: "name", code: "duplicate" });
  });

  it("fail/ a token logged out, password-changed away or whose client secret was revoked on A is refused by B", async () => {
    const pw = "multi server password";
    expect((await a.api("POST", "/api/v1/users", { token: a.adminToken, body: { email: "ms-user@example.com", password: pw } })).status).toBe(200);
    const login = async () => (await b.api("POST", "/api/v1/auth/login", { body: { email: "ms-user@example.com", password: pw } })).body.accessToken as string;
    const me = (srv: TestServer, token: string) => srv.api("GET", "/api/v1/auth/me", { token }).then((r) => r.status);
    // B caches token principals; A's change reaches it by notification, within a second (docs/adr/0007-caches.md).
    const refusedWithin1s = async (token: string) => {
      const start = Date.now();
      let status = await me(b, token);
      while (status !== 401 && Date.now() - start < 1000) {
        await new Promise((r) => setTimeout(r, 20));
        status = await me(b, token);
      }
      return status;
    };

    const t1 = await login();
    expect([await me(a, t1), await me(b, t1)]).toEqual([200, 200]);
    expect((await a.api("POST", "/api/v1/auth/logout", { token: t1, body: {} })).status).toBe(204);
    expect(await refusedWithin1s(t1)).toBe(401);

    const t2 = await login();
    const changed = await a.api("POST", "/api/v1/auth/password", { token: await login(), body: { currentPassword: pw, newPassword: "multi server password 2" } });
    expect(changed.status, JSON.stringify(changed.body)).toBe(200);
    expect(await refusedWithin1s(t2)).toBe(401);
    expect(await me(b, changed.body.accessToken)).toBe(200);

    const ident = (await a.api("POST", "/api/v1/identities", { token: a.adminToken, body: { projectId: a.defaultProjectId, name: "ms-robot", role: "viewer" } })).body.identity;
    const sec = (await a.api("POST", `/api/v1/identities/${ident.id}/universal-auth/client-secrets`, { token: a.adminToken, body: {} })).body;
    const it1 = (await b.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: ident.clientId, clientSecret: sec.clientSecret } })).body.accessToken;
    expect(await me(b, it1)).toBe(200);
    expect((await a.api("POST", `/api/v1/identities/${ident.id}/universal-auth/client-secrets/${sec.clientSecretData.id}/revoke`, { token: a.adminToken })).status).toBe(200);
    expect(await refusedWithin1s(it1)).toBe(401);
  });

  it("fail/ failed logins on A and B add up per (account, address); the owner's own address is unaffected", async () => {
    const pw = "lockout across servers";
    expect((await a.api("POST", "/api/v1/users", { token: a.adminToken, body: { email: "ms-locked@example.com", password: pw } })).status).toBe(200);
    const attempt = (srv: TestServer, from: string, password: string) => requestFrom(from, `${srv.url}/api/v1/auth/login`, "POST", { email: "ms-locked@example.com", password });
    for (let i = 0; i < 10; i++) expect((await attempt(i % 2 ? a : b, "127.0.5.1", `wrong ${i}`)).status).toBe(401);
    const locked = await attempt(a, "127.0.5.1", pw);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    expect((await attempt(b, "127.0.5.1", pw)).status).toBe(429);
    expect((await attempt(b, "127.0.5.2", pw)).status).toBe(200);
  });
});
