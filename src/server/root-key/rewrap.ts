/**
 * Re-wraps every sealed value under the current root key (docs/adr/0005-root-key-rotation.md):
 * only each envelope's data-key wrap changes, the secret's ciphertext stays. Batches are
 * committed one by one and already re-wrapped values are skipped, so a run that stops half-way
 * is finished by running it again.
 */
import { isSealed, rewrap, type Sealed } from "../keys/envelope.js";
import type { Keyring } from "../keys/keyring.js";
import { serverSecretAad } from "../keys/server-secret.js";
import { softwareKeyAad } from "../keys/software.js";
import { TLS_CA_AAD, TLS_CA_SLOT } from "../ca/tls-auto.js";
import { eabAad } from "../ra/acme/deps.js";
import { secretAad } from "../ra/alerts/deps.js";
import { answerAad } from "../ra/idempotency.js";
import { secretsAad } from "../ra/external/settings.js";
import { SEALED_COLUMNS, type SealedColumn, type SealedRow } from "../store/sealed.repo.js";

/** Where sealed values are read and written in batches (store/sealed.repo.ts). */
export interface SealedStore {
  page(c: SealedColumn, after: string[] | null, limit: number): Promise<SealedRow[]>;
  replace(c: SealedColumn, rows: { key: string[]; old: unknown; value: unknown }[]): Promise<number>;
}

/** An envelope found inside a column's JSON value, and where. */
export interface FoundSealed {
  path: string[];
  sealed: Sealed;
}

/** Every envelope inside a JSON value (the value itself, or nested in objects). */
export function findSealed(value: unknown, path: string[] = []): FoundSealed[] {
  if (isSealed(value)) return [{ path, sealed: value }];
  if (typeof value !== "object" || value === null || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([k, v]) => findSealed(v, [...path, k]));
}

/**
 * The AAD each sealed value was bound to, from its column, row and place in the value; null
 * when the place is not known (then rotation refuses to guess, and says where).
 */
export function aadOf(c: SealedColumn, key: string[], value: unknown, path: string[]): string | null {
  const at = path.join(".");
  const v = value as Record<string, unknown>;
  switch (c.table) {
    case "server_secrets":
      if (at === "") return serverSecretAad(key[0]);
      return key[0] === TLS_CA_SLOT && at === "key" ? TLS_CA_AAD : null;
    case "ca_keys":
    case "certificates":
    case "ocsp_signers":
    case "scep_ra_certificates":
      return at === "sealed" && v.backend === "software" && typeof v.label === "string" ? softwareKeyAad(v.label) : null;
    case "acme_eab_keys":
      return at === "" ? eabAad(key[0]) : null;
    case "alert_rules":
      return at === "" ? secretAad(key[0]) : null;
    case "idempotency_keys":
      return at === "" ? answerAad(key[0], key[1], key[2]) : null;
    case "external_cas":
      return at === "" ? secretsAad(key[0]) : null;
  }
}

/** What one pass did. */
export interface RewrapReport {
  /** Envelopes seen. */
  scanned: number;
  /** Envelopes re-wrapped under the current key by this pass. */
  rewrapped: number;
  /** Envelopes not under the current key after this pass (could not be opened, or changed meanwhile). */
  left: number;
  /** One line per value that could not be re-wrapped. */
  failures: string[];
}

/** Progress after each committed batch. */
export interface BatchDone {
  table: string;
  column: string;
  batch: number;
  rewrapped: number;
}

/** Re-wraps, batch by batch, every envelope not under `ring.current`; safe to run again at any point. */
export async function rewrapAll(deps: { store: SealedStore; ring: Keyring; batchSize: number; onBatch?: (b: BatchDone) => void | Promise<void> }): Promise<RewrapReport> {
  const { store, ring, batchSize } = deps;
  const report: RewrapReport = { scanned: 0, rewrapped: 0, left: 0, failures: [] };
  let batch = 0;
  for (const c of SEALED_COLUMNS) {
    for await (const rows of pages(store, c, batchSize)) {
      const changes: { key: string[]; old: unknown; value: unknown }[] = [];
      let wanted = 0;
      for (const row of rows) {
        const change = rewrapRow(c, row, ring, report);
        if (!change) continue;
        changes.push({ key: row.key, old: row.value, value: change.value });
        wanted += change.count;
      }
      const done = await store.replace(c, changes);
      // A row a server changed meanwhile is not replaced: its envelopes are left for the next pass.
      const missed = changes.length - done;
      report.rewrapped += missed === 0 ? wanted : done;
      report.left += missed === 0 ? 0 : wanted - done;
      batch++;
      await deps.onBatch?.({ table: c.table, column: c.column, batch, rewrapped: report.rewrapped });
    }
  }
  return report;
}

function rewrapRow(c: SealedColumn, row: SealedRow, ring: Keyring, report: RewrapReport): { value: unknown; count: number } | null {
  const found = findSealed(row.value);
  report.scanned += found.length;
  const value = structuredClone(row.value) as Record<string, unknown>;
  let out: unknown = value;
  let count = 0;
  for (const f of found) {
    if (f.sealed.kid === ring.current.id) continue;
    const where = `${c.table}.${c.column}${f.path.length ? `.${f.path.join(".")}` : ""} (${c.key.join(", ")} = ${row.key.join(", ")})`;
    const aad = aadOf(c, row.key, row.value, f.path);
    if (aad === null) {
      report.failures.push(`${where}: this kind of sealed value is unknown to the rotation`);
      report.left++;
      continue;
    }
    let next: Sealed | null;
    try {
      next = rewrap(ring, f.sealed, aad);
    } catch (e) {
      report.failures.push(`${where}: ${e instanceof Error ? e.message : String(e)}`);
      report.left++;
      continue;
    }
    if (!next) continue;
    if (f.path.length === 0) out = next;
    else setAt(value, f.path, next);
    count++;
  }
  return count ? { value: out, count } : null;
}

function setAt(obj: Record<string, unknown>, path: string[], v: unknown): void {
  let o = obj;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
  o[path[path.length - 1]] = v;
}

/** How many envelopes name each root key id ("none" for envelopes sealed before key ids existed). */
export async function census(store: SealedStore, batchSize: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const c of SEALED_COLUMNS) {
    for await (const rows of pages(store, c, batchSize)) {
      for (const f of rows.flatMap((r) => findSealed(r.value))) counts.set(f.sealed.kid ?? "none", (counts.get(f.sealed.kid ?? "none") ?? 0) + 1);
    }
  }
  return counts;
}

/** A column's rows holding envelopes, a batch at a time in primary-key order. */
async function* pages(store: SealedStore, c: SealedColumn, batchSize: number): AsyncGenerator<SealedRow[]> {
  let after: string[] | null = null;
  for (;;) {
    const rows = await store.page(c, after, batchSize);
    if (rows.length === 0) return;
    after = rows[rows.length - 1].key;
    yield rows;
    if (rows.length < batchSize) return;
  }
}
