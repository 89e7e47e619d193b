import { createHash } from "node:crypto";

/**
 * The audit log's hash chain, shared by the server (which seals each entry as it appends it)
 * and `stamp audit verify` (which recomputes every hash on the client). The encoding is part
 * of the public contract: docs/security.md states it byte for byte.
 */

/** The prevHash of the first entry in the chain. */
export const GENESIS_HASH = "0".repeat(64);

/** The fields an entry's hash covers, as the API returns them. */
export interface ChainedFields {
  id: string;
  prevHash: string;
  projectId: string | null;
  actorType: string;
  actorId: string;
  action: string;
  objectType: string;
  objectId: string | null;
  outcome: string;
  sourceIp: string | null;
  /** ISO 8601, UTC, milliseconds (`2026-12-07T10:00:00.000Z`). */
  createdAt: string;
  detail: unknown;
}

/** RFC 8785 (JCS) style JSON: object keys sorted by UTF-16 code units, no whitespace. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map((x) => (x === undefined ? "null" : canonicalJson(x))).join(",")}]`;
  const keys = Object.keys(v)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
}

/** The first elements of the encoding: the version tag, then the id and prevHash as JSON strings. */
export const CANONICAL_PREFIX = '["stamp-audit-v1",';

/**
 * The encoding after `prevHash`: `projectId,…,detail]`. The server's append puts the prefix, the
 * id and the previous hash in front inside the database (they are known only under the lock).
 */
export function canonicalTail(e: Omit<ChainedFields, "id" | "prevHash">): string {
  // detail goes through JSON first, as the database stores it (undefined dropped, Dates as strings).
  const detail = JSON.parse(JSON.stringify(e.detail ?? {})) as unknown;
  return canonicalJson([e.projectId, e.actorType, e.actorId, e.action, e.objectType, e.objectId, e.outcome, e.sourceIp, e.createdAt, detail]).slice(1);
}

/** The exact bytes an entry's hash covers: a JSON array of a version tag and every field. */
export function canonicalEntry(e: ChainedFields): string {
  return `${CANONICAL_PREFIX}${JSON.stringify(e.id)},${JSON.stringify(e.prevHash)},${canonicalTail(e)}`;
}

/** The entry's hash: lowercase hex SHA-256 of the UTF-8 canonical encoding. */
export function entryHash(e: ChainedFields): string {
  return createHash("sha256").update(canonicalEntry(e), "utf8").digest("hex");
}

/** Why a chain does not verify, naming the first bad entry. */
export interface ChainBreak {
  id: string;
  problem: "edited" | "broken-link" | "out-of-order";
  message: string;
}

/**
 * Checks entries in chain order (ascending id), page after page: `push` returns the first
 * break or null. Start with the genesis hash, or a verified entry's hash to resume from it.
 */
export function chainVerifier(start: { id: string | null; hash: string } = { id: null, hash: GENESIS_HASH }) {
  let last = start;
  let count = 0;
  return {
    push(e: ChainedFields & { hash: string }): ChainBreak | null {
      if (last.id !== null && BigInt(e.id) <= BigInt(last.id)) {
        return { id: e.id, problem: "out-of-order", message: `entry ${e.id} comes after entry ${last.id}: the log is out of order.` };
      }
      if (e.prevHash !== last.hash) {
        const before = last.id === null ? "the start of the log" : `entry ${last.id}`;
        return { id: e.id, problem: "broken-link", message: `entry ${e.id} does not follow ${before}: an entry between them was deleted or inserted, or ${before} was replaced.` };
      }
      if (entryHash(e) !== e.hash) {
        return { id: e.id, problem: "edited", message: `entry ${e.id} was changed after it was written: its fields no longer match its hash.` };
      }
      last = { id: e.id, hash: e.hash };
      count++;
      return null;
    },
    /** The last verified entry and how many were checked. */
    get state() {
      return { last, count };
    },
  };
}
