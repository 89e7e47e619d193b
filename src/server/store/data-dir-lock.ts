import { closeSync, constants, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";

// fs-ext is CommonJS with a native flock(2); Node has no file locks of its own.
const fsext = createRequire(import.meta.url)("fs-ext") as { flockSync(fd: number, op: "exnb" | "un"): void };

/** Who holds a data directory: written into its lock file for the next one to read. */
export interface LockOwner {
  pid: number;
  listen: string;
  startedAt: string;
}

/** A held data-directory lock. */
export interface DataDirLock {
  /** The holder found in the file when this process took it over from a dead one, if any. */
  tookOverFrom: LockOwner | null;
  release(): void;
}

/** Raised when another live process holds the data directory. */
export class DataDirLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly owner: LockOwner | null,
  ) {
    const who = owner ? `another Stamp server (PID ${owner.pid}, listening on ${owner.listen}, started ${owner.startedAt})` : "another process";
    super(`${who} is using the embedded database in ${dir}; stop it first, or give this server its own --data-dir (one server per embedded database; several servers share PostgreSQL instead)`);
    this.name = "DataDirLockedError";
  }
}

function readOwner(fd: number): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(fd, "utf8")) as LockOwner;
    return typeof o.pid === "number" ? o : null;
  } catch {
    return null;
  }
}

/**
 * Takes the one-writer lock of an embedded data directory (ARCHITECTURE rule 13): an exclusive
 * flock(2) on `<dir>/stamp.lock`, which holds the owner's PID and listen address. The kernel
 * drops the lock when its process dies, however it dies, so a lock left by a dead server is
 * simply taken over; a live holder makes this throw DataDirLockedError.
 */
export function lockDataDir(dir: string, listen: string): DataDirLock {
  const file = path.join(dir, "stamp.lock");
  const fd = openSync(file, constants.O_RDWR | constants.O_CREAT, 0o600);
  try {
    fsext.flockSync(fd, "exnb");
  } catch (e) {
    const owner = readOwner(fd);
    closeSync(fd);
    const code = (e as { code?: string }).code;
    if (code === "EAGAIN" || code === "EWOULDBLOCK") throw new DataDirLockedError(dir, owner);
    throw e;
  }
  const previous = readOwner(fd);
  const me: LockOwner = { pid: process.pid, listen, startedAt: new Date().toISOString() };
  ftruncateSync(fd, 0);
  writeSync(fd, `${JSON.stringify(me)}\n`, 0);
  let released = false;
  return {
    tookOverFrom: previous && previous.pid !== process.pid ? previous : null,
    release() {
      if (released) return;
      released = true;
      try {
        ftruncateSync(fd, 0);
        fsext.flockSync(fd, "un");
      } finally {
        closeSync(fd);
      }
    },
  };
}
