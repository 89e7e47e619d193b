import { errors } from "../../errors.js";
import type { Store } from "../store/store.js";
import { audit } from "./audit.js";
import { requireServerAdmin } from "./authz.js";
import type { RequestContext, Runtime } from "./context.js";

/** A backup as the HTTP edge sends it. */
export interface BackupFile {
  bytes: Uint8Array;
  filename: string;
}

/**
 * Backups of a running server (server admins). The embedded store is copied by the server
 * itself, the only process that may open it; a PostgreSQL store is backed up with pg_dump.
 * Neither copy holds the root key, which lives in its own file (docs/operations.md).
 */
export function createBackup(deps: { store: Pick<Store, "misc">; rt: Runtime; dump: (() => Promise<Uint8Array>) | null }) {
  return {
    /** A consistent copy of the embedded database as a gzipped tar; audited. */
    async create(ctx: RequestContext): Promise<BackupFile> {
      requireServerAdmin(ctx, "Only a server admin can back up the server.", { objectType: "backup", objectId: null });
      if (!deps.dump) {
        throw errors.conflict(
          "This server keeps its data in PostgreSQL: back it up with pg_dump (and restore with pg_restore), as docs/operations.md \"Backup and restore\" shows. 'stamp backup' copies the embedded database only.",
        );
      }
      const at = deps.rt.clock();
      const bytes = await deps.dump();
      await audit(deps.store, deps.rt, ctx, { projectId: null, action: "backup.create", objectType: "backup", objectId: null, outcome: "success", detail: { bytes: bytes.length } });
      return { bytes, filename: `stamp-backup-${at.toISOString().replace(/[:.]/g, "-")}.tar.gz` };
    },
  };
}
