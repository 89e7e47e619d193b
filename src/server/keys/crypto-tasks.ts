/**
 * The CPU-heavy tasks run in the crypto pool's worker threads (crypto-pool.ts): each blocks
 * its thread for tens to hundreds of milliseconds, which must not happen on the event loop.
 */
import { generateKeyPairFor } from "../../keygen.js";
import { StampError, type ErrorKind, type Violation } from "../../errors.js";
import { buildPkcs12, type Pkcs12Input } from "../../pki/pkcs12.js";

/** A key pair of `alg`; KeyObjects cross threads by structured clone (Node ≥ 15). */
export const generateKeyPair = generateKeyPairFor;

/** The PKCS#12 input without its random source, which cannot cross threads: random bytes drawn by the caller instead. */
export type Pkcs12Task = Omit<Pkcs12Input, "random"> & { randomBytes: Uint8Array };

/** A task's outcome: a StampError does not survive the trip between threads (only message and stack do), so its parts are sent. */
export type TaskResult<T> = { ok: T } | { error: { kind: ErrorKind; message: string; violations: Violation[] } };

/** Builds a PKCS#12 file, taking its salts and IVs from the bytes the caller drew (house rule 11: randomness is injected). */
export function pkcs12(task: Pkcs12Task): TaskResult<Uint8Array> {
  const { randomBytes, ...input } = task;
  let used = 0;
  const random = (n: number) => {
    if (used + n > randomBytes.length) return new Uint8Array(0); // buildPkcs12 refuses a short read
    const out = randomBytes.slice(used, used + n);
    used += n;
    return out;
  };
  try {
    return { ok: buildPkcs12({ ...input, random }) };
  } catch (e) {
    if (e instanceof StampError) return { error: { kind: e.kind, message: e.message, violations: e.violations } };
    throw e;
  }
}
