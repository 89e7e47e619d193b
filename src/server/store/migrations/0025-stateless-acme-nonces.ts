import { sql } from "kysely";
import type { Migration } from "./migration.js";

/**
 * ACME nonces carry their own expiry and an HMAC (ra/acme/nonces.ts), so issuing one writes
 * nothing; what the database keeps is each nonce's first use, until it expires, so a second use
 * on any server is refused (RFC 8555 §6.5). Nonces outstanding at the upgrade get `badNonce`,
 * and clients retry with a fresh one, as §6.5 has them do.
 */
export const statelessAcmeNonces: Migration = {
  name: "0025_stateless_acme_nonces",
  async up(db) {
    await sql`
      create table acme_used_nonces (
        nonce text primary key,
        expires_at timestamptz not null
      );
      create index acme_used_nonces_expiry on acme_used_nonces(expires_at);
      drop table acme_nonces;
    `.execute(db);
  },
};
