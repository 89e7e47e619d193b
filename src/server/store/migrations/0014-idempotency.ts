import { sql } from "kysely";
import type { Migration } from "./migration.js";

/** Idempotency-Key: the first answer to a key, sealed, replayed to the same principal for 24 h. */
export const idempotency: Migration = {
  name: "0014_idempotency",
  async up(db) {
    await sql`
      create table idempotency_keys (
        principal_type text not null,
        principal_id uuid not null,
        key text not null,
        operation text not null,
        request_hash text not null,
        state text not null check (state in ('pending', 'done')),
        -- The answer, sealed under the root key: it may hold a private key Stamp generated.
        response_sealed jsonb,
        claimed_at timestamptz not null,
        created_at timestamptz not null,
        primary key (principal_type, principal_id, key)
      );
      create index idempotency_keys_created on idempotency_keys(created_at);
    `.execute(db);
  },
};
