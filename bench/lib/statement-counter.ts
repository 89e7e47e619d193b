/**
 * Counts every SQL statement this process sends to a database (pg `Client.query`, PGlite
 * `query`/`exec`), BEGIN and COMMIT included, except the cache listener's heartbeats; only while
 * started. Importing it patches both drivers' prototypes, so import it before a server starts.
 */
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";

const seen: string[] = [];
let on = false;
function count(sql: unknown) {
  if (on) seen.push(typeof sql === "string" ? sql : String((sql as { text?: string })?.text ?? "?"));
}
const pgQuery = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client & { connectionParameters?: { application_name?: string } }, ...args: unknown[]) {
  if (this.connectionParameters?.application_name !== "stamp-cache-listener") count(args[0]);
  return (pgQuery as (...a: unknown[]) => unknown).apply(this, args);
} as typeof pgQuery;
const liteQuery = PGlite.prototype.query;
const liteExec = PGlite.prototype.exec;
PGlite.prototype.query = function (this: PGlite, ...args: Parameters<PGlite["query"]>) {
  count(args[0]);
  return liteQuery.apply(this, args);
} as typeof liteQuery;
PGlite.prototype.exec = function (this: PGlite, ...args: Parameters<PGlite["exec"]>) {
  count(args[0]);
  return liteExec.apply(this, args);
} as typeof liteExec;

/** Starts counting afresh. */
export function startCounting(): void {
  seen.length = 0;
  on = true;
}

/** Stops counting; returns the statements seen since `startCounting`. */
export function stopCounting(): string[] {
  on = false;
  return [...seen];
}

/** A statement's kind for a breakdown: its first word, and the first table it names. */
export function statementKind(q: string): string {
  const word = q.trim().split(/\s+/)[0].toLowerCase();
  const table = /\b(?:from|into|update)\s+"?([a-z_]+)"?/i.exec(q)?.[1];
  return table ? `${word} ${table}` : word;
}
