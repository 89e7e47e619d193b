import type { Kysely } from "kysely";
import type { Database } from "./schema.js";
import { identityRepo } from "./identity.repo.js";
import { miscRepo } from "./misc.repo.js";
import { caRepo } from "./ca.repo.js";
import { certRepo } from "./cert.repo.js";

/** Every repository, bound to one executor (the pool or an open transaction). */
export interface Repos {
  identity: ReturnType<typeof identityRepo>;
  misc: ReturnType<typeof miscRepo>;
  ca: ReturnType<typeof caRepo>;
  cert: ReturnType<typeof certRepo>;
}

/** The store: repositories plus short transactions (house rule 3: no signing inside). */
export interface Store extends Repos {
  transaction<T>(fn: (tx: Repos) => Promise<T>): Promise<T>;
  /** True when the database answers. */
  ping(): Promise<boolean>;
}

function repos(db: Kysely<Database>): Repos {
  return { identity: identityRepo(db), misc: miscRepo(db), ca: caRepo(db), cert: certRepo(db) };
}

/** Builds the store over an open Kysely handle. */
export function createStore(db: Kysely<Database>): Store {
  return {
    ...repos(db),
    transaction: (fn) => db.transaction().execute((trx) => fn(repos(trx))),
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
