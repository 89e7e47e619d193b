import type { Kysely } from "kysely";

/** One schema step. Written in PostgreSQL 15 SQL (PGlite is 18; both must accept it). */
export interface Migration {
  name: string;
  up(db: Kysely<any>): Promise<void>;
}
