/**
 * `--workers N` (PostgreSQL only): a primary process that forks N server processes sharing the
 * listeners through node:cluster, replaces one that dies, and stops them all on a signal. Each
 * worker is a whole server (compose.ts) on the shared database, exactly like N servers behind a
 * load balancer: jobs take their database locks, caches are per process and follow the database
 * (docs/operations.md, "Cluster mode"). The primary holds no database connection and no key.
 */
import cluster, { type Worker } from "node:cluster";

/** What a worker tells the primary once its listeners are open. */
interface ReadyMessage {
  stamp: "ready";
  /** The lines the server prints when it listens (the primary prints them once for the cluster). */
  lines: string[];
}

const isReady = (m: unknown): m is ReadyMessage => typeof m === "object" && m !== null && (m as ReadyMessage).stamp === "ready" && Array.isArray((m as ReadyMessage).lines);

/** In a worker: tells the primary this server listens, with the lines it would have printed. */
export function tellPrimaryReady(lines: string[]): void {
  process.send?.({ stamp: "ready", lines } satisfies ReadyMessage);
}

/** True in a worker whose startup notices the operator should see (the first one forked; later ones repeat them). */
export function isFirstWorker(): boolean {
  return cluster.isWorker && cluster.worker?.id === 1;
}

/** True in a process forked by the primary. */
export function isWorker(): boolean {
  return cluster.isWorker;
}

/** Timings of the primary: restart backoff and how long workers get to stop. */
export interface PrimaryTimings {
  /** First pause before replacing a dead worker, doubled per death in a row up to `restartMaxMs`. */
  restartMinMs: number;
  restartMaxMs: number;
  /** A worker that lived this long resets the backoff. */
  stableMs: number;
  /** Workers still running this long after the stop signal are killed. */
  stopTimeoutMs: number;
}

const DEFAULT_TIMINGS: PrimaryTimings = { restartMinMs: 250, restartMaxMs: 30_000, stableMs: 60_000, stopTimeoutMs: 30_000 };

/**
 * Runs the primary: forks the first worker and waits until it listens (it alone runs the first
 * start: migrations, root key, TLS CA, first admin), then the others. Resolves with the exit
 * code: 0 after `stop`, or the first worker's code when the cluster cannot start.
 */
export function runPrimary(opts: { workers: number; log: (line: string) => void; timings?: Partial<PrimaryTimings> }): { done: Promise<number>; stop(signal: string): void } {
  const t = { ...DEFAULT_TIMINGS, ...opts.timings };
  const { log } = opts;
  const bornAt = new Map<Worker, number>();
  const ready = new Set<Worker>();
  let started = false; // every initial worker has listened once
  let stopping = false;
  let deathsInARow = 0;
  let exitCode = 0;
  let finish!: (code: number) => void;
  const done = new Promise<number>((resolve) => (finish = resolve));
  let killTimer: NodeJS.Timeout | undefined;
  const restarts = new Set<NodeJS.Timeout>();

  const live = () => Object.values(cluster.workers ?? {}).filter((w): w is Worker => !!w && !w.isDead());

  const fork = () => {
    const w = cluster.fork();
    bornAt.set(w, Date.now());
    w.on("message", (m: unknown) => {
      if (!isReady(m) || ready.has(w)) return;
      ready.add(w);
      if (started) return log(`worker process ${w.process.pid} ready (replacing one that died)`);
      if (ready.size === 1) {
        // The first worker has done the first start; the others only open the database and listen.
        for (let i = 1; i < opts.workers; i++) fork();
      }
      if (ready.size === opts.workers) {
        started = true;
        for (const line of m.lines) log(line);
        log(`${opts.workers} worker processes serve these listeners: ${live().map((x) => x.process.pid).join(", ")} (primary ${process.pid})`);
      }
    });
    return w;
  };

  cluster.on("exit", (w, code, signal) => {
    const lived = Date.now() - (bornAt.get(w) ?? Date.now());
    bornAt.delete(w);
    ready.delete(w);
    if (stopping) {
      if (live().length === 0) {
        clearTimeout(killTimer);
        finish(exitCode);
      }
      return;
    }
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (!started) {
      // A worker that cannot start (bad configuration, port taken, database unreachable) would fail again: give up.
      log(`a worker process exited during startup (${how}); stopping`);
      stopping = true;
      exitCode = code || 1;
      for (const x of live()) x.process.kill("SIGTERM");
      if (live().length === 0) finish(exitCode);
      return;
    }
    if (lived >= t.stableMs) deathsInARow = 0;
    const delay = Math.min(t.restartMaxMs, t.restartMinMs * 2 ** deathsInARow);
    deathsInARow++;
    log(`worker process ${w.process.pid} died (${how}); starting a replacement in ${delay} ms`);
    // Not unref'd: with every worker dead, this timer is what keeps the primary running.
    const timer = setTimeout(() => {
      restarts.delete(timer);
      if (!stopping) fork();
    }, delay);
    restarts.add(timer);
  });

  fork();
  return {
    done,
    stop(signal) {
      if (stopping) return;
      stopping = true;
      const workers = live();
      log(`${signal} received, stopping ${workers.length} worker process${workers.length === 1 ? "" : "es"}`);
      for (const r of restarts) clearTimeout(r);
      restarts.clear();
      if (workers.length === 0) return finish(0);
      // Each worker closes its listeners, finishes its requests and closes its database pool.
      for (const w of workers) w.process.kill("SIGTERM");
      killTimer = setTimeout(() => {
        for (const w of live()) {
          log(`worker process ${w.process.pid} did not stop within ${t.stopTimeoutMs / 1000} s; killing it`);
          w.process.kill("SIGKILL");
        }
      }, t.stopTimeoutMs);
      killTimer.unref();
    },
  };
}
