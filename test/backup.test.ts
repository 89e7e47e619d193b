import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadOrCreateRootKey } from "../src/server/keys/root-key.js";
import { runStamp } from "./helpers/cli-run.js";
import { ADMIN_EMAIL, ADMIN_PASSWORD, dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";
import { createHierarchy } from "./helpers/hierarchy.js";
import { openssl, opensslAsync } from "./helpers/openssl.js";

// Issue 13 item 8: a backup of a RUNNING server (while it keeps issuing), restored into a new
// data directory (PGlite: `stamp backup` + `stamp restore`) or a new database (PostgreSQL:
// pg_dump + pg_restore), opens under the same root key only, holds every certificate and
// revocation, keeps CRL numbers increasing, and its CAs keep issuing.

const CA = "/api/v1/cert-manager/ca/internal";
const CERTS = "/api/v1/cert-manager/certificates";
/** Debian's PostgreSQL tools, the newest installed (pg_dump must be at least the server's version). */
const pgBin = () => {
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a)) : [];
  const dir = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(`${d}/pg_dump`));
  return dir ?? path.dirname(execFileSync("sh", ["-c", "command -v pg_dump"], { encoding: "utf8" }).trim());
};
const PG_ADMIN_URL = process.env.STAMP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

type Db = Awaited<ReturnType<typeof freshDatabase>>;
let db: Db;
let s: TestServer;
let work: string;
let config: string;
let rootPem = "";
let intPem = "";
let intId = "";
let profileId = "";
const extraDbs: string[] = [];
const extraDirs: string[] = [];

const stamp = (args: string[], env: Record<string, string> = {}) => runStamp(args, { config, env, timeoutMs: 120_000 });
/** Runs a program without blocking the event loop (the server under test lives in this process). */
const run = (file: string, args: string[]) =>
  new Promise<{ code: number; out: string }>((resolve) => {
    execFile(file, args, { timeout: 120_000, encoding: "utf8" }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }));
  });
const crlNumber = (pem: string) => {
  const r = openssl(() => ["crl", "-in", "c.pem", "-noout", "-crlnumber"], { "c.pem": pem });
  expect(r.ok, r.out).toBe(true);
  return BigInt(`0x${/crlNumber=(?:0x)?([0-9A-Fa-f]+)/.exec(r.out)![1]}`);
};

async function issue(t: TestServer, cn: string) {
  const r = await t.api("POST", CERTS, { token: t.adminToken, body: { profileId, attributes: { commonName: cn } } });
  if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
  return r.body.certificate as { certificate: string; certificateId: string; serialNumber: string };
}

/** Publishes the intermediate's CRLs now and returns the full one (PEM) with its number as OpenSSL reads it. */
async function publishCrl(t: TestServer) {
  const built = await t.api("POST", `${CA}/${intId}/crls`, { token: t.adminToken });
  expect(built.status, JSON.stringify(built.body)).toBe(200);
  const list = await t.api("GET", `${CA}/${intId}/crls/archive?limit=10`, { token: t.adminToken });
  const full = list.body.crls.find((c: { deltaCrlBase: string | null }) => c.deltaCrlBase === null);
  const res = await fetch(`${t.url}${new URL(full.url).pathname}?format=pem`);
  const pem = await res.text();
  expect(openssl(() => ["crl", "-in", "c.pem", "-CAfile", "ca.pem", "-noout"], { "c.pem": pem, "ca.pem": intPem }).out).toContain("verify OK");
  return { pem, number: crlNumber(pem) };
}

/** A new, empty database on the shared PostgreSQL (dropped after the file). */
async function newPgDatabase(): Promise<string> {
  const name = `stamp_restore_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  extraDbs.push(name);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), "stamp-backup-"));
  config = path.join(work, "session.json");
  db = await freshDatabase();
  s = await startServer({ db });
  ({ intId, rootPem, intPem, profileId } = await createHierarchy(s, "bk", "Backup"));
  const login = await stamp(["login", "--server", s.url, "--email", ADMIN_EMAIL], { STAMP_PASSWORD: ADMIN_PASSWORD });
  expect(login.code, login.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await s?.close();
  await db?.drop();
  if (extraDbs.length) {
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    for (const n of extraDbs) await admin.query(`drop database if exists ${n} with (force)`);
    await admin.end();
  }
  for (const d of [...extraDirs, work]) rmSync(d, { recursive: true, force: true });
});

describe(`ok/ backup of a running server, restored (${dbKind})`, () => {
  it("keeps every certificate and revocation, opens only under the same root key, numbers CRLs higher and issues", async () => {
    // Before the backup: certificates, two revocations, a published CRL.
    const before = [];
    for (let i = 0; i < 6; i++) before.push(await issue(s, `before-${i}.backup.test`));
    const t = s.adminToken;
    expect((await s.api("POST", `${CERTS}/${before[0].certificateId}/revoke`, { token: t, body: { revocationReason: "KEY_COMPROMISE" } })).status).toBe(200);
    expect((await s.api("POST", `${CERTS}/${before[1].certificateId}/revoke`, { token: t, body: { revocationReason: "CERTIFICATE_HOLD" } })).status).toBe(200);
    const crlBefore = await publishCrl(s);
    expect(crlBefore.pem.length).toBeGreaterThan(0);

    // Issuing goes on, two at a time, while the backup is taken.
    let stop = false;
    const during: string[] = [];
    const loops = [0, 1].map(async (w) => {
      for (let i = 0; !stop; i++) during.push((await issue(s, `during-${w}-${i}.backup.test`)).certificateId);
    });
    await new Promise((r) => setTimeout(r, 300));

    const target = mkdtempSync(path.join(os.tmpdir(), "stamp-restored-"));
    extraDirs.push(target);
    const file = path.join(work, "stamp.tar.gz");
    let restoredUrl: string | null = null;
    const ackedBeforeBackup = during.length;
    if (dbKind === "pglite") {
      const b = await stamp(["backup", "--to", file]);
      expect(b.code, b.stderr).toBe(0);
      expect(b.stdout).toContain(`backup written to ${file}`);
      expect(b.stderr).toContain("does not contain the root key");
      expect(statSync(file).mode & 0o777).toBe(0o600);
    } else {
      // On PostgreSQL the server refuses and points to pg_dump, which copies the live database.
      const b = await stamp(["backup", "--to", file]);
      expect(b.code).toBe(1);
      expect(b.stderr).toContain("pg_dump");
      expect(b.stderr).toContain("HTTP 409");
      const dump = await run(`${pgBin()}/pg_dump`, ["--format=custom", "--file", file, db.databaseUrl!]);
      expect(dump.code, dump.out).toBe(0);
    }
    stop = true;
    await Promise.all(loops);
    const duringCount = during.length;
    expect(duringCount).toBeGreaterThan(ackedBeforeBackup);
    // After the backup the old server revokes once more and publishes: these CRL numbers are out
    // in the world, and the restored server must never reuse them.
    expect((await s.api("POST", `${CERTS}/${before[2].certificateId}/revoke`, { token: t, body: { revocationReason: "SUPERSEDED" } })).status).toBe(200);
    const crlLost = await publishCrl(s);
    expect(crlLost.number).toBeGreaterThan(crlBefore.number);

    if (dbKind === "pglite") {
      const r = await stamp(["restore", "--from", file, "--data-dir", target]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`into ${path.join(target, "db")}`);
      expect(r.stderr).toContain(`No root key at ${path.join(target, "root.key")}`);
    } else {
      restoredUrl = await newPgDatabase();
      const r = await run(`${pgBin()}/pg_restore`, ["--no-owner", "--exit-on-error", "--dbname", restoredUrl, file]);
      expect(r.code, r.out).toBe(0);
    }
    // The old server is gone: the restored copy stands alone, as on a fresh machine.
    await s.close();
    const restored = { dataDir: target, databaseUrl: restoredUrl, drop: async () => {} };

    // Another root key: refused at start, saying which key is needed.
    await loadOrCreateRootKey(path.join(target, "root.key"));
    await expect(startServer({ db: restored })).rejects.toThrow(/root key does not match this database.*restored backup needs the root key file that was in use when the backup was taken/);
    copyFileSync(path.join(db.dataDir, "root.key"), path.join(target, "root.key"));

    s = await startServer({ db: restored });
    // Every certificate issued before the backup, with its revocation.
    for (const [i, c] of before.entries()) {
      const got = await s.api("GET", `${CERTS}/${c.certificateId}`, { token: s.adminToken });
      expect(got.status, JSON.stringify(got.body)).toBe(200);
      expect(got.body.certificate.serialNumber).toBe(c.serialNumber);
      // before[2] was revoked after the backup: that revocation is lost with the old server.
      expect(got.body.certificate.status).toBe(i < 2 ? "revoked" : "active");
    }
    expect((await s.api("GET", `${CERTS}/${before[0].certificateId}`, { token: s.adminToken })).body.certificate.revocationReasonName).toMatch(/KEY_COMPROMISE/i);
    // Certificates acknowledged before the backup was asked for are there; those issued while it
    // ran are wholly there or not at all.
    for (const [i, id] of during.slice(0, duringCount).entries()) {
      const status = (await s.api("GET", `${CERTS}/${id}`, { token: s.adminToken })).status;
      if (i < ackedBeforeBackup) expect(status, id).toBe(200);
      else expect([200, 404]).toContain(status);
    }

    // The next CRL has a higher number and still lists both revocations.
    const crlAfter = await publishCrl(s);
    expect(crlBefore.number).toBeGreaterThan(0n);
    expect(crlAfter.number).toBeGreaterThan(crlBefore.number);
    expect(crlAfter.number).toBeGreaterThan(crlLost.number);
    const text = openssl(() => ["crl", "-in", "c.pem", "-noout", "-text"], { "c.pem": crlAfter.pem }).out;
    for (const c of before.slice(0, 2)) expect(text).toContain(c.serialNumber.toUpperCase());

    // The restored CA issues, and OpenSSL accepts the chain.
    const fresh = await issue(s, "after-restore.backup.test");
    const v = await opensslAsync(() => ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "root.pem", "-untrusted", "int.pem", "leaf.pem"], { "root.pem": rootPem, "int.pem": intPem, "leaf.pem": fresh.certificate });
    expect(v.out).toContain("leaf.pem: OK");
  }, 300_000);
});

describe.runIf(dbKind === "pglite")("fail/ stamp restore refuses what it cannot do safely", () => {
  it("a data dir a server is using, a non-empty data dir without --force, and a file that is no backup", async () => {
    const file = path.join(work, "again.tar.gz");
    // Log in to the (restored) server that runs now, and back it up again.
    const login = await stamp(["login", "--server", s.url, "--email", ADMIN_EMAIL], { STAMP_PASSWORD: ADMIN_PASSWORD });
    expect(login.code, login.stderr).toBe(0);
    expect((await stamp(["backup", "--to", file])).code).toBe(0);
    // Audited server-wide, with who took it.
    const log = await s.api("GET", "/api/v1/audit-log?limit=10&action=backup.create", { token: s.adminToken });
    expect(log.body.auditLogs.length, JSON.stringify(log.body)).toBeGreaterThanOrEqual(1);
    expect(log.body.auditLogs[0]).toMatchObject({ action: "backup.create", outcome: "success", projectId: null, actorType: "user" });
    // An existing file is not overwritten without --force.
    const twice = await stamp(["backup", "--to", file]);
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain("already exists");

    const live = await stamp(["restore", "--from", file, "--data-dir", s.config.dataDir]);
    expect(live.code).toBe(1);
    expect(live.stderr).toMatch(/a Stamp server \(PID \d+, listening on .*\) is using the embedded database in .*; stop it before restoring into it/);

    const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-restore-twice-"));
    extraDirs.push(dir);
    expect((await stamp(["restore", "--from", file, "--data-dir", dir])).code).toBe(0);
    const again = await stamp(["restore", "--from", file, "--data-dir", dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already holds a database; restore into an empty --data-dir, or pass --force");
    const forced = await stamp(["restore", "--from", file, "--data-dir", dir, "--force"]);
    expect(forced.code, forced.stderr).toBe(0);

    const junk = path.join(work, "junk.tar.gz");
    writeFileSync(junk, "not a backup");
    const bad = await stamp(["restore", "--from", junk, "--data-dir", path.join(work, "never")]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("is not a Stamp backup");
    // A gzipped tar, but of something else.
    writeFileSync(path.join(work, "hello.txt"), "hello");
    const otherTar = path.join(work, "other.tar.gz");
    expect((await run("tar", ["czf", otherTar, "-C", work, "hello.txt"])).code).toBe(0);
    const other = await stamp(["restore", "--from", otherTar, "--data-dir", path.join(work, "never")]);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("it holds no embedded database");
    const missing = await stamp(["restore", "--data-dir", dir]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("--from FILE is required");
    expect(readFileSync(file).subarray(0, 2)).toEqual(Buffer.from([0x1f, 0x8b]));
  }, 300_000);
});
