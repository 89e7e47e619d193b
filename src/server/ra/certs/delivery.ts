import type { Store } from "../../store/store.js";

/**
 * Confirmations that an issuing answer was written, group-committed: one UPDATE at a time, each
 * taking every confirmation queued while the previous one ran. The window a crash can lose is
 * one such write (the certificates then show as unconfirmed though delivered: never the reverse),
 * and under load many confirmations share one statement.
 */
export function createDeliveryConfirmations(store: Pick<Store, "reconcile">, maxBatch = 500) {
  let queued: string[] = [];
  let writing: Promise<void> | null = null;

  async function drain(): Promise<void> {
    while (queued.length) {
      const ids = queued.slice(0, maxBatch);
      queued = queued.slice(ids.length);
      // A failed write only leaves the rows pending: reconciliation reports them, nothing breaks.
      await store.reconcile.confirmDelivery(ids).catch(() => undefined);
    }
  }
  function flush(): Promise<void> {
    writing ??= drain().finally(() => (writing = null));
    return writing;
  }
  return {
    /** Queues the confirmation for certificate `id`; written as soon as the previous write ends. */
    confirm(id: string) {
      queued.push(id);
      // After the I/O callbacks already due, so answers finishing together share one UPDATE
      // (the embedded store runs queries synchronously and would otherwise take them one by one).
      if (queued.length === 1) setImmediate(() => void flush());
    },
    /** Resolves once everything queued is written. */
    flush,
  };
}
