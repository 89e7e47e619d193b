/**
 * Group commit: callers submit one item each; items that arrive while a batch is in flight wait
 * and go together in the next one, so N concurrent callers share one batch's round trips. A
 * lone caller is never delayed (an idle queue runs at once). `run` answers per item: a value,
 * or an Error for that item alone; if `run` throws, every item of the batch gets that error.
 */
export function createGroupCommit<T, R>(opts: { run: (items: T[]) => Promise<(R | Error)[]>; maxBatch: number; maxInFlight: number }) {
  let queue: { item: T; resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  let inFlight = 0;
  const idle: (() => void)[] = [];

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
          pump();
          if (inFlight === 0 && !queue.length) idle.splice(0).forEach((f) => f());
        });
    }
  }

  return {
    /** Queues one item; resolves with its result once its batch has run. */
    submit(item: T): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        pump();
      });
    },
    /** Resolves when nothing is queued or in flight. */
    drain(): Promise<void> {
      return inFlight === 0 && !queue.length ? Promise.resolve() : new Promise((r) => idle.push(r));
    },
    /** Items waiting and batches running (tests, metrics). */
    get depth() {
      return { queued: queue.length, inFlight };
    },
  };
}
