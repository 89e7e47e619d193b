import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";
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
});
