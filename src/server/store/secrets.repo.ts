import type { Kysely } from "kysely";
import type { Database } from "./schema.js";

/** Server secrets, sealed under the root key (`server_secrets`). */
export function secretsRepo(db: Kysely<Database>) {
  return {
    /** A sealed server secret by name. */
    secret: (name: string) => db.selectFrom("server_secrets").selectAll().where("name", "=", name).executeTakeFirst(),
    /** True when the database holds any secret sealed under a root key (so a new root key could not open it). */
    hasSealedSecrets: async () => (await db.selectFrom("server_secrets").select("name").limit(1).execute()).length > 0,
    /** Stores a sealed server secret unless one exists; returns the one that won. */
    async putSecretIfAbsent(name: string, sealed: unknown) {
      await db.insertInto("server_secrets").values({ name, sealed: JSON.stringify(sealed) }).onConflict((oc) => oc.column("name").doNothing()).execute();
      return (await db.selectFrom("server_secrets").selectAll().where("name", "=", name).executeTakeFirstOrThrow()).sealed;
    },
  };
}
