import pg from "pg";
import type { PGlite } from "@electric-sql/pglite";

/** The channel migration 0017's triggers notify on. */
export const CACHE_CHANNEL = "stamp_cache";

/** What a listener tells the cache. */
export interface ListenHandlers {
  /** One notification's payload (`<table>:<key>` or `<table>`). */
  notify(payload: string): void;
  /** Listening (again): anything may have changed meanwhile. */
  up(): void;
  /** The connection is lost: notifications are no longer heard. */
  down(): void;
}

/** A running listener. */
export interface Listener {
  close(): Promise<void>;
}

/**
 * LISTEN on a dedicated PostgreSQL connection, outside the pool (a pooled connection would be
 * handed to queries and its LISTEN lost). On an error, an end or a missed heartbeat it reports
 * `down` and reconnects with backoff; `up` follows each successful LISTEN. Resolves after the
 * first attempt, whatever its outcome.
 */
export async function listenPostgres(url: string, h: ListenHandlers, opts: { heartbeatMs?: number; retryMs?: number } = {}): Promise<Listener> {
  const heartbeatMs = opts.heartbeatMs ?? 5000;
  let client: pg.Client | null = null;
  let closed = false;
  let retry: NodeJS.Timeout | undefined;
  let beat: NodeJS.Timeout | undefined;
  let delay = opts.retryMs ?? 250;

  function lost(c: pg.Client) {
    if (client !== c) return;
    client = null;
    clearInterval(beat);
    h.down();
    c.end().catch(() => {});
    schedule();
  }
  function schedule() {
    if (closed || retry) return;
    retry = setTimeout(() => {
      retry = undefined;
      void connect();
    }, delay).unref();
    delay = Math.min(delay * 2, 5000);
  }
  async function connect() {
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000, keepAlive: true, application_name: "stamp-cache-listener" });
    c.on("error", () => lost(c));
    c.on("end", () => lost(c));
    c.on("notification", (m) => {
      if (m.channel === CACHE_CHANNEL) h.notify(m.payload ?? "");
    });
    try {
      await c.connect();
      await c.query(`listen ${CACHE_CHANNEL}`);
      if (closed) return void (await c.end().catch(() => {}));
      client = c;
      delay = opts.retryMs ?? 250;
      h.up();
      // A connection black-holed by the network sends no error: a query that does not answer in time counts as lost.
      beat = setInterval(() => {
        const t = setTimeout(() => lost(c), heartbeatMs).unref();
        c.query("select 1").then(
          () => clearTimeout(t),
          () => {
            clearTimeout(t);
            lost(c);
          },
        );
      }, heartbeatMs).unref();
    } catch {
      c.removeAllListeners("end");
      c.on("error", () => {});
      c.end().catch(() => {});
      schedule();
    }
  }
  await connect();
  return {
    async close() {
      closed = true;
      clearTimeout(retry);
      clearInterval(beat);
      const c = client;
      client = null;
      if (c) {
        c.removeAllListeners("end");
        await c.end().catch(() => {});
      }
    },
  };
}

/**
 * LISTEN on the one PGlite instance. PGlite hands a notification to its listeners while it
 * reads the results of the query whose commit sent it, so a write is seen before it returns.
 */
export async function listenPglite(lite: PGlite, h: ListenHandlers): Promise<Listener> {
  const unlisten = await lite.listen(CACHE_CHANNEL, (payload) => h.notify(payload));
  h.up();
  return {
    async close() {
      h.down();
      if (!lite.closed) await unlisten().catch(() => {});
    },
  };
}
