import { sql } from "kysely";
import type { Migration } from "./migration.js";

/** Templates, profiles and leaf certificates. */
export const certificates: Migration = {
  name: "0002_certificates",
  async up(db) {
    await sql`
      create table certificate_templates (
        id uuid primary key,
        project_id uuid not null references projects(id) on delete cascade,
        name text not null,
        description text not null default '',
        rules jsonb not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (project_id, name)
      );
      create table certificate_profiles (
        id uuid primary key,
        project_id uuid not null references projects(id) on delete cascade,
        slug text not null,
        description text not null default '',
        template_id uuid not null references certificate_templates(id),
        issuer_type text not null check (issuer_type in ('ca', 'self-signed')),
        ca_id uuid references cas(id),
        enrollment_methods jsonb not null,
        defaults jsonb not null,
        api_config jsonb not null,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (project_id, slug)
      );
      create index certificate_profiles_ca on certificate_profiles(ca_id);
      create index certificate_profiles_template on certificate_profiles(template_id);
      create table certificates (
        id uuid primary key,
        project_id uuid not null references projects(id) on delete cascade,
        profile_id uuid references certificate_profiles(id) on delete set null,
        ca_id uuid references cas(id),
        ca_certificate_id uuid references ca_certificates(id),
        ca_key_id uuid references ca_keys(id),
        serial text not null,
        status text not null check (status in ('active', 'revoked')),
        revocation_seq bigint,
        common_name text not null,
        alt_names jsonb not null,
        search_text text not null,
        not_before timestamptz not null,
        not_after timestamptz not null,
        key_algorithm text not null,
        key_usages jsonb not null,
        extended_key_usages jsonb not null,
        certificate bytea not null,
        chain_pem text not null,
        key_source text not null check (key_source in ('server', 'csr')),
        key_ref jsonb,
        request jsonb not null,
        renewed_from_id uuid references certificates(id),
        renewed_by_id uuid references certificates(id),
        revoked_at timestamptz,
        revocation_reason text,
        invalidity_date timestamptz,
        hold_released_at timestamptz,
        created_at timestamptz not null default now(),
        unique (ca_id, serial)
      );
      -- Keyset pagination: newest first within a project, and the filters it combines with.
      create index certificates_project_page on certificates(project_id, created_at desc, id desc);
      create index certificates_project_expiry on certificates(project_id, not_after);
      create index certificates_ca_status on certificates(ca_id, status);
      create index certificates_profile on certificates(profile_id, created_at desc);
      create index certificates_renewed_from on certificates(renewed_from_id);
      -- CRL building streams a key's revoked certificates in serial order; deltas read by sequence.
      create index certificates_crl on certificates(ca_key_id, serial) where status = 'revoked';
      create index certificates_revocation_seq on certificates(ca_key_id, revocation_seq) where revocation_seq is not null;
      create index certificates_ocsp on certificates(ca_key_id, serial);
    `.execute(db);
  },
};
