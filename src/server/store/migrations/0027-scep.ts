import { sql } from "kysely";
import type { Migration } from "./migration.js";

/**
 * SCEP (RFC 8894) per profile: its settings (the static challenge as an argon2id hash), its RA
 * certificates (keys sealed under the root key, like OCSP responders'), dynamic one-time
 * challenges (SHA-256 of 256 random bits) and the transaction ids CertPoll looks up.
 */
export const scep: Migration = {
  name: "0027_scep",
  async up(db) {
    await sql`
      create table scep_settings (
        profile_id uuid primary key references certificate_profiles(id) on delete cascade,
        challenge_hash text,
        ra_lifetime_days integer not null,
        ra_renew_before_days integer not null,
        challenge_ttl_seconds integer not null,
        max_pending_challenges integer not null,
        updated_at timestamptz not null default now()
      );
      create table scep_ra_certificates (
        id uuid primary key,
        profile_id uuid not null references certificate_profiles(id) on delete cascade,
        ca_id uuid not null references cas(id) on delete cascade,
        key_algorithm text not null,
        key_ref jsonb not null,
        certificate bytea not null,
        not_before timestamptz not null,
        not_after timestamptz not null,
        created_at timestamptz not null default now()
      );
      create index scep_ra_certificates_latest on scep_ra_certificates(profile_id, not_after desc);
      create table scep_challenges (
        id uuid primary key,
        profile_id uuid not null references certificate_profiles(id) on delete cascade,
        challenge_hash text not null unique,
        created_by text not null,
        expires_at timestamptz not null,
        used_at timestamptz
      );
      create index scep_challenges_pending on scep_challenges(profile_id, expires_at) where used_at is null;
      create table scep_transactions (
        profile_id uuid not null references certificate_profiles(id) on delete cascade,
        transaction_id text not null,
        certificate_id uuid not null references certificates(id) on delete cascade,
        created_at timestamptz not null default now(),
        primary key (profile_id, transaction_id, certificate_id)
      );
    `.execute(db);
  },
};
