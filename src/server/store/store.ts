import { sql, type Kysely } from "kysely";
import { isUniqueViolation } from "./db.js";
import type { Database } from "./schema.js";
import { identityRepo } from "./identity.repo.js";
import { miscRepo } from "./misc.repo.js";
import { caRepo } from "./ca.repo.js";
import { certRepo } from "./cert.repo.js";
import { revocationRepo } from "./revocation.repo.js";
import { acmeRepo } from "./acme.repo.js";
import { alertRepo } from "./alert.repo.js";
import { idempotencyRepo } from "./idempotency.repo.js";
import { reconcileRepo } from "./reconcile.repo.js";
import { issuanceRepo } from "./issuance.repo.js";
import { profileStatsRepo } from "./profile-stats.repo.js";
import { certRequestsRepo } from "./cert-requests.repo.js";
import { certInventoryRepo } from "./cert-inventory.repo.js";
import { externalCaRepo } from "./external-ca.repo.js";
import { scepRepo } from "./scep.repo.js";
import { metricsRepo } from "./metrics.repo.js";

/** Every repository, bound to one executor (the pool or an open transaction). */
export interface Repos {
  identity: ReturnType<typeof identityRepo>;
  misc: ReturnType<typeof miscRepo>;
  ca: ReturnType<typeof caRepo>;
  cert: ReturnType<typeof certRepo>;
  revocation: ReturnType<typeof revocationRepo>;
  acme: ReturnType<typeof acmeRepo>;
  alert: ReturnType<typeof alertRepo>;
  idempotency: ReturnType<typeof idempotencyRepo>;
  reconcile: ReturnType<typeof reconcileRepo>;
  issuance: ReturnType<typeof issuanceRepo>;
  profileStats: ReturnType<typeof profileStatsRepo>;
  certRequests: ReturnType<typeof certRequestsRepo>;
  certInventory: ReturnType<typeof certInventoryRepo>;
  external: ReturnType<typeof externalCaRepo>;
  scep: ReturnType<typeof scepRepo>;
  metrics: ReturnType<typeof metricsRepo>;
}

/** The store: repositories plus short transactions (house rule 3: no signing inside). */
export interface Store extends Repos {
  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T>;
  /** A REPEATABLE READ transaction: every read sees one snapshot (CRL building). */
  snapshot<T>(fn: (tx: Repos) => Promise<T>): Promise<T>;
  /**
   * Runs `fn` only if no other holder (on any server) has the lock `name`; returns null when
   * another does. PostgreSQL: a session advisory lock on a pinned connection, held outside any
   * transaction so `fn` may sign. PGlite: one process, so an in-process lock is enough.
   */
  withJobLock<T>(name: string, fn: () => Promise<T>): Promise<T | null>;
  /** True when the database answers. */
  ping(): Promise<boolean>;
  /** True when `e` is the database refusing a duplicate (a unique constraint): use cases turn it into a clear conflict. */
  isUniqueViolation(e: unknown): boolean;
}

function repos(db: Kysely<Database>, kind: "pglite" | "postgres"): Repos {
  return { identity: identityRepo(db), misc: miscRepo(db), ca: caRepo(db), cert: certRepo(db), revocation: revocationRepo(db), acme: acmeRepo(db), alert: alertRepo(db), idempotency: idempotencyRepo(db), reconcile: reconcileRepo(db), issuance: issuanceRepo(db, kind), profileStats: profileStatsRepo(db), certRequests: certRequestsRepo(db), certInventory: certInventoryRepo(db), external: externalCaRepo(db), scep: scepRepo(db), metrics: metricsRepo(db) };
}

/** Builds the store over an open Kysely handle. */
export function createStore(db: Kysely<Database>, kind: "pglite" | "postgres" = "postgres"): Store {
  const held = new Set<string>();
  return {
    ...repos(db, kind),
    transaction: (fn) => db.transaction().execute((trx) => fn(repos(trx, kind))),
    snapshot: (fn) => db.transaction().setIsolationLevel("repeatable read").execute((trx) => fn(repos(trx, kind))),
    async withJobLock(name, fn) {
      if (kind === "pglite") {
        if (held.has(name)) return null;
        held.add(name);
        try {
          return await fn();
        } finally {
          held.delete(name);
        }
      }
      return db.connection().execute(async (conn) => {
        const got = await sql<{ ok: boolean }>`select pg_try_advisory_lock(hashtext(${name})) as ok`.execute(conn);
        if (!got.rows[0]?.ok) return null;
        try {
          return await fn();
        } finally {
          await sql`select pg_advisory_unlock(hashtext(${name}))`.execute(conn);
        }
      });
    },
    isUniqueViolation,
    async ping() {
      try {
        await db.selectFrom("stamp_migrations" as never).select((eb) => eb.lit(1).as("one")).limit(1).execute();
        return true;
      } catch {
        return false;
      }
    },
  };
}
