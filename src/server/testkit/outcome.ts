import { isStampError } from "../../errors.js";

/** How a use case ended: its value, or the Stamp error's kind with its violations as `field:code`. */
export type Outcome<T> = { ok: T } | { error: string; violations: string[]; message: string };

/** Runs `p` and reports how it ended; an error that is not a StampError (a signer that failed, a crash) is kind "unexpected". */
export async function outcome<T>(p: Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: await p };
  } catch (e) {
    if (!isStampError(e)) return { error: "unexpected", violations: [], message: e instanceof Error ? e.message : String(e) };
    return { error: e.kind, violations: (e.violations ?? []).map((v) => `${v.field}:${v.code}`), message: e.message };
  }
}
