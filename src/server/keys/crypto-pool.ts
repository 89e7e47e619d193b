/**
 * The crypto pool: worker threads for the CPU-heavy steps that would otherwise hold the event
 * loop (PKCS#12's key derivations) or the libuv pool that file and DNS work shares (RSA key
 * generation, ~130 ms for RSA-2048 here). One thread per core, started on first use, stopped by
 * `close` (compose.ts closes it with the server). EC and Ed25519 keys take microseconds: they are
 * made inline, where a thread hop would cost more than the work.
 */
import type { KeyObject } from "node:crypto";
import { availableParallelism } from "node:os";
import { Piscina } from "piscina";
import { StampError, errors } from "../../errors.js";
import { generateKeyPairFor } from "../../keygen.js";
import { algorithmParams, type KeyAlgorithm } from "../../pki/algorithms.js";
import type { Pkcs12Input } from "../../pki/pkcs12.js";
import type { Pkcs12Task, TaskResult } from "./crypto-tasks.js";

/** Random bytes drawn for one PKCS#12 file: two PBES2 salts and IVs and the MAC salt take 80. */
const PKCS12_RANDOM_BYTES = 128;

/** What the pool offers. */
export interface CryptoPool {
  /** A fresh key pair of `alg` (RSA in a worker thread, EC and Ed25519 inline). */
  generateKeyPair(alg: KeyAlgorithm): Promise<{ privateKey: KeyObject; publicKey: KeyObject }>;
  /** buildPkcs12 (src/pki/pkcs12.ts) in a worker thread; `random` is called here, on the caller's thread. */
  buildPkcs12(input: Pkcs12Input): Promise<Uint8Array>;
  /** Stops the threads (waiting for running tasks); later calls fail. */
  close(): Promise<void>;
}

/** Creates the pool; no thread starts until the first task. */
export function createCryptoPool(opts: { threads?: number } = {}): CryptoPool {
  const threads = Math.max(1, opts.threads ?? availableParallelism());
  let pool: Piscina | null = null;
  let closed = false;
  const get = () => {
    if (closed) throw errors.unavailable("The server is stopping.");
    // One thread stays warm after the first task; the others leave after 30 s idle.
    pool ??= new Piscina({ filename: new URL("./crypto-worker.mjs", import.meta.url).href, minThreads: 1, maxThreads: threads, idleTimeout: 30_000 });
    return pool;
  };
  return {
    async generateKeyPair(alg) {
      // EC and Ed25519 take tens of microseconds: a worker round trip would cost more than the key.
      if (algorithmParams(alg).nodeType !== "rsa") return generateKeyPairFor(alg);
      return get().run(alg, { name: "generateKeyPair" });
    },
    async buildPkcs12(input) {
      const { random, ...rest } = input;
      const task: Pkcs12Task = { ...rest, randomBytes: random(PKCS12_RANDOM_BYTES) };
      const r = (await get().run(task, { name: "pkcs12" })) as TaskResult<Uint8Array>;
      if ("error" in r) throw new StampError(r.error.kind, r.error.message, { violations: r.error.violations });
      return r.ok;
    },
    async close() {
      closed = true;
      const p = pool;
      pool = null;
      await p?.close();
    },
  };
}
