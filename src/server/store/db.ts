import { mkdir } from "node:fs/promises";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import { PGlite } from "@electric-sql/pglite";
import { pgliteDialect } from "./pglite-dialect.js";
import type { Database } from "./schema.js";

/** Where the data lives: the embedded PGlite directory, or a PostgreSQL URL. */
export type DbConfig = { kind: "pglite"; dataDir: string } | { kind: "postgres"; url: string; poolSize?: number };

/** An open database: the Kysely handle and how to close it. */
export interface Db {
  db: Kysely<Database>;
  kind: DbConfig["kind"];
  close(): Promise<void>;
}

// int8 (bigserial ids, counts) as string, never a lossy number.
pg.types.setTypeParser(20, (v) => v);

/** Opens the configured database. */
export async function openDb(cfg: DbConfig): Promise<Db> {
  if (cfg.kind === "pglite") {
    await mkdir(cfg.dataDir, { recursive: true, mode: 0o700 });
    // int8 as string, as with pg below: the same rows from both stores.
    const lite = await PGlite.create(cfg.dataDir, { parsers: { 20: (v: string) => v } });
    const db = new Kysely<Database>({ dialect: pgliteDialect(lite) });
    return { db, kind: "pglite", close: () => db.destroy() };
  }
  const pool = new pg.Pool({ connectionString: cfg.url, max: cfg.poolSize ?? 10 });
  // A dropped idle connection must not crash the process.
  pool.on("error", () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, kind: "postgres", close: () => db.destroy() };
}

/** True when `e` is a PostgreSQL unique violation (SQLSTATE 23505), from pg or PGlite. */
export function isUniqueViolation(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { code?: unknown }).code === "23505";
}
