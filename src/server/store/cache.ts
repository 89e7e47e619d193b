/**
 * Per-server read caches, invalidated by tags (docs/adr/0007-caches.md).
 *
 * A tag is `<table>:<key>` (one row, or the natural key a trigger announces) or `<table>`
 * (the whole table, for a value computed from every row). The database announces every change
 * of a cached table as `<table>:<key>` (migration 0017); this server's own writes also drop a
 * whole table at once (`invalidateTable`), so a server reads its own writes without waiting for
 * the notification to come back.
 *
 * Race guard: a value read from the database is stored only if no invalidation touching its
 * tags (and no flush) arrived while it was being read; otherwise the next reader reads again.
 * While the listener is down (`setLive(false)`) nothing is stored or served.
 */

interface Entry {
  key: string;
  value: unknown;
  index: string[];
  cache: Map<string, Entry>;
}

interface Load {
  index: Set<string>;
  stale: boolean;
  promise: Promise<unknown>;
}

/** A read function made cached: same arguments, same result. */
export interface CacheSpec<A extends unknown[], R> {
  /** Entries kept at most (least recently used go first). */
  max: number;
  /** The cache key of one call. */
  key: (...args: A) => string;
  /** What invalidates a call's result: `table:key` tags, or `table` for all of a table. */
  tags: (...args: A) => string[];
}

/** Counters, for tests and the report. */
export interface CacheStats {
  hits: number;
  misses: number;
  invalidations: number;
  flushes: number;
  discarded: number;
}

/** Index keys of a tag: a row tag is found by itself and by its table's wildcard. */
function indexOf(tags: string[]): string[] {
  const out = new Set<string>();
  for (const t of tags) {
    const i = t.indexOf(":");
    if (i < 0) out.add(t);
    else {
      out.add(t);
      out.add(`${t.slice(0, i)}:*`);
    }
  }
  return [...out];
}

/** Index keys an invalidation hits: a row change hits the row and table-wide dependents; a table change hits every row. */
function hitsOf(payload: string): string[] {
  const i = payload.indexOf(":");
  return i < 0 ? [`${payload}:*`, payload] : [payload, payload.slice(0, i)];
}

/** Creates the tag index shared by every cache of one server. */
export function createCacheHub() {
  const byIndex = new Map<string, Set<Entry>>();
  const caches: Map<string, Entry>[] = [];
  const loads = new Set<Load>();
  let live = false;
  const stats: CacheStats = { hits: 0, misses: 0, invalidations: 0, flushes: 0, discarded: 0 };

  function drop(e: Entry) {
    e.cache.delete(e.key);
    for (const ix of e.index) {
      const set = byIndex.get(ix);
      if (!set) continue;
      set.delete(e);
      if (set.size === 0) byIndex.delete(ix);
    }
  }

  function invalidate(payload: string) {
    stats.invalidations++;
    const hits = hitsOf(payload);
    for (const ix of hits) for (const e of [...(byIndex.get(ix) ?? [])]) drop(e);
    for (const l of loads) if (!l.stale && hits.some((h) => l.index.has(h))) l.stale = true;
  }

  function flush() {
    stats.flushes++;
    for (const c of caches) c.clear();
    byIndex.clear();
    for (const l of loads) l.stale = true;
  }

  return {
    stats,
    /** Wraps `load` in a cache with its own size bound, keyed and tagged by `spec`. */
    cached<A extends unknown[], R>(spec: CacheSpec<A, R>, load: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
      const cache = new Map<string, Entry>();
      const inflight = new Map<string, Load>();
      caches.push(cache);
      return async (...args: A): Promise<R> => {
        if (!live) return load(...args);
        const key = spec.key(...args);
        const hit = cache.get(key);
        if (hit) {
          stats.hits++;
          // Least recently used first: a hit moves to the end.
          cache.delete(key);
          cache.set(key, hit);
          return hit.value as R;
        }
        // Join a read already under way, unless an invalidation arrived since it began.
        const joined = inflight.get(key);
        if (joined && !joined.stale) return joined.promise as Promise<R>;
        stats.misses++;
        const index = indexOf(spec.tags(...args));
        const l: Load = { index: new Set(index), stale: false, promise: load(...args) };
        loads.add(l);
        inflight.set(key, l);
        try {
          const value = await l.promise;
          if (l.stale || !live) stats.discarded++;
          else {
            cache.get(key) && drop(cache.get(key)!);
            const e: Entry = { key, value, index, cache };
            cache.set(key, e);
            for (const ix of index) {
              let set = byIndex.get(ix);
              if (!set) byIndex.set(ix, (set = new Set()));
              set.add(e);
            }
            while (cache.size > spec.max) drop(cache.values().next().value!);
          }
          return value as R;
        } finally {
          loads.delete(l);
          if (inflight.get(key) === l) inflight.delete(key);
        }
      };
    },
    /** A change announced by the database: `<table>:<key>`, or `<table>` for all of it. */
    invalidate,
    /** This server wrote to `table`: drop everything read from it (its own notification follows). */
    invalidateTable: (table: string) => invalidate(table),
    /** Drops everything (the listener reconnected: notifications may have been missed). */
    flush,
    /** Whether invalidations are being heard; while not, every read goes to the database. */
    setLive(on: boolean) {
      flush();
      live = on;
    },
    /** Whether the cache serves and stores values. */
    isLive: () => live,
    /** Entries held, over every cache. */
    size: () => caches.reduce((n, c) => n + c.size, 0),
  };
}

/** One server's cache hub. */
export type CacheHub = ReturnType<typeof createCacheHub>;
