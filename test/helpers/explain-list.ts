/**
 * EXPLAIN of the very statement the certificate list sends: captures the SQL and parameters of
 * one `store.cert.list` call as they reach the pg driver, then asks PostgreSQL for that
 * statement's plan. For the plan test (test/cert-list.test.ts, `plan/ a million certificates`);
 * the server has no EXPLAIN code of its own.
 */
import pg from "pg";

type ListArgs<S extends { cert: { list(q: never): Promise<unknown> } }> = Parameters<S["cert"]["list"]>[0];

/** The plan (EXPLAIN, or EXPLAIN (ANALYZE, BUFFERS)) of the list query `store.cert.list(q)` runs, as text. */
export async function explainList<S extends { cert: { list(q: never): Promise<unknown> } }>(store: S, db: pg.Client, q: ListArgs<S>, opts: { analyze?: boolean } = {}): Promise<string> {
  const seen: { text: string; values: unknown[] }[] = [];
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const [a, b] = args as [string | { text?: string; values?: unknown[] }, unknown];
    const text = typeof a === "string" ? a : a?.text;
    const values = typeof a === "string" ? b : (a?.values ?? b);
    // The list query is the one that selects the page key (the certificate repository's listQuery).
    if (typeof text === "string" && text.includes('"page_key"')) seen.push({ text, values: Array.isArray(values) ? values : [] });
    return (query as (...x: unknown[]) => unknown).apply(this, args);
  } as typeof query;
  try {
    await store.cert.list(q as never);
  } finally {
    pg.Client.prototype.query = query;
  }
  const statement = seen.at(-1);
  if (!statement) throw new Error("store.cert.list sent no list query through pg (is the store PostgreSQL?)");
  const r = await db.query<{ "QUERY PLAN": string }>(`explain ${opts.analyze ? "(analyze, buffers) " : ""}${statement.text}`, statement.values);
  return r.rows.map((x) => x["QUERY PLAN"]).join("\n");
}
