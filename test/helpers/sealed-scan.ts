import { sql } from "kysely";
import { openDb } from "../../src/server/store/db.js";
import { isSealed, type Sealed } from "../../src/server/keys/envelope.js";

/** An envelope found anywhere in the database: table, column, the row's JSON and where in it. */
export interface FoundEnvelope {
  table: string;
  column: string;
  row: Record<string, unknown>;
  value: unknown;
  path: string[];
  sealed: Sealed;
}

function walk(v: unknown, path: string[], out: { path: string[]; sealed: Sealed }[]) {
  if (isSealed(v)) return void out.push({ path, sealed: v });
  if (typeof v === "object" && v !== null) for (const [k, x] of Object.entries(v)) walk(x, [...path, k], out);
}

/**
 * Every sealed envelope in every json/jsonb/text column of every table — found by shape, not
 * from Stamp's list of sealed columns, so a column the rotation does not know is found too.
 */
export async function scanEnvelopes(db: { dataDir: string; databaseUrl: string | null }): Promise<FoundEnvelope[]> {
  const h = await openDb(db.databaseUrl ? { kind: "postgres", url: db.databaseUrl, poolSize: 1 } : { kind: "pglite", dataDir: `${db.dataDir}/db` });
  try {
    const cols = (
      await sql<{ table_name: string; column_name: string }>`
        select c.table_name, c.column_name from information_schema.columns c
        join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
        where t.table_type = 'BASE TABLE' and c.table_schema not in ('pg_catalog', 'information_schema')
          and c.data_type in ('json', 'jsonb', 'text', 'character varying')
        order by 1, 2`.execute(h.db)
    ).rows;
    const found: FoundEnvelope[] = [];
    for (const c of cols) {
      const rows = (await sql.raw<Record<string, unknown>>(`select * from "${c.table_name}" where "${c.column_name}"::text like '%wrappedKey%'`).execute(h.db)).rows;
      for (const row of rows) {
        let value = row[c.column_name];
        if (typeof value === "string") {
          try {
            value = JSON.parse(value);
          } catch {
            /* text that merely mentions the word */
          }
        }
        const hits: { path: string[]; sealed: Sealed }[] = [];
        walk(value, [], hits);
        for (const x of hits) found.push({ table: c.table_name, column: c.column_name, row, value, ...x });
      }
    }
    return found;
  } finally {
    await h.close();
  }
}
