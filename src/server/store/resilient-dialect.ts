import type { CompiledQuery, DatabaseConnection, Dialect, Driver, QueryResult, TransactionSettings } from "kysely";
import { StampError } from "../../errors.js";
import { isNoSpace } from "./startup-errors.js";

/**
 * SQLSTATE classes and codes that mean "the database went away or is full", not "this query is
 * wrong": class 08 (connection exception), 53 (insufficient resources: disk full, out of
 * memory, too many connections), 57P01–57P03 (admin/crash shutdown, cannot connect now) and
 * 58030 (I/O error). PostgreSQL Appendix A.
 */
const TRANSIENT_SQLSTATE = /^(08...|53...|57P0[123]|58030)$/;
/** Node socket errors and pg's messages for a connection that died under it. */
const TRANSIENT_NODE = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "ENOSPC", "EIO", "EROFS"]);
const TRANSIENT_MESSAGE = /Connection terminated|connection is closed|Client has encountered a connection error|timeout exceeded when trying to connect|no space left on device/i;

/** True when `e` says the database is unavailable (down, restarting, unreachable, disk full), so a retry later may succeed. */
export function isTransientDbError(e: unknown): boolean {
  if (e instanceof StampError) return e.kind === "unavailable";
  if (typeof e !== "object" || e === null) return false;
  if (isNoSpace(e)) return true;
  const code = (e as { code?: unknown }).code;
  if (typeof code === "string" && (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE.has(code))) return true;
  const msg = (e as { message?: unknown }).message;
  return typeof msg === "string" && TRANSIENT_MESSAGE.test(msg);
}

/** Seconds a client is told to wait before retrying while the database is away. */
export const DB_RETRY_AFTER_SECONDS = 2;

function unavailable(cause: unknown): StampError {
  const message = isNoSpace(cause)
    ? "The database's disk is full; the operator must free space. Nothing was changed; retry later."
    : "The database is unavailable (restarting or unreachable); retry shortly.";
  return new StampError("unavailable", message, { retryAfterSeconds: DB_RETRY_AFTER_SECONDS, cause });
}

/** Rethrows a transient database error as StampError("unavailable") (answered as 503 + Retry-After), others as they are. */
function mapped(e: unknown): never {
  if (e instanceof StampError) throw e;
  throw isTransientDbError(e) ? unavailable(e) : e;
}

async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    return mapped(e);
  }
}

/** How long and how often to retry getting a connection while the database restarts. */
export interface ConnectRetry {
  /** Total time to keep trying before answering 503 (ms). */
  maxWaitMs: number;
  /** First pause between attempts (ms), doubled up to 1 s. */
  firstDelayMs: number;
}

/**
 * Wraps a Kysely dialect so database faults are weather (ARCHITECTURE rule 13):
 * - getting a connection is retried with bounded backoff (nothing was sent yet, so it is safe);
 * - a plain read outside a transaction whose connection died is run again on a fresh one, with
 *   the same bounded backoff (reading twice changes nothing);
 * - any other query that fails because the connection or database went away throws
 *   StampError("unavailable"), which every edge answers as 503 with Retry-After.
 * Writes and anything inside a transaction are never retried here: a lost COMMIT may or may not
 * have happened, and only the caller (with an Idempotency-Key) can safely try again.
 */
export function resilientDialect(inner: Dialect, retry: ConnectRetry = { maxWaitMs: 5000, firstDelayMs: 100 }): Dialect {
  return {
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createDriver: () => resilientDriver(inner.createDriver(), retry),
  };
}

/** A read that may run again elsewhere: a SELECT that takes no lock and changes nothing (not an advisory lock, which is bound to its session). */
function isPlainRead(sqlText: string): boolean {
  return /^\s*select\b/i.test(sqlText) && !/advisory|nextval|setval|\b(insert|update|delete)\b|\bfor\s+(update|share|no\s+key|key)\b/i.test(sqlText);
}

function resilientDriver(d: Driver, retry: ConnectRetry): Driver {
  // Kysely hands our wrapper back to begin/commit/release; the inner driver needs its own object.
  const innerOf = new WeakMap<DatabaseConnection, DatabaseConnection>();
  const inner = (c: DatabaseConnection) => innerOf.get(c) ?? c;
  const inTransaction = new WeakSet<DatabaseConnection>();

  /** Gets a connection, retrying with backoff while the database is away (nothing was sent yet). */
  async function acquireInner(): Promise<DatabaseConnection> {
    const deadline = Date.now() + retry.maxWaitMs;
    let delay = retry.firstDelayMs;
    for (;;) {
      try {
        return await d.acquireConnection();
      } catch (e) {
        if (!isTransientDbError(e) || Date.now() + delay > deadline) return mapped(e);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, 1000);
      }
    }
  }
  /** Runs a plain read once more on a fresh connection (its first connection died). */
  async function readAgain<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const conn = await acquireInner();
    try {
      return await conn.executeQuery<R>(q);
    } finally {
      await d.releaseConnection(conn);
    }
  }
  return {
    init: () => d.init(),
    async acquireConnection() {
      const conn = await acquireInner();
      const wrapped: DatabaseConnection = {
        async executeQuery<R>(q: CompiledQuery) {
          try {
            return await conn.executeQuery<R>(q);
          } catch (e) {
            if (!isTransientDbError(e) || inTransaction.has(conn) || !isPlainRead(q.sql)) return mapped(e);
            return guard(() => readAgain<R>(q));
          }
        },
        streamQuery: <R>(q: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> => streamGuarded(conn.streamQuery<R>(q, chunkSize)),
      };
      innerOf.set(wrapped, conn);
      return wrapped;
    },
    async beginTransaction(c, s: TransactionSettings) {
      inTransaction.add(inner(c));
      await guard(() => d.beginTransaction(inner(c), s));
    },
    async commitTransaction(c) {
      try {
        await guard(() => d.commitTransaction(inner(c)));
      } finally {
        inTransaction.delete(inner(c));
      }
    },
    async rollbackTransaction(c) {
      try {
        await guard(() => d.rollbackTransaction(inner(c)));
      } finally {
        inTransaction.delete(inner(c));
      }
    },
    savepoint: d.savepoint && ((c, n, compile) => guard(() => d.savepoint!(inner(c), n, compile))),
    rollbackToSavepoint: d.rollbackToSavepoint && ((c, n, compile) => guard(() => d.rollbackToSavepoint!(inner(c), n, compile))),
    releaseSavepoint: d.releaseSavepoint && ((c, n, compile) => guard(() => d.releaseSavepoint!(inner(c), n, compile))),
    releaseConnection: (c) => {
      inTransaction.delete(inner(c));
      return d.releaseConnection(inner(c));
    },
    destroy: () => d.destroy(),
  };
}

async function* streamGuarded<R>(it: AsyncIterableIterator<QueryResult<R>>): AsyncIterableIterator<QueryResult<R>> {
  try {
    yield* it;
  } catch (e) {
    mapped(e);
  }
}
