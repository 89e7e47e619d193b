import { sql } from "kysely";
import type { Migration } from "./migration.js";

/** Token revocation (per principal and per token) and membership invitations by email. */
export const sessions: Migration = {
  name: "0009_sessions",
  async up(db) {
    await sql`
      -- Every access token carries its principal's generation; bumping it (password change,
      -- "log out everywhere") ends every token issued before, on every server at once.
      alter table users add column token_generation integer not null default 0;
      alter table identities add column token_generation integer not null default 0;
      -- One logged-out token (its jti) until it would have expired anyway; pruned on insert.
      create table revoked_tokens (
        token_id text primary key,
        expires_at timestamptz not null
      );
      create index revoked_tokens_expiry on revoked_tokens(expires_at);
      -- A membership for an email no account has yet; it becomes a membership (same id) when a
      -- user with that email is created, so adding by email never says whether one exists.
      create table membership_invitations (
        id uuid primary key,
        project_id uuid not null references projects(id) on delete cascade,
        email text not null,
        role text not null check (role in ('admin', 'member', 'viewer')),
        profiles jsonb,
        can_read_private_keys boolean not null default false,
        created_at timestamptz not null default now(),
        unique (project_id, email)
      );
      create index membership_invitations_email on membership_invitations(email);
    `.execute(db);
  },
};
