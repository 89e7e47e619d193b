import { sql } from "kysely";
import type { Migration } from "./migration.js";

/**
 * A large CRL is stored in parts (256 KiB each) instead of one bytea: a million entries make
 * a 53 MB CRL, and one 53 MB parameter costs twice that again in hex on the way to PostgreSQL.
 * `der` stays for small CRLs (and those stored before); `size` is the whole CRL's length.
 */
export const crlParts: Migration = {
  name: "0019_crl_parts",
  async up(db) {
    await sql`
      alter table crls alter column der drop not null;
      alter table crls add column size integer;
      create table crl_parts (
        crl_id uuid not null references crls(id) on delete cascade,
        part integer not null,
        bytes bytea not null,
        primary key (crl_id, part)
      );
      -- Serials and signatures hardly compress: skip pglz on the way in (it costs more than it saves).
      alter table crl_parts alter column bytes set storage external;
      -- A CRL's body is exactly one of the two.
      alter table crls add constraint crls_body check (der is not null or size is not null);
    `.execute(db);
  },
};
