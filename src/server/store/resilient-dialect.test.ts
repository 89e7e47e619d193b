import { CompiledQuery, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler, sql, type DatabaseConnection, type Dialect, type Driver, type QueryResult } from "kysely";
import { describe, expect, it } from "vitest";
import { StampError } from "../../errors.js";
import { isTransientDbError, resilientDialect } from "./resilient-dialect.js";

/** A fake driver: `plan` decides, per connection and statement, whether to fail and how. */
function fakeDialect(plan: { acquireFailures?: unknown[]; fail?: (connection: number, sqlText: string) => unknown }) {
  const log: { connection: number; sql: string }[] = [];
  let connections = 0;
  const acquireFailures = [...(plan.acquireFailures ?? [])];
  const driver: Driver = {
    async init() {},
    async acquireConnection() {
      if (acquireFailures.length) throw acquireFailures.shift();
      const n = ++connections;
      const conn: DatabaseConnection = {
        async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
          log.push({ connection: n, sql: q.sql });
          const err = plan.fail?.(n, q.sql);
          if (err) throw err;
          return { rows: [{ connection: n } as R] };
        },
        // eslint-disable-next-line require-yield
        async *streamQuery() {
          throw new Error("not used");
        },
      };
      return conn;
    },
    async beginTransaction(c) {
      await c.executeQuery(CompiledQuery.raw("begin"));
    },
    async commitTransaction(c) {
      await c.executeQuery(CompiledQuery.raw("commit"));
    },
    async rollbackTransaction(c) {
      await c.executeQuery(CompiledQuery.raw("rollback"));
    },
    async releaseConnection() {},
    async destroy() {},
  };
  const inner: Dialect = { createAdapter: () => new PostgresAdapter(), createDriver: () => driver, createIntrospector: (db) => new PostgresIntrospector(db), createQueryCompiler: () => new PostgresQueryCompiler() };
  const db = new Kysely<any>({ dialect: resilientDialect(inner, { maxWaitMs: 2000, firstDelayMs: 5 }) });
  return { db, log };
}

const terminated = Object.assign(new Error("terminating connection due to administrator command"), { code: "57P01" });

describe("resilientDialect", () => {
  it("ok/ a plain read whose connection died runs again on a fresh connection", async () => {
    const { db, log } = fakeDialect({ fail: (n, q) => (n === 1 && q.startsWith("select") ? terminated : undefined) });
    const r = await sql<{ connection: number }>`select 1`.execute(db);
    expect(r.rows).toEqual([{ connection: 2 }]);
    expect(log.map((l) => l.connection)).toEqual([1, 2]);
  });

  it("fail/ a write, a read inside a transaction and an advisory-lock read are not retried: 503-kind StampError", async () => {
    for (const stmt of [sql`insert into t values (1)`, sql`select pg_try_advisory_lock(1)`, sql`select * from t for update`]) {
      const { db, log } = fakeDialect({ fail: (n) => (n === 1 ? terminated : undefined) });
      const e = await stmt.execute(db).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(StampError);
      expect((e as StampError).kind).toBe("unavailable");
      expect((e as StampError).retryAfterSeconds).toBe(2);
      expect(log).toHaveLength(1);
    }
    const { db, log } = fakeDialect({ fail: (n, q) => (n === 1 && q.startsWith("select") ? terminated : undefined) });
    const e = await db
      .transaction()
      .execute(async (tx) => sql`select 1`.execute(tx))
      .catch((x: unknown) => x);
    expect((e as StampError).kind).toBe("unavailable");
    expect(log.filter((l) => l.sql.startsWith("select"))).toHaveLength(1);
  });

  it("ok/ getting a connection is retried while the database refuses, then works", async () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:5432"), { code: "ECONNREFUSED" });
    const { db } = fakeDialect({ acquireFailures: [refused, refused] });
    expect((await sql`select 1`.execute(db)).rows).toHaveLength(1);
  });

  it("fail/ an error that is not about the database being away passes through unchanged", async () => {
    const dup = Object.assign(new Error("duplicate key"), { code: "23505" });
    const { db } = fakeDialect({ fail: () => dup });
    await expect(sql`select 1`.execute(db)).rejects.toBe(dup);
    expect(isTransientDbError(dup)).toBe(false);
    expect(isTransientDbError(terminated)).toBe(true);
    expect(isTransientDbError(Object.assign(new Error("x"), { name: "ErrnoError", errno: 51 }))).toBe(true);
  });
});
