import type { Kysely } from "kysely";
import { sql } from "kysely";
import type { Database } from "./schema.js";

/** The inventory side of certificates (issue 15): thumbprint lookups, metadata, deletion. */
export function certInventoryRepo(db: Kysely<Database>) {
  return {
    /** A certificate by the hex SHA-1 (40 digits) or SHA-256 (64 digits) of its DER. */
    async byThumbprint(hex: string) {
      const digest = Buffer.from(hex, "hex");
      const q = db.selectFrom("certificates").selectAll();
      const found = hex.length === 40 ? q.where("fingerprint_sha1", "=", digest) : q.where(sql<boolean>`sha256(certificate) = ${digest}`);
      return found.orderBy("created_at", "desc").limit(1).executeTakeFirst();
    },
    /** The certificate with this serial (lowercase hex): one Stamp issued before an imported copy, then the newest. */
    bySerial: (serial: string) =>
      db.selectFrom("certificates").selectAll().where("serial", "=", serial).orderBy(sql`ca_id is null`).orderBy("created_at", "desc").limit(1).executeTakeFirst(),
    /** Replaces a certificate's metadata. */
    async setMetadata(id: string, metadata: { key: string; value: string }[]) {
      await db.updateTable("certificates").set({ metadata: JSON.stringify(metadata) }).where("id", "=", id).execute();
    },
    /** Takes a certificate out of the inventory (CRLs and OCSP still answer for it). */
    async markDeleted(id: string, at: Date) {
      await db.updateTable("certificates").set({ deleted_at: at }).where("id", "=", id).execute();
    },
  };
}
