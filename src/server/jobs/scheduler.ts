/** A periodic job: what it runs and how often. */
export interface Job {
  name: string;
  intervalMs: number;
  run(): Promise<unknown>;
}

/**
 * Runs jobs on timers with jitter, one run of a job at a time, errors logged and never fatal.
 * `poke(name)` asks for a run soon (debounced), e.g. after a revocation. Work that must happen
 * once across servers takes a store job lock inside `run`, so every server can run every job.
 */
export function createScheduler(jobs: Job[], log: (msg: string, err?: unknown) => void, random: () => number = Math.random) {
  const timers = new Map<string, NodeJS.Timeout>();
  const running = new Map<string, Promise<void>>();
  const again = new Set<string>();
  let stopped = true;

  function runNow(job: Job): Promise<void> {
    const current = running.get(job.name);
    if (current) {
      again.add(job.name);
      return current;
    }
    const p = job
      .run()
      .then(() => undefined, (e) => log(`job ${job.name} failed`, e))
      .finally(() => {
        running.delete(job.name);
        if (again.delete(job.name) && !stopped) void runNow(job);
      });
    running.set(job.name, p);
    return p;
  }
  function schedule(job: Job, delayMs: number) {
    clearTimeout(timers.get(job.name));
    if (stopped) return;
    const t = setTimeout(() => {
      void runNow(job).finally(() => schedule(job, job.intervalMs * (0.9 + 0.2 * random())));
    }, delayMs);
    t.unref();
    timers.set(job.name, t);
  }
  return {
    /** Starts every job's timer; the first runs come after a short random delay. */
    start() {
      stopped = false;
      for (const j of jobs) schedule(j, Math.min(j.intervalMs, 1000) * random());
    },
    /** Asks for a run of `name` within `delayMs` (debounced: many pokes, one run). */
    poke(name: string, delayMs = 1000) {
      const job = jobs.find((j) => j.name === name);
      if (!job || stopped) return;
      schedule(job, delayMs);
    },
    /** Runs a job now and waits for it (tests, and the first CRL on demand). */
    runNow(name: string) {
      const job = jobs.find((j) => j.name === name);
      return job ? runNow(job) : Promise.resolve();
    },
    /** Stops the timers and waits for runs in flight. */
    async stop() {
      stopped = true;
      for (const t of timers.values()) clearTimeout(t);
      await Promise.all(running.values());
    },
  };
}

export type Scheduler = ReturnType<typeof createScheduler>;
