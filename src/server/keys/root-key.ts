/**
 * The server's root key: 32 random bytes in a small text file that only the server's user can
 * read. It wraps every per-key data key (envelope.ts), so it is the one secret kept on disk.
 */
import { randomBytes } from "node:crypto";
import { constants as fsc } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { errors } from "../../errors.js";

/** Header that makes the file recognisable (and versioned) at a glance. */
const HEADER = "stamp-root-key-v1:";
const KEY_BYTES = 32;
/** base64 of 32 bytes is 44 characters; allow the header, a newline and nothing more. */
const MAX_FILE_BYTES = 256;

/** The root key, whether it was just created, and anything the operator should fix. */
export interface RootKey {
  key: Buffer;
  created: boolean;
  warnings: string[];
}

/** Encodes a root key as the file's single line. */
export function formatRootKey(key: Buffer): string {
  return `${HEADER}${key.toString("base64")}\n`;
}

/** Parses the file's contents; throws a StampError naming the file when it is not a root key. */
export function parseRootKey(text: string, file: string): Buffer {
  const line = text.replace(/\r?\n$/, "");
  const bad = () =>
    errors.internal(`root key file ${file} is not a Stamp root key (expected one line "${HEADER}<base64 of ${KEY_BYTES} bytes>")`);
  if (!line.startsWith(HEADER)) throw bad();
  const b64 = line.slice(HEADER.length);
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw bad();
  const key = Buffer.from(b64, "base64");
  // Canonical re-encoding rejects truncated or padded-wrong text that Buffer.from would accept.
  if (key.length !== KEY_BYTES || key.toString("base64") !== b64) throw bad();
  return key;
}

/** Reads the root key at `file`, or creates it (atomically, mode 0600, parent 0700) when missing. */
export async function loadOrCreateRootKey(file: string): Promise<RootKey> {
  const existing = await readRootKey(file);
  if (existing) return existing;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
  // O_EXCL + mode at open: the secret is never in a file anyone else could open.
  const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  try {
    await fh.writeFile(formatRootKey(key), "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    // link() is atomic and, unlike rename(), never replaces a key another replica created meanwhile
    // (replacing it would orphan everything that replica already sealed).
    await fs.link(tmp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") {
      await fs.rm(tmp, { force: true });
      const raced = await readRootKey(file);
      if (raced) return raced;
      throw errors.internal(`root key file ${file} appeared while creating it but could not be read`);
    }
    // Filesystems without hard links: fall back to rename (still atomic).
    if (code === "EPERM" || code === "ENOTSUP" || code === "ENOSYS" || code === "EXDEV") {
      await fs.rename(tmp, file);
      await syncDir(path.dirname(file));
      return { key, created: true, warnings: [] };
    }
    await fs.rm(tmp, { force: true });
    throw errors.internal(`could not create root key file ${file}: ${code ?? "error"}`, e);
  }
  await fs.rm(tmp, { force: true });
  await syncDir(path.dirname(file));
  return { key, created: true, warnings: [] };
}

async function readRootKey(file: string): Promise<RootKey | null> {
  let st;
  try {
    st = await fs.stat(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw errors.internal(`could not read root key file ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, e);
  }
  if (!st.isFile()) throw errors.internal(`root key file ${file} is not a regular file`);
  if (st.size > MAX_FILE_BYTES) throw errors.internal(`root key file ${file} is too large (${st.size} bytes) to be a Stamp root key`);
  const text = await fs.readFile(file, "utf8");
  const key = parseRootKey(text, file);
  const warnings: string[] = [];
  if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
    warnings.push(`root key file ${file} has mode 0${(st.mode & 0o777).toString(8)}; restrict it to 0600 (chmod 600)`);
  }
  return { key, created: false, warnings };
}

async function syncDir(dir: string): Promise<void> {
  // Makes the new directory entry durable; not every platform can fsync a directory.
  try {
    const dh = await fs.open(dir, fsc.O_RDONLY);
    try {
      await dh.sync();
    } finally {
      await dh.close();
    }
  } catch {
    /* best effort */
  }
}
