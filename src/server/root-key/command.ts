/**
 * `stamp-server rotate-root-key`: the root key never crosses the API, so its rotation runs on a
 * server host, against the database and the root key file (docs/operations.md, "Rotating the
 * root key"; docs/adr/0005-root-key-rotation.md).
 *   --prepare  stage a new key as `next` (opens, does not seal) for copying to every server
 *   (none)     make the new key current (old one `previous`), then re-wrap everything
 *   --finish   re-wrap what is left, and drop the previous key once nothing names it
 */
import { existsSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { parseConfig, type Config } from "../config.js";
import { openDb } from "../store/db.js";
import { sealedRepo } from "../store/sealed.repo.js";
import { makeKeyring, type Keyring } from "../keys/keyring.js";
import { readRootKey, writeKeyring } from "../keys/root-key.js";
import { census, rewrapAll, type BatchDone } from "./rewrap.js";

/** Where the command writes, and how a test stops it half-way. */
export interface RotateIo {
  out(line: string): void;
  onBatch?: (b: BatchDone) => void | Promise<void>;
}

const USAGE = "usage: npm start -- rotate-root-key [--prepare | --finish] [--batch-size N] [--data-dir DIR | --database-url URL] [--root-key-file FILE]";

/** Runs the command; returns the exit code. Errors are one line for the operator. */
export async function rotateRootKeyCommand(argv: string[], env: Record<string, string | undefined>, io: RotateIo): Promise<number> {
  const mode = argv.includes("--prepare") ? "prepare" : argv.includes("--finish") ? "finish" : "rotate";
  if (argv.includes("--prepare") && argv.includes("--finish")) return fail(io, "--prepare and --finish are separate steps; run one at a time");
  let batchSize = 500;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--prepare" || a === "--finish") continue;
    const m = /^--batch-size(?:=(.*))?$/.exec(a);
    if (!m) {
      rest.push(a);
      continue;
    }
    const v = m[1] ?? argv[++i];
    batchSize = Number(v);
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000) return fail(io, `--batch-size must be a whole number from 1 to 10000, not ${v}`);
  }
  if (rest.includes("--help") || rest.includes("-h")) return io.out(USAGE), 0;
  const parsed = parseConfig(rest, env);
  if ("violations" in parsed) return fail(io, parsed.violations.map((v) => v.message).join(" ") || USAGE);
  const config = parsed.config;
  try {
    const file = config.rootKeyFile;
    if (!existsSync(file)) return fail(io, `there is no root key file at ${file}; point --root-key-file (or STAMP_ROOT_KEY_FILE) at the file your servers use`);
    const ring = (await readRootKey(file))!.ring;
    if (mode === "prepare") return await prepare(io, file, ring);
    return await withStore(config, async (store) => {
      let now = ring;
      if (mode === "rotate") {
        if (now.others.some((k) => k.role === "previous")) {
          io.out(`A rotation to root key ${now.current.id} is in progress: resuming the re-wrap.`);
        } else {
          const staged = now.others.find((k) => k.role === "next");
          now = makeKeyring(staged?.key ?? randomBytes(32), [{ role: "previous", key: now.current.key }]);
          // The file first: nothing may be sealed under a key that is not yet safely on disk.
          await writeKeyring(file, now);
          io.out(`Root key ${now.current.id} is now current in ${file}; ${now.others[0].id} is kept as previous until --finish.`);
        }
      }
      const report = await rewrapAll({ store, ring: now, batchSize, onBatch: io.onBatch });
      io.out(`Re-wrapped ${report.rewrapped} of ${report.scanned} sealed values under root key ${now.current.id}.`);
      for (const f of report.failures.slice(0, 20)) io.out(`  could not re-wrap ${f}`);
      if (mode === "rotate") {
        io.out(config.databaseUrl ? `Next: copy ${file} to every server and restart them one by one, then run rotate-root-key --finish.` : "Next: run rotate-root-key --finish, then start the server.");
        return report.failures.length ? 1 : 0;
      }
      return await finish(io, file, now, await census(store, batchSize), Boolean(config.databaseUrl));
    });
  } catch (e) {
    return fail(io, e instanceof Error ? e.message : String(e));
  }
}

async function prepare(io: RotateIo, file: string, ring: Keyring): Promise<number> {
  if (ring.others.some((k) => k.role === "previous")) {
    return fail(io, `a rotation to root key ${ring.current.id} is still in progress; run rotate-root-key --finish before preparing another`);
  }
  const staged = ring.others.find((k) => k.role === "next");
  if (staged) {
    io.out(`Root key ${staged.id} is already staged as next in ${file}.`);
  } else {
    const next = makeKeyring(ring.current.key, [{ role: "next", key: randomBytes(32) }]);
    await writeKeyring(file, next);
    io.out(`Staged a new root key ${next.others[0].id} as next in ${file} (current stays ${ring.current.id}).`);
  }
  io.out(`Next: copy ${file} to every server and restart them one by one, then run rotate-root-key.`);
  return 0;
}

async function finish(io: RotateIo, file: string, ring: Keyring, counts: Map<string, number>, shared: boolean): Promise<number> {
  const stale = [...counts].filter(([kid]) => kid !== ring.current.id);
  if (stale.length) {
    const list = stale.map(([kid, n]) => `${n} under ${kid === "none" ? "the original key (no key id)" : kid}`).join(", ");
    return fail(io, `not finished: ${list}. Check that every server runs with the new root key file, then run rotate-root-key --finish again.`);
  }
  const dropped = ring.others.filter((k) => k.role === "previous");
  if (dropped.length === 0) {
    io.out(`Every sealed value is under root key ${ring.current.id}; there is no previous key to drop.`);
    return 0;
  }
  await writeKeyring(file, makeKeyring(ring.current.key, ring.others.filter((k) => k.role !== "previous").map((k) => ({ role: "next" as const, key: k.key }))));
  io.out(`Dropped root key ${dropped.map((k) => k.id).join(", ")} from ${file}: nothing is sealed under it any more.`);
  io.out(`Next: ${shared ? `copy ${file} to every server and restart them one by one` : "start the server"}; then destroy the old key file wherever it was copied (keep it only with backups taken before the rotation, which need it).`);
  return 0;
}

async function withStore<T>(config: Config, fn: (store: ReturnType<typeof sealedRepo>) => Promise<T>): Promise<T> {
  const db = await openDb(config.databaseUrl ? { kind: "postgres", url: config.databaseUrl, poolSize: 2 } : { kind: "pglite", dataDir: `${config.dataDir}/db`, listen: "rotate-root-key", durable: true });
  try {
    return await fn(sealedRepo(db.db));
  } finally {
    await db.close();
  }
}

function fail(io: RotateIo, message: string): number {
  io.out(`stamp: rotate-root-key: ${message}`);
  return 1;
}
