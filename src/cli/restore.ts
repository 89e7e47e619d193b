import { existsSync } from "node:fs";
import path from "node:path";
import { flag, str, type Command } from "./command.js";
import { CliError, EXIT, UsageError } from "./errors.js";

/** `stamp restore`: unpacks a `stamp backup` file into a data directory, with no server running on it. */
export const restore: Command = {
  name: "restore",
  summary: "unpack a backup into a data directory, offline, for a server to start on",
  help: `Usage: stamp restore --from FILE --data-dir DIR [--force] [--json]

Unpacks a backup that 'stamp backup' wrote into DIR/db, where a server started with
--data-dir DIR finds its embedded database. Runs on the machine, not through a server:
refused while a server uses DIR (stop it first), and refused when DIR already holds a
database unless --force, which replaces that database (its data is lost).

The backup does not contain the root key. Before starting the server, put the root key file
that was in use when the backup was taken at DIR/root.key (or pass the server
--root-key-file); a server with another root key refuses to start.

For a server on PostgreSQL, restore with pg_restore instead (docs/operations.md).

Options:
  --from FILE     the backup file
  --data-dir DIR  the server's data directory (the database goes into DIR/db)
  --force         replace a database already in DIR

Examples:
  stamp restore --from stamp-2026-12-07.tar.gz --data-dir /var/lib/stamp`,
  options: { from: { type: "string" }, "data-dir": { type: "string" }, force: { type: "boolean" } },
  async run(ctx, v) {
    const from = str(v, "from");
    const dataDir = str(v, "data-dir");
    if (!from) throw new UsageError("--from FILE is required: the backup to restore");
    if (!dataDir) throw new UsageError("--data-dir DIR is required: the data directory of the server that will use the backup");
    // The one edge from the CLI into the server's code (allowed in .dependency-cruiser.cjs): a
    // restore is offline, so no server can do it; it takes the data-directory lock a server takes.
    // Loaded here, so other commands do not load the embedded database.
    const { restoreEmbedded, RestoreRefusedError } = await import("../server/store/embedded-backup.js");
    let dbDir: string;
    try {
      ({ dbDir } = await restoreEmbedded({ from, dataDir, force: flag(v, "force") }));
    } catch (e) {
      if (e instanceof RestoreRefusedError) throw new CliError(EXIT.refused, e.message);
      throw e;
    }
    const rootKey = path.join(path.resolve(dataDir), "root.key");
    const haveKey = existsSync(rootKey);
    if (ctx.json) return ctx.printJson({ dataDir: path.resolve(dataDir), database: dbDir, rootKeyPresent: haveKey });
    ctx.out(`restored ${from} into ${dbDir}; start the server with --data-dir ${dataDir}.`);
    if (!haveKey) ctx.err(`No root key at ${rootKey}: copy there the root key file that was in use when the backup was taken (or start the server with --root-key-file FILE); the backup does not contain it.`);
  },
};
