/**
 * The one way Stamp's programs (the CLI, the agent, the server's trust file) replace a file:
 * write a temporary file in the target's directory, created with its final mode before any byte,
 * fsync it, rename it over the target, then fsync the directory. A crash or a full disk leaves
 * either the old file or the new one, never half of a key.
 */
import { randomBytes } from "node:crypto";
import { mkdir, open, rename, unlink } from "node:fs/promises";
import path from "node:path";

/** Who should own a written file (the agent may run as root and hand files to a service user). */
export interface FileOwner {
  uid: number;
  gid: number;
}

/** A temporary file written in full and synced, waiting to be renamed over its target. */
export interface StagedFile {
  tmp: string;
  target: string;
}

/** Writes `data` to a new temp file next to `target`, created with `mode` before any byte, owned by `owner`, fsynced. */
export async function stageFile(target: string, data: string | Uint8Array, mode: number, owner?: FileOwner): Promise<StagedFile> {
  const tmp = path.join(path.dirname(target), `.${path.basename(target)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.chmod(mode); // umask may have cut the mode at creation
    if (owner) await fh.chown(owner.uid, owner.gid);
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  } finally {
    await fh.close().catch(() => undefined);
  }
  return { tmp, target };
}

/** fsyncs a directory so the renames in it survive a crash. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } catch {
    /* some filesystems refuse fsync on directories */
  } finally {
    await fh.close();
  }
}

/** Replaces `file` with `data` atomically (see the file comment); `dirMode` creates missing directories with that mode. */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode: number, opts: { owner?: FileOwner; dirMode?: number } = {}): Promise<void> {
  const target = path.resolve(file);
  if (opts.dirMode !== undefined) await mkdir(path.dirname(target), { recursive: true, mode: opts.dirMode });
  const s = await stageFile(target, data, mode, opts.owner);
  try {
    await rename(s.tmp, s.target);
  } catch (e) {
    await unlink(s.tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(path.dirname(target));
}
