import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";

// Issue 14 finding 7: Stamp runs with a database role that does not own audit_log, exactly as
// docs/security.md ("Database roles") sets it up, so the role the server uses can neither
// turn the append-only trigger off nor change or delete entries. PostgreSQL only: PGlite has
// one built-in superuser.

const CA = "/api/v1/cert-manager/ca/internal";
const CERT = "/api/v1/cert-manager/certificates";
const role = `stamp_app_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
let db: Awaited<ReturnType<typeof freshDatabase>>;
let s: TestServer | undefined;
let appUrl: string;

async function asOwner(statements: string[]) {
  const c = new pg.Client({ connectionString: db.databaseUrl! });
  await c.connect();
  try {
    for (const q of statements) await c.query(q);
  } finally {
    await c.end();
  }
}

describe.skipIf(dbKind !== "postgres")("a server role that does not own the tables", () => {
  beforeAll(async () => {
    db = await freshDatabase({ blank: true });
    const u = new URL(db.databaseUrl!);
    const dbName = u.pathname.slice(1);
    // The grants of docs/security.md, word for word (the owner here is the test's superuser).
    await asOwner([
      `create role ${role} login`,
      `grant connect on database ${dbName} to ${role}`,
      `grant usage on schema public to ${role}`,
      `alter default privileges in schema public grant select, insert, update, delete on tables to ${role}`,
      `alter default privileges in schema public grant usage, select on sequences to ${role}`,
    ]);
    u.username = role;
    appUrl = u.toString();
    // First start: migrations run as the owner (--migration-database-url), the server as the app role.
    s = await startServer({ db, env: { DATABASE_URL: appUrl, STAMP_MIGRATION_DATABASE_URL: db.databaseUrl! } });
    await s.close();
    s = undefined;
    await asOwner([`revoke update, delete, truncate on audit_log from ${role}`]);
    s = await startServer({ db, env: { DATABASE_URL: appUrl, STAMP_MIGRATION_DATABASE_URL: db.databaseUrl! } });
  });
  afterAll(async () => {
    await s?.close();
    await db?.drop();
    const c = new pg.Client({ connectionString: process.env.STAMP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" });
    await c.connect();
    await c.query(`drop role if exists ${role}`).finally(() => c.end());
  });

  it("ok/ Stamp works: a CA, an issued and a revoked certificate, and the audit chain", async () => {
    const t = s!.adminToken;
    const ca = await s!.api("POST", CA, { token: t, body: { projectId: s!.defaultProjectId, name: "app-role-root", configuration: { type: "root", commonName: "App Role Root", keyAlgorithm: "EC_prime256v1" } } });
    expect(ca.status, JSON.stringify(ca.body)).toBe(200);
    const tpl = await s!.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: s!.defaultProjectId, name: "web", preset: "tls-server" } });
    const pro = await s!.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: s!.defaultProjectId, slug: "web", templateId: tpl.body.certificateTemplate.id, caId: ca.body.id } });
    expect(pro.status, JSON.stringify(pro.body)).toBe(200);
    const cert = await s!.api("POST", CERT, { token: t, body: { profileId: pro.body.certificateProfile.id, attributes: { commonName: "app.example.com" } } });
    expect(cert.status, JSON.stringify(cert.body)).toBe(200);
    const rev = await s!.api("POST", `${CERT}/${cert.body.certificate.certificateId}/revoke`, { token: t, body: { revocationReason: "SUPERSEDED" } });
    expect(rev.status, JSON.stringify(rev.body)).toBe(200);
    const log = await s!.api("GET", "/api/v1/audit-log?limit=500", { token: t });
    expect(log.body.auditLogs.map((e: { action: string }) => e.action)).toEqual(expect.arrayContaining(["certificate.issue", "certificate.revoke", "ca.create"]));
  });

  it("ok/ a server without --migration-database-url starts too when nothing is pending", async () => {
    await s!.close();
    s = await startServer({ db, env: { DATABASE_URL: appUrl } });
    expect((await s.api("GET", "/readyz")).status).toBe(200);
  });

  it("fail/ the server's role cannot turn the trigger off, nor change, delete or truncate entries", async () => {
    const c = new pg.Client({ connectionString: appUrl });
    await c.connect();
    try {
      await expect(c.query("alter table audit_log disable trigger all")).rejects.toThrow(/must be owner/);
      await expect(c.query("delete from audit_log")).rejects.toThrow(/permission denied/);
      await expect(c.query("update audit_log set action = 'forged'")).rejects.toThrow(/permission denied/);
      await expect(c.query("truncate audit_log")).rejects.toThrow(/permission denied/);
      expect((await c.query("select count(*)::int as n from audit_log")).rows[0].n).toBeGreaterThan(5);
    } finally {
      await c.end();
    }
  });
});
