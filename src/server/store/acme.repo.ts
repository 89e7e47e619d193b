import { sql, type Kysely, type Selectable } from "kysely";
import { hitStatement } from "./rate-limit.repo.js";
import type { AcmeAccountsTable, AcmeAuthzsTable, AcmeChallengesTable, AcmeOrdersTable, Database } from "./schema.js";

export type AcmeAccountRow = Selectable<AcmeAccountsTable>;
export type AcmeOrderRow = Selectable<AcmeOrdersTable>;
export type AcmeAuthzRow = Selectable<AcmeAuthzsTable>;
export type AcmeChallengeRow = Selectable<AcmeChallengesTable>;

/** ACME state (RFC 8555): nonces, EAB keys, accounts, orders, authorizations, challenges. */
export function acmeRepo(db: Kysely<Database>) {
  return {
    /**
     * Records the first use of a nonce (a second use, on any server, finds it: `fresh` false) and
     * counts a hit against `limitKey` in a window of `windowSeconds`: one statement for both
     * (RFC 8555 §6.5; the shared rate limiter, rate-limit.repo.ts). `nonce` null counts the hit only.
     */
    async useNonce(nonce: { value: string; expiresAt: Date } | null, limitKey: string, now: Date, windowSeconds: number) {
      const r = await sql<{ fresh: boolean; count: number; window_start: Date }>`
        with used as (
          insert into acme_used_nonces (nonce, expires_at) select ${nonce?.value ?? null}::text, ${nonce?.expiresAt ?? null}::timestamptz
          where ${nonce !== null} on conflict (nonce) do nothing returning 1
        ),
        hit as (${hitStatement(limitKey, now, windowSeconds)})
        select exists (select 1 from used) as fresh, hit.count, hit.window_start from hit`.execute(db);
      return r.rows[0];
    },
    /** Forgets the uses of nonces that have expired (they are refused by their expiry alone). */
    async pruneNonces(now: Date) {
      await db.deleteFrom("acme_used_nonces").where("expires_at", "<", now).execute();
    },

    /** Stores an EAB key (HMAC sealed). */
    async insertEab(e: { keyId: string; profileId: string; hmacSealed: unknown; description: string }) {
      await db.insertInto("acme_eab_keys").values({ key_id: e.keyId, profile_id: e.profileId, hmac_sealed: JSON.stringify(e.hmacSealed), description: e.description }).execute();
    },
    /** An EAB key by its key id. */
    eabByKeyId: (keyId: string) => db.selectFrom("acme_eab_keys").selectAll().where("key_id", "=", keyId).executeTakeFirst(),
    /** A profile's EAB keys, newest first. */
    eabsOf: (profileId: string) => db.selectFrom("acme_eab_keys").selectAll().where("profile_id", "=", profileId).orderBy("created_at", "desc").execute(),
    /** Binds an unused EAB key to an account; false when it was already used or revoked (one account per key). */
    async bindEab(keyId: string, accountId: string) {
      const r = await db.updateTable("acme_eab_keys").set({ account_id: accountId }).where("key_id", "=", keyId).where("account_id", "is", null).where("revoked_at", "is", null).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    /** Revokes an EAB key; false when not found. */
    async revokeEab(profileId: string, keyId: string, at: Date) {
      const r = await db.updateTable("acme_eab_keys").set({ revoked_at: at }).where("profile_id", "=", profileId).where("key_id", "=", keyId).where("revoked_at", "is", null).executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },

    /** Inserts an account. */
    async insertAccount(a: { id: string; profileId: string; jwk: Record<string, unknown>; thumbprint: string; contact: string[]; eabKeyId: string | null }) {
      await db.insertInto("acme_accounts").values({ id: a.id, profile_id: a.profileId, jwk: JSON.stringify(a.jwk), thumbprint: a.thumbprint, status: "valid", contact: JSON.stringify(a.contact), eab_key_id: a.eabKeyId }).execute();
    },
    /** An account by id. */
    accountById: (id: string) => db.selectFrom("acme_accounts").selectAll().where("id", "=", id).executeTakeFirst(),
    /** An account by key thumbprint within a profile. */
    accountByThumbprint: (profileId: string, thumbprint: string) => db.selectFrom("acme_accounts").selectAll().where("profile_id", "=", profileId).where("thumbprint", "=", thumbprint).executeTakeFirst(),
    /** Updates an account's contact, status or key. */
    async updateAccount(id: string, set: Partial<{ contact: string[]; status: "valid" | "deactivated" | "revoked"; jwk: Record<string, unknown>; thumbprint: string }>) {
      await db
        .updateTable("acme_accounts")
        .set({ ...(set.contact ? { contact: JSON.stringify(set.contact) } : {}), ...(set.status ? { status: set.status } : {}), ...(set.jwk ? { jwk: JSON.stringify(set.jwk), thumbprint: set.thumbprint! } : {}) })
        .where("id", "=", id)
        .execute();
    },

    /** Inserts an order with its authorizations and their challenges, in one statement (atomic on its own); returns the order row. */
    async insertOrder(o: { id: string; accountId: string; profileId: string; identifiers: { type: "dns" | "ip"; value: string }[]; notBefore: Date | null; notAfter: Date | null; expiresAt: Date; replaces: string | null }, authzs: { id: string; type: "dns" | "ip"; value: string; wildcard: boolean; expiresAt: Date; challenges: { id: string; type: "http-01" | "dns-01" | "tls-alpn-01"; token: string }[] }[]) {
      const az = JSON.stringify(authzs.map((a) => ({ id: a.id, type: a.type, value: a.value, wildcard: a.wildcard, expires_at: a.expiresAt.toISOString() })));
      const ch = JSON.stringify(authzs.flatMap((a) => a.challenges.map((c) => ({ id: c.id, authz_id: a.id, type: c.type, token: c.token }))));
      const r = await sql<AcmeOrderRow>`
        with o as (
          insert into acme_orders (id, account_id, profile_id, status, identifiers, not_before, not_after, expires_at, replaces)
          values (${o.id}, ${o.accountId}, ${o.profileId}, 'pending', ${JSON.stringify(o.identifiers)}::jsonb, ${o.notBefore}, ${o.notAfter}, ${o.expiresAt}, ${o.replaces})
          returning *
        ),
        a as (
          insert into acme_authzs (id, order_id, identifier_type, identifier_value, wildcard, status, expires_at)
          select x.id, ${o.id}, x.type, x.value, x.wildcard, 'pending', x.expires_at from json_to_recordset(${az}::json) as x(id uuid, type text, value text, wildcard boolean, expires_at timestamptz)
        ),
        c as (
          insert into acme_challenges (id, authz_id, type, token, status)
          select x.id, x.authz_id, x.type, x.token, 'pending' from json_to_recordset(${ch}::json) as x(id uuid, authz_id uuid, type text, token text)
        )
        select * from o`.execute(db);
      return r.rows[0];
    },
    /** An order by id. */
    orderById: (id: string) => db.selectFrom("acme_orders").selectAll().where("id", "=", id).executeTakeFirst(),
    /** An account's orders, newest first. */
    ordersOf: (accountId: string, limit: number) => db.selectFrom("acme_orders").select(["id", "status", "expires_at"]).where("account_id", "=", accountId).orderBy("created_at", "desc").limit(limit).execute(),
    /** Moves an order from one status to another; returns the order as it now is, or undefined when it was not in `from` (a race lost). */
    transitionOrder: (id: string, from: AcmeOrderRow["status"][], to: AcmeOrderRow["status"], set: { error?: Record<string, unknown>; certificate_id?: string } = {}): Promise<AcmeOrderRow | undefined> =>
      db
        .updateTable("acme_orders")
        .set({ status: to, ...(set.error ? { error: JSON.stringify(set.error) } : {}), ...(set.certificate_id ? { certificate_id: set.certificate_id } : {}) })
        .where("id", "=", id)
        .where("status", "in", from)
        .returningAll()
        .executeTakeFirst(),
    /** An account's orders that name a certificate they replace and have not failed (RFC 9773 §5). */
    ordersReplacing: (accountId: string) => db.selectFrom("acme_orders").select(["id", "status", "expires_at", "replaces"]).where("account_id", "=", accountId).where("replaces", "is not", null).where("status", "<>", "invalid").execute(),
    /** Locks an order row until the transaction ends (serializes replacements of its certificate). */
    async lockOrder(id: string) {
      await db.selectFrom("acme_orders").select("id").where("id", "=", id).forUpdate().execute();
    },
    /** The order that produced a certificate. */
    orderByCertificate: (certificateId: string) => db.selectFrom("acme_orders").selectAll().where("certificate_id", "=", certificateId).executeTakeFirst(),

    /** An authorization by id. */
    authzById: (id: string) => db.selectFrom("acme_authzs").selectAll().where("id", "=", id).executeTakeFirst(),
    /** An order's authorizations. */
    authzsOf: (orderId: string) => db.selectFrom("acme_authzs").selectAll().where("order_id", "=", orderId).orderBy("created_at").orderBy("id").execute(),
    /** Sets an authorization's status (from the given ones only); returns it as it now is, or undefined when it was in none of them. */
    setAuthzStatus: (id: string, from: AcmeAuthzRow["status"][], to: AcmeAuthzRow["status"]): Promise<AcmeAuthzRow | undefined> =>
      db.updateTable("acme_authzs").set({ status: to }).where("id", "=", id).where("status", "in", from).returningAll().executeTakeFirst(),
    /** Challenges of an authorization. */
    challengesOf: (authzId: string) => db.selectFrom("acme_challenges").selectAll().where("authz_id", "=", authzId).orderBy("type").execute(),
    /** Challenges of several authorizations. */
    challengesOfMany: (authzIds: string[]) => (authzIds.length ? db.selectFrom("acme_challenges").selectAll().where("authz_id", "in", authzIds).orderBy("type").execute() : Promise.resolve([])),
    /** A challenge by id. */
    challengeById: (id: string) => db.selectFrom("acme_challenges").selectAll().where("id", "=", id).executeTakeFirst(),
    /** Claims a pending challenge for validation; false when another request already did. */
    async claimChallenge(id: string) {
      const r = await db.updateTable("acme_challenges").set({ status: "processing" }).where("id", "=", id).where("status", "=", "pending").executeTakeFirst();
      return Number(r.numUpdatedRows) === 1;
    },
    /** Records a challenge's outcome; returns the challenge as it now is. */
    finishChallenge: (id: string, ok: boolean, at: Date, error: Record<string, unknown> | null) =>
      db.updateTable("acme_challenges").set({ status: ok ? "valid" : "invalid", validated_at: ok ? at : null, error: error ? JSON.stringify(error) : null }).where("id", "=", id).returningAll().executeTakeFirstOrThrow(),
    /** Counts an account's orders created since `since` (rate limit). */
    async ordersSince(accountId: string, since: Date) {
      const r = await sql<{ n: string }>`select count(*)::text as n from acme_orders where account_id = ${accountId} and created_at >= ${since}`.execute(db);
      return Number(r.rows[0].n);
    },
  };
}
