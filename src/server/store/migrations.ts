import { sql, type Kysely } from "kysely";

/** One schema step. Written in PostgreSQL 15 SQL (PGlite is 18; both must accept it). */
export interface Migration {
  name: string;
  up(db: Kysely<any>): Promise<void>;
}

const initial: Migration = {
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

const certificates: Migration = {
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

const revocation: Migration = {
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

const acme: Migration = {
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

const autoRenew: Migration = {
  name: "0005_auto_renew",
  async up(db) {
    await sql`
      -- Per-certificate override of the profile's apiConfig (null: follow the profile).
      alter table certificates add column auto_renew boolean;
      alter table certificates add column renew_before_days integer;
      -- One server claims a renewal at a time; a failure is recorded for the owner to see.
      alter table certificates add column renewal_claimed_at timestamptz;
      alter table certificates add column renewal_failure text;
      alter table certificates add column renewal_failed_at timestamptz;
      create index certificates_renewal_due on certificates(not_after) where status = 'active' and renewed_by_id is null and key_source = 'server';
      -- renewed_by_id references certificates: without an index every delete scans the table.
      create index certificates_renewed_by on certificates(renewed_by_id);
    `.execute(db);
  },
};

const alerts: Migration = {
  name: "0006_alerts",
  async up(db) {
    await sql`
      -- Alert rules: which certificate events go where (a signed webhook or an email).
      create table alert_rules (
        id uuid primary key,
        project_id uuid not null references projects(id) on delete cascade,
        name text not null,
        events jsonb not null,
        expiration_days jsonb not null,
        filters jsonb not null,
        channel text not null check (channel in ('webhook', 'email')),
        webhook_url text,
        secret_sealed jsonb,
        email_to jsonb,
        enabled boolean not null default true,
        created_at timestamptz not null,
        updated_at timestamptz not null
      );
      create index alert_rules_project on alert_rules(project_id, created_at);
      -- One row per alert and rule; the unique dedupe key makes "once" true across servers.
      create table alert_deliveries (
        id uuid primary key,
        rule_id uuid not null references alert_rules(id) on delete cascade,
        event_id uuid not null,
        event_type text not null,
        certificate_id uuid,
        dedupe_key text not null unique,
        status text not null check (status in ('pending', 'delivered', 'failed')),
        attempts integer not null default 0,
        next_attempt_at timestamptz not null,
        last_error text,
        response_status integer,
        payload jsonb not null,
        created_at timestamptz not null,
        delivered_at timestamptz
      );
      create index alert_deliveries_due on alert_deliveries(next_attempt_at) where status = 'pending';
      create index alert_deliveries_rule on alert_deliveries(rule_id, created_at desc);
    `.execute(db);
  },
};

/** Every migration, in order. Append only; never edit one that has shipped. */
export const MIGRATIONS: Migration[] = [initial, certificates, revocation, acme, autoRenew, alerts];

// Arbitrary constant shared by every Stamp server: pg_advisory_lock key for migrations.
const MIGRATION_LOCK = 0x5354414d; // "STAM"

/**
 * Applies pending migrations under a session advisory lock on one connection, so two
 * servers starting together run each migration exactly once.
 */
export async function migrate(db: Kysely<any>, migrations: Migration[] = MIGRATIONS): Promise<string[]> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`.execute(conn);
    try {
      await sql`create table if not exists stamp_migrations (name text primary key, applied_at timestamptz not null default now())`.execute(conn);
      const done = new Set((await sql<{ name: string }>`select name from stamp_migrations`.execute(conn)).rows.map((r) => r.name));
      const applied: string[] = [];
      for (const m of migrations) {
        if (done.has(m.name)) continue;
        await conn.transaction().execute(async (tx) => {
          await m.up(tx);
          await sql`insert into stamp_migrations (name) values (${m.name})`.execute(tx);
        });
        applied.push(m.name);
      }
      return applied;
    } finally {
      await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.execute(conn);
    }
  });
}
