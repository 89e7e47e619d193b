/**
 * Group commit: callers submit one item each; items that arrive while a batch is in flight wait
 * and go together in the next one, so N concurrent callers share one batch's round trips. A
 * batch starts from `setImmediate`, after the I/O callbacks already due: requests whose bytes
 * have arrived reach the queue first. That matters most for the embedded store, whose queries
 * run synchronously inside the event loop and so leave no other gap. A lone caller waits one
 * turn of the loop (microseconds). `run` answers per item: a value,
 * or an Error for that item alone; if `run` throws, every item of the batch gets that error.
 */
export function createGroupCommit<T, R>(opts: { run: (items: T[]) => Promise<(R | Error)[]>; maxBatch: number; maxInFlight: number }) {
  let queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let inFlight = 0;
  let scheduled = false;
  const idle: (() => void)[] = [];

  function schedule() {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      pump();
    });
  }

  function pump() {
    while (inFlight < opts.maxInFlight && queue.length) {
      const batch = queue.slice(0, opts.maxBatch);
      queue = queue.slice(batch.length);
      inFlight++;
      void opts
        .run(batch.map((b) => b.item))
        .then(
          (results) => batch.forEach((b, i) => (results[i] instanceof Error ? b.reject(results[i]) : b.resolve(results[i] as R))),
          (e) => batch.forEach((b) => b.reject(e)),
        )
        .finally(() => {
          inFlight--;
          schedule();
        });
    }
    if (inFlight === 0 && !queue.length) idle.splice(0).forEach((f) => f());
  }

  return {
    /** Queues one item; resolves with its result once its batch has run. */
    submit(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    /** Resolves when nothing is queued or in flight. */
    drain(): Promise<void> {
      return inFlight === 0 && !queue.length && !scheduled ? Promise.resolve() : new Promise((r) => idle.push(r));
    },
    /** Items waiting and batches running (tests, metrics). */
    get depth() {
      return { queued: queue.length, inFlight };
    },
  };
}
