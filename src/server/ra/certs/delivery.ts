import type { Store } from "../../store/store.js";

/**
 * Confirmations that an issuing answer was written, written in batches (one UPDATE per
 * 250 ms or 200 certificates): the hot path pays no extra commit per certificate. A crash loses
 * at most the queued ones, which reconciliation then reports as unconfirmed — never the reverse.
 */
export function createDeliveryConfirmations(store: Pick<Store, "reconcile">, delayMs = 250, maxBatch = 200) {
  let queued: string[] = [];
  let timer: NodeJS.Timeout | null = null;
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    if (timer) clearTimeout(timer);
    timer = null;
    const ids = queued;
    queued = [];
    if (ids.length) {
      // A failed write only leaves the rows pending: reconciliation reports them, nothing breaks.
      writing = writing.then(() => store.reconcile.confirmDelivery(ids)).catch(() => undefined);
    }
    return writing;
  }
  return {
    /** Queues the confirmation for certificate `id`. */
    confirm(id: string) {
      queued.push(id);
      if (queued.length >= maxBatch) void flush();
      else if (!timer) {
        timer = setTimeout(() => void flush(), delayMs);
        timer.unref();
      }
    },
    /** Writes what is queued now. */
    flush,
  };
}
