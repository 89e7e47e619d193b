import { sql } from "kysely";
import type { Migration } from "./migration.js";

/** CRLs and delegated OCSP responders. */
export const revocation: Migration = {
  name: "0003_revocation",
  async up(db) {
    await sql`
      -- Every CRL ever published, full and delta, one number sequence per CA key (RFC 5280 §5.2.3).
      create table crls (
        id uuid primary key,
        ca_id uuid not null references cas(id) on delete cascade,
        ca_key_id uuid not null references ca_keys(id) on delete cascade,
        crl_number bigint not null,
        delta_base bigint,
        revocation_seq bigint not null,
        this_update timestamptz not null,
        next_update timestamptz not null,
        entries integer not null,
        der bytea not null,
        created_at timestamptz not null default now(),
        unique (ca_key_id, crl_number)
      );
      create index crls_latest on crls(ca_key_id, crl_number desc);
      -- Delegated OCSP responder certificates (EKU OCSPSigning, ocsp-nocheck), rotated by Stamp.
      create table ocsp_signers (
        id uuid primary key,
        ca_id uuid not null references cas(id) on delete cascade,
        ca_key_id uuid not null references ca_keys(id) on delete cascade,
        key_algorithm text not null,
        key_ref jsonb not null,
        certificate bytea not null,
        not_before timestamptz not null,
        not_after timestamptz not null,
        created_at timestamptz not null default now()
      );
      create index ocsp_signers_latest on ocsp_signers(ca_key_id, not_after desc);
    `.execute(db);
  },
};
