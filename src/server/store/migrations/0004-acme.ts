import { sql } from "kysely";
import type { Migration } from "./migration.js";

/** ACME: EAB keys, nonces, accounts, orders, authorizations, challenges. */
export const acme: Migration = {
  name: "0004_acme",
  async up(db) {
    await sql`
      alter table certificate_profiles add column acme_config jsonb;
      -- EAB credentials (RFC 8555 §7.3.4): the HMAC key sealed under the root key; one account each.
      create table acme_eab_keys (
        key_id text primary key,
        profile_id uuid not null references certificate_profiles(id) on delete cascade,
        hmac_sealed jsonb not null,
        description text not null default '',
        account_id uuid,
        created_at timestamptz not null default now(),
        revoked_at timestamptz
      );
      create index acme_eab_keys_profile on acme_eab_keys(profile_id);
      -- Nonces live in the database so any server accepts any server's nonce, once.
      create table acme_nonces (
        nonce text primary key,
        expires_at timestamptz not null
      );
      create index acme_nonces_expiry on acme_nonces(expires_at);
      create table acme_accounts (
        id uuid primary key,
        profile_id uuid not null references certificate_profiles(id) on delete cascade,
        jwk jsonb not null,
        thumbprint text not null,
        status text not null check (status in ('valid', 'deactivated', 'revoked')),
        contact jsonb not null,
        eab_key_id text,
        created_at timestamptz not null default now(),
        unique (profile_id, thumbprint)
      );
      create table acme_orders (
        id uuid primary key,
        account_id uuid not null references acme_accounts(id) on delete cascade,
        profile_id uuid not null references certificate_profiles(id) on delete cascade,
        status text not null check (status in ('pending', 'ready', 'processing', 'valid', 'invalid')),
        identifiers jsonb not null,
        not_before timestamptz,
        not_after timestamptz,
        expires_at timestamptz not null,
        error jsonb,
        certificate_id uuid references certificates(id),
        replaces text,
        created_at timestamptz not null default now()
      );
      create index acme_orders_account on acme_orders(account_id, created_at desc);
      create table acme_authzs (
        id uuid primary key,
        order_id uuid not null references acme_orders(id) on delete cascade,
        identifier_type text not null,
        identifier_value text not null,
        wildcard boolean not null,
        status text not null check (status in ('pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked')),
        expires_at timestamptz not null,
        created_at timestamptz not null default now()
      );
      create index acme_authzs_order on acme_authzs(order_id);
      create table acme_challenges (
        id uuid primary key,
        authz_id uuid not null references acme_authzs(id) on delete cascade,
        type text not null,
        token text not null,
        status text not null check (status in ('pending', 'processing', 'valid', 'invalid')),
        validated_at timestamptz,
        error jsonb,
        created_at timestamptz not null default now()
      );
      create index acme_challenges_authz on acme_challenges(authz_id);
    `.execute(db);
  },
};
