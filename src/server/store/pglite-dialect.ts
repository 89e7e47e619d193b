import type { PGlite } from "@electric-sql/pglite";
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from "kysely";

/**
 * A Kysely dialect over PGlite. PGlite has one session, so every connection is that
 * session: a mutex hands it to one holder at a time, which keeps a query issued outside a
 * transaction from landing inside another caller's open transaction (STACK.md: the
 * kysely-pglite package lacks this and loses committed rows).
 */
export function pgliteDialect(pg: PGlite): Dialect {
  return {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => createDriver(pg),
    createIntrospector: (db: Kysely<any>) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  };
}

function createDriver(pg: PGlite): Driver {
  let tail: Promise<void> = Promise.resolve();
  let release: (() => void) | null = null;
  const connection: DatabaseConnection = {
    async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
      // Like node-postgres, a query without parameters goes over the simple protocol,
      // which accepts several statements (migrations rely on it).
      const res =
        q.parameters.length === 0
          ? ((await pg.exec(q.sql, { rowMode: "object" })).at(-1) ?? { rows: [], affectedRows: 0 })
          : await pg.query<R>(q.sql, q.parameters as unknown[], { rowMode: "object" });
      const affected = res.affectedRows;
      return { rows: res.rows as R[], numAffectedRows: affected === undefined ? undefined : BigInt(affected) };
    },
    // eslint-disable-next-line require-yield
    async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
      throw new Error("streaming is not supported on PGlite; page with keyset queries instead");
    },
  };
  return {
    async init() {},
    async acquireConnection() {
      const prev = tail;
      let done!: () => void;
      tail = new Promise<void>((r) => (done = r));
      await prev;
      release = done;
      return connection;
    },
    async beginTransaction(conn) {
      await conn.executeQuery(CompiledQuery.raw("begin"));
    },
    async commitTransaction(conn) {
      await conn.executeQuery(CompiledQuery.raw("commit"));
    },
    async rollbackTransaction(conn) {
      await conn.executeQuery(CompiledQuery.raw("rollback"));
    },
    async releaseConnection() {
      const r = release;
      release = null;
      r?.();
    },
    async destroy() {
      await tail;
      await pg.close();
    },
  };
}
