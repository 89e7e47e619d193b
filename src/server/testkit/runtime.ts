import { createHash } from "node:crypto";
import type { Runtime } from "../shared-types.js";

/** A Runtime whose clock stands still until moved, whose randomness is a seeded stream, and whose uuids count up. */
export interface FakeRuntime extends Runtime {
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  /** Sets the clock. */
  set(now: Date): void;
}

/** Fixed time (default 2030-01-01T00:00:00Z), deterministic random bytes (SHA-256 counter stream over `seed`), uuids 00000000-0000-4000-8000-000000000001, …2, … */
export function fakeRuntime(opts: { now?: Date; seed?: string } = {}): FakeRuntime {
  let now = opts.now ?? new Date(Date.UTC(2030, 0, 1));
  let counter = 0;
  let ids = 0;
  const seed = opts.seed ?? "stamp-testkit";
  return {
    clock: () => new Date(now),
    random(bytes) {
      const out = Buffer.alloc(bytes);
      for (let off = 0; off < bytes; off += 32) createHash("sha256").update(`${seed}:${counter++}`).digest().copy(out, off);
      return out;
    },
    uuid: () => `00000000-0000-4000-8000-${(++ids).toString(16).padStart(12, "0")}`,
    advance(ms) {
      now = new Date(now.getTime() + ms);
    },
    set(d) {
      now = new Date(d);
    },
  };
}
