import { sql } from "kysely";
import type { Migration } from "./migration.js";

/**
 * Infisical's certificate shapes (issue 15):
 * - `metadata`: a certificate's key/value list (settable at issue, by PATCH, filtered in the list);
 * - `fingerprint_sha1` and an index on `sha256(certificate)`: revoke and read by thumbprint (two
 *   more B-tree entries per certificate: raw 500-row inserts ran ~10-20% slower in a noisy local
 *   measurement; drop them if thumbprint lookups are not worth that);
 * - `deleted_at`: DELETE takes a certificate out of the inventory, while CRLs and OCSP keep answering for it;
 * - `key_source = 'imported'`: a certificate Stamp did not issue (POST /certificates/import-certificate);
 * - `certificate_requests`: requests that did not end in a certificate at once (refused by policy
 *   now; waiting on an external CA later). A request answered synchronously IS its certificate
 *   row (the request id is the certificate id), so issuance writes nothing more.
 */
export const certificateCompat: Migration = {
  name: "0022_certificate_compat",
  async up(db) {
    await sql`
      alter table certificates add column metadata jsonb not null default '[]';
      alter table certificates add column fingerprint_sha1 bytea;
      alter table certificates add column deleted_at timestamptz;
      alter table certificates drop constraint if exists certificates_key_source_check;
      alter table certificates add constraint certificates_key_source_check check (key_source in ('server', 'csr', 'imported'));
      create index certificates_sha1 on certificates(fingerprint_sha1) where fingerprint_sha1 is not null;
      create index certificates_sha256 on certificates(sha256(certificate));
      create table certificate_requests (
        id uuid primary key,
        project_id uuid not null references projects(id) on delete cascade,
        profile_id uuid references certificate_profiles(id) on delete set null,
        status text not null check (status in ('pending_approval', 'pending', 'pending_validation', 'issued', 'failed', 'rejected', 'cancelled')),
        certificate_id uuid references certificates(id) on delete set null,
        common_name text not null default '',
        request jsonb not null,
        metadata jsonb not null default '[]',
        error_message text,
        pending_message text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create index certificate_requests_project on certificate_requests(project_id, created_at desc);
    `.execute(db);
  },
};
