import { sql, type Kysely } from "kysely";
import type { Migration } from "./migrations/migration.js";
import { initial } from "./migrations/0001-platform.js";
import { certificates } from "./migrations/0002-certificates.js";
import { revocation } from "./migrations/0003-revocation.js";
import { acme } from "./migrations/0004-acme.js";
import { autoRenew } from "./migrations/0005-auto-renew.js";
import { alerts } from "./migrations/0006-alerts.js";
import { crlHealth } from "./migrations/0007-crl-health.js";
import { auditChain } from "./migrations/0008-audit-chain.js";
import { sessions } from "./migrations/0009-sessions.js";
import { idempotency } from "./migrations/0014-idempotency.js";
import { reconciliation } from "./migrations/0015-reconciliation.js";
import { certificateSearch } from "./migrations/0016-certificate-search.js";
import { cacheInvalidation } from "./migrations/0017-cache-invalidation.js";
import { acmeAccountCache } from "./migrations/0018-acme-account-cache.js";
import { crlParts } from "./migrations/0019-crl-parts.js";
import { pendingDeliveries } from "./migrations/0020-pending-deliveries.js";
import { caCompat } from "./migrations/0021-ca-compat.js";
import { certificateCompat } from "./migrations/0022-certificate-compat.js";
import { commitLeavesFunction } from "./migrations/0024-commit-leaves-function.js";
import { statelessAcmeNonces } from "./migrations/0025-stateless-acme-nonces.js";
import { est } from "./migrations/0026-est.js";
import { scep } from "./migrations/0027-scep.js";
import { externalCa } from "./migrations/0028-external-ca.js";

export type { Migration } from "./migrations/migration.js";

/** Every migration, in order. Append only; never edit one that has shipped. */
export const MIGRATIONS: Migration[] = [initial, certificates, revocation, acme, autoRenew, alerts, crlHealth, auditChain, sessions, idempotency, reconciliation, certificateSearch, cacheInvalidation, acmeAccountCache, crlParts, pendingDeliveries, caCompat, certificateCompat, commitLeavesFunction, statelessAcmeNonces, est, scep, externalCa];

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
      // Checked first: a role without CREATE on the schema (docs/security.md) may still start.
      const exists = (await sql<{ t: string | null }>`select to_regclass('stamp_migrations')::text as t`.execute(conn)).rows[0]?.t;
      if (!exists) await sql`create table if not exists stamp_migrations (name text primary key, applied_at timestamptz not null default now())`.execute(conn);
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
