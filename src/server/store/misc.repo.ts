import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import { auditRepo } from "./audit.repo.js";
import { locksRepo } from "./locks.repo.js";
import { rateLimitRepo } from "./rate-limit.repo.js";
import { secretsRepo } from "./secrets.repo.js";

/**
 * `store.misc`: the small server-wide concerns, one file each — advisory locks (locks.repo.ts),
 * sealed server secrets (secrets.repo.ts), the shared rate limiter (rate-limit.repo.ts) and the
 * audit log (audit.repo.ts) — under one name, so use cases keep one handle.
 */
export function miscRepo(db: Kysely<Database>) {
  return { ...locksRepo(db), ...secretsRepo(db), ...rateLimitRepo(db), ...auditRepo(db) };
}
