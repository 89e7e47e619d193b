import { mkdir, statfs } from "node:fs/promises";
import { Kysely, PostgresDialect, type LogEvent } from "kysely";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { pgliteDialect } from "./pglite-dialect.js";
import { existsSync } from "node:fs";
import path from "node:path";
import { DataDirLockedError, lockDataDir } from "./data-dir-lock.js";
import { assertWritable, embeddedOpenError } from "./startup-errors.js";
import { pgliteStorage } from "./pglite-durable-fs.js";
import { dumpEmbedded } from "./embedded-backup.js";
import { isTransientDbError, resilientDialect } from "./resilient-dialect.js";
import type { Database } from "./schema.js";
import { listenPglite, listenPostgres, type ListenHandlers, type Listener } from "./cache-listener.js";

/** Where the data lives: the embedded PGlite directory, or a PostgreSQL URL. */
/** PostgreSQL connections one server process opens at most (each --workers process has its own pool). */
export const PG_POOL_SIZE = 10;

export type DbConfig = { kind: "pglite"; dataDir: string; listen?: string; durable?: boolean } | { kind: "postgres"; url: string; poolSize?: number };

/** An open database: the Kysely handle and how to close it. */
export interface Db {
  db: Kysely<Database>;
  kind: DbConfig["kind"];
  close(): Promise<void>;
  /** Messages for the operator (e.g. a lock taken over from a dead server). */
  notices: string[];
  /** A consistent gzipped-tar copy of the embedded database while it runs; null on PostgreSQL (use pg_dump). */
  backup: (() => Promise<Uint8Array>) | null;
  /** Hears every statement this handle ran, after it ran (SQL text only): local cache invalidation, round-trip counts. */
  onQuery(fn: (sql: string) => void): () => void;
  /** Starts hearing migration 0017's cache notifications (docs/adr/0007-caches.md). */
  listen(h: ListenHandlers): Promise<Listener>;
  /** The PostgreSQL pool's connections (metrics); null on the embedded store. */
  poolStats(): { total: number; idle: number; waiting: number } | null;
}

/** A Kysely log hook that fans each statement out to the observers. */
function observers() {
  const fns = new Set<(sql: string) => void>();
  return {
    log: (e: LogEvent) => {
      for (const f of fns) f(e.query.sql);
    },
    onQuery(fn: (sql: string) => void) {
      fns.add(fn);
      return () => void fns.delete(fn);
    },
  };
}

// int8 (bigserial ids, counts) as string, never a lossy number.
pg.types.setTypeParser(20, (v) => v);

/** Opens the configured database. */
export async function openDb(cfg: DbConfig): Promise<Db> {
  if (cfg.kind === "pglite") {
    const existed = existsSync(path.join(cfg.dataDir, "PG_VERSION"));
    let lock: ReturnType<typeof lockDataDir>;
    try {
      assertWritable(cfg.dataDir);
      await mkdir(cfg.dataDir, { recursive: true, mode: 0o700 });
      // One writer per embedded data dir, taken before PGlite opens it: two processes on one
      // PGlite directory lose each other's commits and corrupt it.
      lock = lockDataDir(cfg.dataDir, cfg.listen ?? "(not listening)");
    } catch (e) {
      if (e instanceof DataDirLockedError) throw e;
      throw embeddedOpenError(e, cfg.dataDir, existed);
    }
    const notices = lock.tookOverFrom ? [`took over the data directory lock left by PID ${lock.tookOverFrom.pid} (${lock.tookOverFrom.listen}), which no longer runs`] : [];
    try {
      // int8 as string, as with pg below: the same rows from both stores. pg_trgm backs the
      // certificate search index (migration 0016): every open must load it, or writes to
      // `certificates` fail once that index exists.
      const lite = await PGlite.create({ ...pgliteStorage(cfg.dataDir, cfg.durable ?? true), parsers: { 20: (v: string) => v }, extensions: { pg_trgm } });
      const obs = observers();
      const db = new Kysely<Database>({ dialect: resilientDialect(pgliteDialect(lite)), log: obs.log });
      return {
        db,
        kind: "pglite",
        notices,
        backup: () => dumpEmbedded(db, lite),
        onQuery: obs.onQuery,
        poolStats: () => null,
        // LISTEN while holding the one session, so it cannot land inside another caller's transaction.
        async listen(h) {
          const l = await db.connection().execute(() => listenPglite(lite, h));
          return { close: () => db.connection().execute(() => l.close()) };
        },
        async close() {
          try {
            await db.destroy();
          } finally {
            lock.release();
          }
        },
      };
    } catch (e) {
      lock.release();
      throw embeddedOpenError(e, cfg.dataDir, existed);
    }
  }
  // A connection attempt to a database that is down or black-holed gives up after 3 s.
  const pool = new pg.Pool({ connectionString: cfg.url, max: cfg.poolSize ?? PG_POOL_SIZE, connectionTimeoutMillis: 3000 });
  // A connection that dies (restart, kill -9 of the postmaster, pg_terminate_backend) emits
  // 'error' on its client: the pool listens only while the client is idle, so every client gets
  // a listener for its whole life, or the process dies of an unhandled 'error' event. The query
  // in flight fails on its own and the pool drops the broken client when it is released.
  pool.on("connect", (client) => client.on("error", () => {}));
  pool.on("error", () => {});
  const obs = observers();
  const db = new Kysely<Database>({ dialect: resilientDialect(new PostgresDialect({ pool })), log: obs.log });
  return {
    db,
    kind: "postgres",
    notices: [],
    backup: null,
    close: () => db.destroy(),
    onQuery: obs.onQuery,
    listen: (h) => listenPostgres(cfg.url, h),
    poolStats: () => ({ total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount }),
  };
}

/** True when `e` is a PostgreSQL unique violation (SQLSTATE 23505), from pg or PGlite. */
export function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "23505";
}

/**
 * Runs `fn` until it stops failing because the database is unreachable, retrying with backoff
 * for up to `maxWaitMs` (a server started before its database waits instead of exiting).
 * `onWait` hears each retry, with the reason, for the operator.
 */
export async function untilDatabaseAnswers<T>(fn: () => Promise<T>, maxWaitMs: number, onWait: (reason: string, remainingMs: number) => void = () => {}): Promise<T> {
  const deadline = Date.now() + maxWaitMs;
  let delay = 500;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      const remaining = deadline - Date.now();
      if (!isTransientDbError(e) || remaining <= 0) throw e;
      const cause = e instanceof Error && e.cause instanceof Error ? e.cause : e;
      onWait(cause instanceof Error ? cause.message : String(cause), remaining);
      await new Promise((r) => setTimeout(r, Math.min(delay, remaining)));
      delay = Math.min(delay * 2, 5000);
    }
  }
}

/** Below this much free space the embedded store is reported not ready: PostgreSQL needs room for a 16 MB WAL segment. */
export const EMBEDDED_MIN_FREE_BYTES = 32 * 1024 * 1024;

/** Why the embedded store's disk cannot take more writes (free space below the minimum), or null. */
export async function diskNearlyFull(dir: string, minFreeBytes = EMBEDDED_MIN_FREE_BYTES): Promise<string | null> {
  const st = await statfs(dir).catch(() => null);
  if (!st) return null;
  const free = st.bavail * st.bsize;
  return free < minFreeBytes ? `the disk holding the embedded database is nearly full (${Math.floor(free / 1048576)} MiB free, at least ${minFreeBytes / 1048576} MiB needed)` : null;
}
