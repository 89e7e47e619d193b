/**
 * Migrated template databases, made once per schema and copied for each test server.
 *
 * A fresh PGlite directory costs about 5.5 s of CPU (initdb in wasm) plus about 1 s of
 * migrations; a copy of an already migrated directory opens in about 0.6 s. On PostgreSQL,
 * `create database … template` skips the 25-odd migrations. The template's name carries a hash
 * of every migration's name and code, so a schema change makes a new one. Tests that need a
 * database as an older release left it ask `freshDatabase({ blank: true })`.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openDb } from "../../src/server/store/db.js";
import { MIGRATIONS, migrate } from "../../src/server/store/migrations.js";

const SCHEMA = createHash("sha256")
  .update(MIGRATIONS.map((m) => `${m.name}\n${String(m.up)}`).join("\n"))
  .digest("hex")
  .slice(0, 12);

/** A migrated PGlite data directory for this schema (built on first use; safe when several workers race). */
async function pgliteTemplate(): Promise<string> {
  const dir = path.join(os.tmpdir(), `stamp-test-template-${SCHEMA}`);
  if (existsSync(path.join(dir, "PG_VERSION"))) return dir;
  const build = mkdtempSync(path.join(os.tmpdir(), "stamp-test-template-build-"));
  try {
    const db = await openDb({ kind: "pglite", dataDir: path.join(build, "db"), durable: false });
    try {
      await migrate(db.db);
    } finally {
      await db.close();
    }
    // The copy must not carry this process's data-directory lock record.
    rmSync(path.join(build, "db", "stamp.lock"), { force: true });
    try {
      renameSync(path.join(build, "db"), dir); // atomic: a reader sees the whole directory or none
    } catch (e) {
      if (!existsSync(path.join(dir, "PG_VERSION"))) throw e; // not another worker's win
    }
  } finally {
    rmSync(build, { recursive: true, force: true });
  }
  return dir;
}

/** Copies the migrated PGlite template to `dest` (which must not exist). */
export async function copyPgliteTemplate(dest: string): Promise<void> {
  const from = await pgliteTemplate();
  // cp(1) copies the ~1,200 files several times faster than fs.cpSync.
  const r = spawnSync("cp", ["-R", from, dest], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`copying the PGlite template failed: ${r.stderr || r.error?.message}`);
}

/** The name of a migrated PostgreSQL template database for this schema (built on first use, under an advisory lock). */
export async function postgresTemplate(adminUrl: string): Promise<string> {
  const name = `stamp_test_tpl_${SCHEMA}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query("select pg_advisory_lock(hashtext('stamp-test-template'))");
    const have = await admin.query("select 1 from pg_database where datname = $1", [name]);
    if (have.rowCount) return name;
    const build = `${name}_build`;
    await admin.query(`drop database if exists ${build} with (force)`);
    await admin.query(`create database ${build}`);
    const url = new URL(adminUrl);
    url.pathname = `/${build}`;
    const db = await openDb({ kind: "postgres", url: url.toString(), poolSize: 1 });
    try {
      await migrate(db.db);
    } finally {
      await db.close();
    }
    // The closed pool's backends may take a moment to exit; a rename waits for none to be left.
    for (let i = 0; ; i++) {
      try {
        await admin.query(`alter database ${build} rename to ${name}`);
        break;
      } catch (e) {
        if (i >= 50 || (e as { code?: string }).code !== "55006") throw e; // object_in_use
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return name;
  } finally {
    await admin.query("select pg_advisory_unlock_all()").catch(() => {});
    await admin.end();
  }
}
