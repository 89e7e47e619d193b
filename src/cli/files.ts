import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readFile, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "./errors.js";

/**
 * Writes `data` to `file` through a temporary file in the same directory: the file is created
 * with `mode` (and chmod'ed, in case of a umask or an existing file) before any byte is written,
 * and replaces the target only when complete — a failed write never leaves half a key behind.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, mode: number, dirMode?: number): Promise<void> {
  const dir = path.dirname(path.resolve(file));
  if (dirMode !== undefined) await mkdir(dir, { recursive: true, mode: dirMode });
  const tmp = path.join(dir, `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  const fh = await open(tmp, "wx", mode);
  try {
    await fh.chmod(mode);
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, file);
    await chmod(file, mode);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/** Reads a file named by a flag; a missing file is a usage error. */
export async function readFlagFile(flagName: string, file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read --${flagName} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}
