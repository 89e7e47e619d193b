/**
 * One sentence for each way the embedded store fails to open, saying what is wrong and what to
 * do (issue 13): never `[object Object]` or PGlite's "failed to initialize properly".
 */

import { accessSync, constants, existsSync } from "node:fs";
import path from "node:path";

/**
 * Throws EROFS/EACCES when `dir`, or the nearest ancestor that exists, cannot be written: a
 * recursive mkdir on a read-only file system reports only ENOENT.
 */
export function assertWritable(dir: string): void {
  let d = path.resolve(dir);
  while (!existsSync(d) && path.dirname(d) !== d) d = path.dirname(d);
  accessSync(d, constants.W_OK);
}

/** Emscripten's errno for ENOSPC (WASI numbering), which PGlite's file system throws. */
const EMSCRIPTEN_ENOSPC = 51;

function codeOf(e: unknown): { code?: string; errno?: number; name?: string; message: string } {
  if (typeof e !== "object" || e === null) return { message: String(e) };
  const o = e as { code?: unknown; errno?: unknown; name?: unknown; message?: unknown };
  return {
    code: typeof o.code === "string" ? o.code : undefined,
    errno: typeof o.errno === "number" ? o.errno : undefined,
    name: typeof o.name === "string" ? o.name : undefined,
    message: typeof o.message === "string" ? o.message : "",
  };
}

/** True when `e` says the disk is full, from Node (ENOSPC), PostgreSQL (53100) or PGlite's Emscripten file system. */
export function isNoSpace(e: unknown): boolean {
  const c = codeOf(e);
  return c.code === "ENOSPC" || c.code === "53100" || (c.name === "ErrnoError" && c.errno === EMSCRIPTEN_ENOSPC) || /no space left on device/i.test(c.message);
}

/** The operator's sentence for a failure to open the embedded database in `dir` (`existed`: it held a database before). */
export function embeddedOpenError(e: unknown, dir: string, existed: boolean): Error {
  const c = codeOf(e);
  let msg: string;
  if (isNoSpace(e)) msg = `the disk holding the embedded database (${dir}) is full: free some space, or give --data-dir a larger disk, then start again`;
  else if (c.code === "EROFS" || c.code === "EACCES" || c.code === "EPERM")
    msg = `the data directory ${dir} is not writable (${c.code}${c.code === "EROFS" ? ": read-only file system" : ": permission denied"}): give the user running Stamp write access to it, or choose another --data-dir`;
  else if (existed)
    msg = `the embedded database in ${dir} could not be opened and looks damaged (${c.message || c.name || "PGlite did not start"}): restore it from a backup (docs/operations.md), or move the directory away to start with an empty one`;
  else msg = `the embedded database could not be created in ${dir} (${c.message || c.name || "PGlite did not start"})`;
  return new Error(msg, { cause: e });
}
