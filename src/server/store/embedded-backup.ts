import { readdirSync, readFileSync, rmSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { PGlite } from "@electric-sql/pglite";
import { NodeFS } from "@electric-sql/pglite/nodefs";
import { sql, type Kysely } from "kysely";
import { DataDirLockedError, lockDataDir } from "./data-dir-lock.js";
import type { Database } from "./schema.js";

/**
 * A consistent copy of the running embedded database, as a gzipped tar of its directory.
 * Taken while holding the dialect's one session (no transaction of ours is open then), after a
 * CHECKPOINT, so every committed row is in the data files and nothing writes while PGlite copies
 * them. The root key is not in it: it lives in its own file (docs/operations.md).
 */
export async function dumpEmbedded(db: Kysely<Database>, lite: PGlite): Promise<Uint8Array> {
  return db.connection().execute(async (conn) => {
    await sql`checkpoint`.execute(conn);
    const file = await lite.dumpDataDir("gzip");
    return new Uint8Array(await file.arrayBuffer());
  });
}

/** A restore that cannot go ahead; the message says why and what to do. */
export class RestoreRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RestoreRefusedError";
  }
}

/** Names in a tar archive, for the check that a file is a dump of a PostgreSQL data directory. */
function tarNames(tar: Buffer): string[] {
  const names: string[] = [];
  for (let off = 0; off + 512 <= tar.length && tar[off] !== 0; ) {
    const field = (a: number, b: number) => tar.subarray(off + a, off + b).toString("latin1").replace(/\0.*$/s, "");
    names.push(field(345, 500) ? `${field(345, 500)}/${field(0, 100)}` : field(0, 100));
    const size = parseInt(field(124, 136).trim() || "0", 8);
    if (!Number.isFinite(size)) break;
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return names;
}

/** Reads and checks a backup file: a gzipped tar with a PostgreSQL data directory in it. */
function readBackup(file: string): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (e) {
    throw new RestoreRefusedError(`cannot read the backup ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  let names: string[];
  try {
    names = tarNames(gunzipSync(bytes));
  } catch {
    throw new RestoreRefusedError(`${file} is not a Stamp backup (not a gzipped tar); give the file 'stamp backup --to' wrote`);
  }
  if (!names.some((n) => n.replace(/^\/+/, "") === "PG_VERSION")) {
    throw new RestoreRefusedError(`${file} is not a Stamp backup (it holds no embedded database); give the file 'stamp backup --to' wrote`);
  }
  return bytes;
}

/** Empties `dir` but for the lock file this process holds in it. */
function emptyBut(dir: string, keep: string): void {
  for (const name of readdirSync(dir)) if (name !== keep) rmSync(path.join(dir, name), { recursive: true, force: true });
}

/**
 * Unpacks a backup into `<dataDir>/db`, offline, so a server started with `--data-dir dataDir`
 * opens it. Holds the directory's one-writer lock throughout, so a running server is refused
 * (and none can start meanwhile); a directory that already holds data is refused unless
 * `force`, which replaces it. The unpacked database is opened once, which checks it.
 */
export async function restoreEmbedded(o: { from: string; dataDir: string; force: boolean }): Promise<{ dbDir: string }> {
  const bytes = readBackup(o.from);
  const dbDir = path.join(path.resolve(o.dataDir), "db");
  await mkdir(dbDir, { recursive: true, mode: 0o700 });
  let lock: ReturnType<typeof lockDataDir>;
  try {
    lock = lockDataDir(dbDir, "(stamp restore)");
  } catch (e) {
    if (!(e instanceof DataDirLockedError)) throw e;
    const who = e.owner ? `a Stamp server (PID ${e.owner.pid}, listening on ${e.owner.listen})` : "another process";
    throw new RestoreRefusedError(`${who} is using the embedded database in ${dbDir}; stop it before restoring into it, or restore into another --data-dir`);
  }
  try {
    const present = readdirSync(dbDir).filter((n) => n !== "stamp.lock");
    if (present.length > 0 && !o.force) {
      throw new RestoreRefusedError(`${dbDir} already holds a database; restore into an empty --data-dir, or pass --force to replace it (its data is lost)`);
    }
    emptyBut(dbDir, "stamp.lock");
    try {
      const lite = await PGlite.create({ fs: new NodeFS(dbDir), loadDataDir: new Blob([new Uint8Array(bytes)], { type: "application/x-gzip" }) });
      await lite.query("select 1");
      await lite.close();
    } catch (e) {
      emptyBut(dbDir, "stamp.lock");
      throw new RestoreRefusedError(`the backup ${o.from} could not be opened as a database (${e instanceof Error ? e.message : String(e)}); ${dbDir} was left empty`);
    }
    return { dbDir };
  } finally {
    lock.release();
  }
}
