/**
 * Raw SQL into the database a bench server runs on, for seeding synthetic rows. PostgreSQL: a
 * separate connection to the bench database. PGlite: the in-process instance the server opened
 * (captured by wrapping PGlite.create before the server starts; call capturePglite() first).
 * Use only while the server is idle: PGlite queries here bypass the dialect's mutex.
 */
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import type { StoreKind } from "./server.js";

const PG_ADMIN_URL = process.env.STAMP_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

let captured: PGlite | undefined;
let wrapped = false;

/** Wraps PGlite.create so the next instance the server opens can be reached here. */
export function capturePglite(): void {
  if (wrapped) return;
  wrapped = true;
  const pgl = PGlite as unknown as { create: (...a: unknown[]) => Promise<PGlite> };
  const orig = pgl.create.bind(PGlite);
  pgl.create = async (...a: unknown[]) => {
    captured = await orig(...a);
    return captured;
  };
}

/** Runs SQL (with $n parameters) on the bench database; returns the rows. */
export interface RawSql {
  query<R = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  close(): Promise<void>;
}

/** A raw SQL handle on the store the bench server in this process uses (see bench/lib/server.ts for the PostgreSQL name). */
export async function rawSql(kind: StoreKind): Promise<RawSql> {
  if (kind === "pglite") {
    const lite = captured;
    if (!lite) throw new Error("rawSql(pglite): call capturePglite() before starting the server");
    return { query: async (text, params) => (await lite.query<any>(text, params ?? [])).rows, close: async () => {} };
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/stamp_bench_${process.pid}`; // the name bench/lib/server.ts gives the database
  const c = new pg.Client({ connectionString: url.toString() });
  await c.connect();
  return { query: async (text, params) => (await c.query(text, params as unknown[])).rows, close: () => c.end() };
}
