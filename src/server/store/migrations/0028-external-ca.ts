import { sql } from "kysely";
import type { Migration } from "./migration.js";

/**
 * External CAs (issue 11): a public ACME CA that Stamp orders certificates from.
 * - `external_cas`: the CA's settings (directory URL, account email, EAB key id, DNS-01 solver,
 *   TLS trust bundle) and its secrets sealed under the root key (account key, EAB HMAC key, TSIG
 *   secret), with the account URL once registered;
 * - profiles and certificates name the external CA they use / came from (`ca_id` stays null, so
 *   CRL and OCSP never answer for them: the external CA's own do);
 * - `certificate_requests` become jobs: the CA they wait on, a lease (`lease_until`, claimed with
 *   FOR UPDATE SKIP LOCKED so one server works on each), the attempts made, and the CA's problem
 *   document when it failed.
 */
export const externalCa: Migration = {
  name: "0028_external_ca",
  async up(db) {
    await sql`
      create table external_cas (
        id uuid primary key,
        project_id uuid not null references projects(id) on delete cascade,
        name text not null,
        type text not null check (type in ('acme')),
        status text not null check (status in ('active', 'disabled')),
        configuration jsonb not null,
        secrets_sealed jsonb not null,
        account_url text,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (project_id, name)
      );
      alter table certificate_profiles add column external_ca_id uuid references external_cas(id);
      alter table certificates add column external_ca_id uuid references external_cas(id) on delete set null;
      alter table certificate_requests add column external_ca_id uuid references external_cas(id) on delete set null;
      alter table certificate_requests add column lease_until timestamptz;
      alter table certificate_requests add column attempts integer not null default 0;
      alter table certificate_requests add column problem jsonb;
      create index certificate_requests_waiting on certificate_requests(updated_at) where status in ('pending', 'pending_validation');
    `.execute(db);
  },
};
