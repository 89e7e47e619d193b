import { constants, existsSync } from "node:fs";
import { access } from "node:fs/promises";
import path from "node:path";
import { flag, str, type Command } from "./command.js";
import { CliError, EXIT, UsageError } from "./errors.js";
import { writeFileAtomic } from "../atomic-write.js";

/** Printed after every backup: the one thing a backup cannot hold. */
const ROOT_KEY_REMINDER =
  "The backup does not contain the root key: without the server's root key file (--root-key-file, by default DATA_DIR/root.key) no CA key in it can be used. Back that file up separately, and keep it apart from the backups.";

/** `stamp backup`: a consistent copy of the running server's embedded database, taken by the server. */
export const backup: Command = {
  name: "backup",
  summary: "save a consistent copy of the running server's embedded database to a file",
  help: `Usage: stamp backup --to FILE [--force] [--json]

Server admins only. Asks the running server for a consistent copy of its embedded database
(a gzipped tar, taken while it keeps serving) and writes it to FILE (mode 0600): every CA,
certificate, revocation, CRL number, template, profile, user and audit entry.

The backup does NOT contain the root key, without which the CA keys in it cannot be used:
back up the server's root key file (by default DATA_DIR/root.key) separately.

A server on PostgreSQL refuses: back it up with pg_dump (docs/operations.md, "Backup and
restore"). Restore with 'stamp restore'.

Options:
  --to FILE   where to write the backup
  --force     replace FILE if it exists

Examples:
  stamp backup --to /var/backups/stamp-$(date +%F).tar.gz`,
  options: { to: { type: "string" }, force: { type: "boolean" } },
  async run(ctx, v) {
    const to = str(v, "to");
    if (!to) throw new UsageError("--to FILE is required: where to write the backup");
    if (existsSync(to) && !flag(v, "force")) throw new UsageError(`--to ${to} already exists; choose another file, or pass --force to replace it`);
    try {
      await access(path.dirname(path.resolve(to)), constants.W_OK);
    } catch {
      throw new UsageError(`--to ${to}: its directory does not exist or is not writable`);
    }
    const client = await ctx.client();
    const bytes = await client.admin.backup();
    try {
      await writeFileAtomic(to, bytes, 0o600);
    } catch (e) {
      throw new CliError(EXIT.refused, `cannot write ${to} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    if (ctx.json) return ctx.printJson({ file: path.resolve(to), bytes: bytes.length, rootKeyIncluded: false });
    ctx.out(`backup written to ${to} (${bytes.length} bytes).`);
    ctx.err(ROOT_KEY_REMINDER);
  },
};
