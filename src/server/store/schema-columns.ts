import type { ColumnType } from "kysely";

/** Column types shared by the row types of schema.ts and schema-acme.ts. */

/** A created_at column: set by the database's default, never updated. */
export type Created = ColumnType<Date, Date | undefined, never>;
/** bytea: Buffer from pg, Uint8Array from PGlite. */
export type Bytes = Uint8Array;
/** jsonb columns: written as JSON text, read back parsed. */
export type Json<T> = ColumnType<T, string, string>;
