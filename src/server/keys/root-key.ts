/**
 * The server's root key: 32 random bytes in a small text file that only the server's user can
 * read. It wraps every per-key data key (envelope.ts), so it is the one secret kept on disk.
 */
import { randomBytes } from "node:crypto";
import { constants as fsc } from "node:fs";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { errors } from "../../errors.js";
import { makeKeyring, rootKeyId, type Keyring, type RootKeyRole } from "./keyring.js";

/** Header that makes the file recognisable (and versioned) at a glance. */
const HEADER = "stamp-root-key-v1:";
/** The multi-key form written during a rotation (docs/adr/0005-root-key-rotation.md). */
const HEADER_V2 = "stamp-root-key-v2";
const KEY_BYTES = 32;
/** At most this many keys in one file (a current one and a few being rotated in or out). */
const MAX_KEYS = 4;
/** A v2 file: the header line and up to MAX_KEYS lines of role, id and base64. */
const MAX_FILE_BYTES = 1024;

/** The root key, whether it was just created, and anything the operator should fix. */
export interface RootKey {
  /** The current key (seals). */
  key: Buffer;
  /** Every key in the file: the current one and those accepted for opening during a rotation. */
  ring: Keyring;
  created: boolean;
  warnings: string[];
}

/** Encodes a root key as the file's single line. */
export function formatRootKey(key: Buffer): string {
  return `${HEADER}${key.toString("base64")}\n`;
}

/** Encodes a keyring as the file: the one-line v1 form for a lone key, else v2 with one line per key. */
export function formatKeyring(ring: Keyring): string {
  if (ring.others.length === 0) return formatRootKey(ring.current.key);
  const lines = [ring.current, ...ring.others].map((k) => `${k.role} ${k.id} ${k.key.toString("base64")}`);
  return `${HEADER_V2}\n${lines.join("\n")}\n`;
}

/** Parses the file's contents; throws a StampError naming the file when it is not a root key. */
export function parseRootKey(text: string, file: string): Buffer {
  return parseKeyring(text, file).current.key;
}

/** Parses a v1 (one key) or v2 (current + previous/next) root key file. */
export function parseKeyring(text: string, file: string): Keyring {
  const body = text.replace(/\r?\n$/, "");
  if (!body.startsWith(`${HEADER_V2}\n`)) return makeKeyring(parseKeyText(body.startsWith(HEADER) ? body.slice(HEADER.length) : null, file));
  const bad = (why: string) => errors.internal(`root key file ${file} is not a valid Stamp root key file: ${why}`);
  const lines = body.split(/\r?\n/).slice(1);
  if (lines.length < 1 || lines.length > MAX_KEYS) throw bad(`expected 1 to ${MAX_KEYS} key lines`);
  const keys = lines.map((line) => {
    const m = /^(current|previous|next) ([0-9a-f]{16}) (\S+)$/.exec(line);
    if (!m) throw bad(`expected lines "current|previous|next <id> <base64 of ${KEY_BYTES} bytes>"`);
    const key = parseKeyText(m[3], file);
    if (rootKeyId(key) !== m[2]) throw bad(`the id ${m[2]} does not match its key (was a line edited by hand?)`);
    return { role: m[1] as RootKeyRole, id: m[2], key };
  });
  const current = keys.filter((k) => k.role === "current");
  if (current.length !== 1) throw bad("exactly one key must be current");
  if (new Set(keys.map((k) => k.id)).size !== keys.length) throw bad("a key is listed twice");
  return makeKeyring(current[0].key, keys.filter((k) => k.role !== "current").map((k) => ({ role: k.role as "previous" | "next", key: k.key })));
}

function parseKeyText(b64: string | null, file: string): Buffer {
  const bad = () =>
    errors.internal(`root key file ${file} is not a Stamp root key (expected one line "${HEADER}<base64 of ${KEY_BYTES} bytes>")`);
  if (b64 === null || !/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw bad();
  const key = Buffer.from(b64, "base64");
  // Canonical re-encoding rejects truncated or padded-wrong text that Buffer.from would accept.
  if (key.length !== KEY_BYTES || key.toString("base64") !== b64) throw bad();
  return key;
}

/** Replaces the root key file with `ring`, atomically (temp file 0600, fsync, rename, fsync dir). */
export async function writeKeyring(file: string, ring: Keyring): Promise<void> {
  const tmp = await writeTemp(file, formatKeyring(ring));
  try {
    await fs.rename(tmp, file);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw errors.internal(`could not replace root key file ${file}: ${(e as NodeJS.ErrnoException).code ?? "error"}`, e);
  }
  await syncDir(path.dirname(file));
}

/** Writes `text` to a new 0600 temp file next to `file` and flushes it; returns its path. */
async function writeTemp(file: string, text: string): Promise<string> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(6).toString("hex")}`;
  // O_EXCL + mode at open: the secret is never in a file anyone else could open.
  const fh = await fs.open(tmp, fsc.O_WRONLY | fsc.O_CREAT | fsc.O_EXCL, 0o600);
  try {
    await fh.writeFile(text, "utf8");
    await fh.sync();
  } finally {
    await fh.close();
  }
  return tmp;
}

/** Reads the root key at `file`, or creates it (atomically, mode 0600, parent 0700) when missing. */
export async function loadOrCreateRootKey(file: string): Promise<RootKey> {
  const existing = await readRootKey(file);
  if (existing) return existing;
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const tmp = await writeTemp(file, formatRootKey(key));
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
      return { key, ring: makeKeyring(key), created: true, warnings: [] };
    }
    await fs.rm(tmp, { force: true });
    throw errors.internal(`could not create root key file ${file}: ${code ?? "error"}`, e);
  }
  await fs.rm(tmp, { force: true });
  await syncDir(path.dirname(file));
  return { key, ring: makeKeyring(key), created: true, warnings: [] };
}

/** Reads the root key file; null when it does not exist. */
export async function readRootKey(file: string): Promise<RootKey | null> {
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
  const ring = parseKeyring(text, file);
  const warnings: string[] = [];
  if (process.platform !== "win32" && (st.mode & 0o077) !== 0) {
    warnings.push(`root key file ${file} has mode 0${(st.mode & 0o777).toString(8)}; restrict it to 0600 (chmod 600)`);
  }
  return { key: ring.current.key, ring, created: false, warnings };
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
