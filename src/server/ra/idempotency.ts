import { createHash } from "node:crypto";
import type { ReposOf } from "../shared-types.js";
import { errors, StampError } from "../../errors.js";
import type { RequestContext, Runtime } from "./context.js";

/** Keys are remembered this long (the same key from the same caller within it replays). */
export const IDEMPOTENCY_TTL_SECONDS = 86_400;
/** A claim whose server died is taken over after this long. */
const LEASE_SECONDS = 120;
/** RFC-draft `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): visible ASCII, bounded. */
const KEY_SYNTAX = /^[\x21-\x7e]{1,255}$/;

/** Sealing for stored answers: they may hold a private key Stamp generated. */
export interface AnswerSealer {
  seal(plain: Uint8Array, aad: string): unknown;
  open(sealed: unknown, aad: string): Uint8Array;
}

/** The AAD that binds a sealed answer to its principal and key. */
export const answerAad = (principalType: string, principalId: string, key: string) => `stamp-idempotency:${principalType}:${principalId}:${key}`;

/** The answer of a request, and whether it was replayed from an earlier one with the same key. */
export interface Idempotent<T> {
  value: T;
  replayed: boolean;
}

/** The repositories these use cases call. */
export type IdempotencyRepos = ReposOf<{ idempotency: "claim" | "complete" | "prune" | "release"; }>;
/** The store as these use cases see it. */
export type IdempotencyStore = IdempotencyRepos;

/**
 * Idempotency-Key for issue, renew and revoke (issue 13): the first request with a key runs and
 * its answer is kept, sealed, for 24 h; the same key from the same principal then gets that
 * answer again without signing anything. The same key with another request is refused (422);
 * while the first still runs, a retry gets 409 with Retry-After. A request that fails frees its
 * key, so the client's retry runs again.
 */
export function createIdempotency(deps: { store: IdempotencyStore; rt: Runtime; secrets: AnswerSealer }) {
  const { store, rt, secrets } = deps;
  return {
    /** Runs `fn` once per (principal, key); `key` undefined runs it plainly. */
    async run<T>(ctx: RequestContext, key: string | undefined, operation: string, request: unknown, fn: () => Promise<T>): Promise<Idempotent<T>> {
      if (key === undefined) return { value: await fn(), replayed: false };
      if (!KEY_SYNTAX.test(key)) {
        throw errors.badRequest("The Idempotency-Key header must be 1 to 255 visible ASCII characters (a UUID is a good choice).", [{ field: "headers.idempotency-key", code: "invalid", message: "1 to 255 visible ASCII characters" }]);
      }
      const p = ctx.principal;
      if (!p) return { value: await fn(), replayed: false };
      const owner = { type: p.type, id: p.id };
      const hash = createHash("sha256").update(operation).update("\0").update(JSON.stringify(request)).digest("hex");
      const aad = answerAad(p.type, p.id, key);
      const got = await store.idempotency.claim(owner, key, operation, hash, rt.clock(), IDEMPOTENCY_TTL_SECONDS, LEASE_SECONDS);
      if (got.state === "pending") {
        throw new StampError("conflict", "A request with this Idempotency-Key is still being processed; retry in a moment.", { retryAfterSeconds: 2 });
      }
      if (got.state === "done") {
        if (got.operation !== operation || got.requestHash !== hash) {
          throw errors.validation("This Idempotency-Key was used for a different request in the last 24 hours; send a new key with a new request.", [
            { field: "headers.idempotency-key", code: "key_reused", message: "already used for a different request", value: key },
          ]);
        }
        return { value: JSON.parse(Buffer.from(secrets.open(got.responseSealed, aad)).toString("utf8")) as T, replayed: true };
      }
      let value: T;
      try {
        value = await fn();
      } catch (e) {
        await store.idempotency.release(owner, key).catch(() => {});
        throw e;
      }
      // The answer matters more than remembering it: if the store fails here, the claim lapses
      // after its lease and a retry runs again, but this caller still gets what was done.
      await store.idempotency.complete(owner, key, secrets.seal(Buffer.from(JSON.stringify(value), "utf8"), aad)).catch(() => {});
      return { value, replayed: false };
    },
    /** Forgets keys older than 24 h (a scheduled job). */
    prune: () => store.idempotency.prune(rt.clock(), IDEMPOTENCY_TTL_SECONDS),
  };
}
