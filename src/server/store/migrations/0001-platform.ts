import { sql } from "kysely";
import type { Migration } from "./migration.js";

/** Projects, users, identities, memberships, CAs, keys, the signing log and the audit log. */
export const initial: Migration = {
  name: "0001_platform",
  async up(db) {
    await sql`
      create table projects (
        id uuid primary key,
        name text not null,
        created_at timestamptz not null default now()
      );
      create table users (
        id uuid primary key,
        email text not null unique,
        password_hash text not null,
        is_server_admin boolean not null default false,
        created_at timestamptz not null default now()
      );
      create table identities (
        id uuid primary key,
        project_id uuid not null references projects(id) on delete cascade,
        name text not null,
        client_id uuid not null unique,
        access_token_ttl integer not null,
        created_at timestamptz not null default now()
      );
      create table identity_client_secrets (
        id uuid primary key,
        identity_id uuid not null references identities(id) on delete cascade,
        secret_hash text not null,
        secret_prefix text not null,
        description text not null default '',
        created_at timestamptz not null default now(),
        expires_at timestamptz,
        revoked_at timestamptz,
        last_used_at timestamptz
      );
      create index identity_client_secrets_identity on identity_client_secrets(identity_id);
      create table memberships (
        id uuid primary key,
        project_id uuid not null references projects(id) on delete cascade,
        principal_type text not null check (principal_type in ('user', 'identity')),
        principal_id uuid not null,
        role text not null check (role in ('admin', 'member', 'viewer')),
        profiles jsonb,
        can_read_private_keys boolean not null default false,
        created_at timestamptz not null default now(),
        unique (project_id, principal_type, principal_id)
      );
      create index memberships_principal on memberships(principal_type, principal_id);
      create table server_secrets (
        name text primary key,
        sealed jsonb not null,
        created_at timestamptz not null default now()
      );
      create table rate_limits (
        key text primary key,
        window_start timestamptz not null,
        count integer not null
      );
      create table cas (
        id uuid primary key,
        project_id uuid not null references projects(id),
        name text not null,
        type text not null check (type in ('root', 'intermediate')),
        status text not null check (status in ('active', 'disabled', 'pending-certificate')),
        parent_ca_id uuid references cas(id),
        subject jsonb not null,
        max_path_length integer not null,
        key_algorithm text not null,
        active_key_id uuid,
        active_certificate_id uuid,
        not_before timestamptz,
        not_after timestamptz,
        -- Bumped (under the row lock) by every revocation change; CRLs and OCSP caches record it.
        revocation_seq bigint not null default 0,
        crl_validity_seconds integer not null default 604800,
        ocsp_signer text not null default 'delegated' check (ocsp_signer in ('delegated', 'ca')),
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now(),
        unique (project_id, name)
      );
      create index cas_parent on cas(parent_ca_id);
      create table ca_keys (
        id uuid primary key,
        ca_id uuid not null references cas(id) on delete cascade,
        key_algorithm text not null,
        backend text not null check (backend in ('software', 'pkcs11')),
        key_ref jsonb not null,
        spki bytea not null,
        pending_csr bytea,
        created_at timestamptz not null default now()
      );
      create table ca_certificates (
        id uuid primary key,
        ca_id uuid not null references cas(id) on delete cascade,
        ca_key_id uuid not null references ca_keys(id),
        version integer not null,
        serial text not null,
        issuer_ca_id uuid references cas(id),
        certificate bytea not null,
        chain_pem text not null,
        not_before timestamptz not null,
        not_after timestamptz not null,
        created_at timestamptz not null default now(),
        unique (ca_id, version)
      );
      -- House rule 2: every certificate a Stamp CA signs is recorded here before signing;
      -- the primary key makes serials unique per issuing CA.
      -- Self-signed leaves have no issuing CA (issuer_ca_id null): their 20 random bytes suffice.
      create table signing_log (
        id bigserial primary key,
        issuer_ca_id uuid references cas(id) on delete cascade,
        serial text not null,
        kind text not null,
        subject_id uuid,
        status text not null check (status in ('intended', 'signed', 'failed')),
        created_at timestamptz not null default now(),
        unique (issuer_ca_id, serial)
      );
      create table audit_log (
        id bigserial primary key,
        project_id uuid,
        actor_type text not null,
        actor_id text not null,
        action text not null,
        object_type text not null,
        object_id text,
        outcome text not null check (outcome in ('success', 'failure', 'denied')),
        source_ip text,
        detail jsonb not null default '{}'::jsonb,
        created_at timestamptz not null default now()
      );
      create index audit_log_project on audit_log(project_id, id desc);
      -- The audit log is append-only: the database itself refuses changes.
      create function audit_log_append_only() returns trigger language plpgsql as $$
        begin raise exception 'audit_log is append-only'; end $$;
      create trigger audit_log_no_change before update or delete or truncate on audit_log
        for each statement execute function audit_log_append_only();
    `.execute(db);
  },
};
