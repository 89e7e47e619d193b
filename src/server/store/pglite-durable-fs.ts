import { fsyncSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { NodeFS } from "@electric-sql/pglite/nodefs";

/**
 * PGlite's Node filesystem with a working fsync. PGlite runs PostgreSQL with `-F` (fsync off),
 * and its Emscripten NODEFS has no fsync, so nothing it writes is ever flushed: a power cut can
 * lose acknowledged commits or corrupt the store. This mount gives NODEFS streams a real
 * fsync(2) on the host file descriptor; with `fsync=on` and `wal_sync_method=fsync` (Emscripten
 * makes fdatasync a no-op, but routes fsync to the stream), PostgreSQL then flushes the WAL at
 * every commit and the data files at checkpoints, as it does on a real disk. docs/adr/0004.
 */
class DurableNodeFS extends NodeFS {
  override async init(pg: PGlite, opts: Parameters<NodeFS["init"]>[1]) {
    const r = await super.init(pg, opts);
    const preRun = (r.emscriptenOpts.preRun ?? []) as unknown[];
    preRun.push((mod: { NODEFS: { stream_ops: { fsync?: (s: { nfd: number }) => number } } }) => {
      mod.NODEFS.stream_ops.fsync = (stream) => {
        fsyncSync(stream.nfd);
        return 0;
      };
    });
    r.emscriptenOpts.preRun = preRun as never;
    return r;
  }
}

/**
 * PostgreSQL's 128 MB default shared_buffers lives inside PGlite's wasm heap, in the server's own
 * RSS; the data files are read through Node's fs, so the OS page cache backs a smaller pool.
 */
const MEMORY = ["-c", "shared_buffers=32MB"];

/** PGlite options for `dataDir`: flushed at every commit (`durable`), or PGlite's own unflushed writes. */
export function pgliteStorage(dataDir: string, durable: boolean): { fs: NodeFS; startParams: string[] } {
  const defaults = (PGlite as unknown as { defaultStartParams: string[] }).defaultStartParams;
  if (!durable) return { fs: new NodeFS(dataDir), startParams: [...defaults, ...MEMORY] };
  return { fs: new DurableNodeFS(dataDir), startParams: [...defaults.filter((p) => p !== "-F"), "-c", "fsync=on", "-c", "wal_sync_method=fsync", ...MEMORY] };
}
