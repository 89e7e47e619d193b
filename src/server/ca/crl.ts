import { errors, isStampError } from "../../errors.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { MAX_CRL_ENTRY_BYTES, writeCrlEntry } from "../../pki/crl-entry-writer.js";
import { REMOVE_FROM_CRL, reasonCode } from "../../pki/revocation-reasons.js";
import type { Keys, KeyRef } from "../keys/index.js";
import type { CrlFailure, ReposOf, Runtime, Transactional } from "../shared-types.js";
import type { RevokedEntryRow } from "../store/revocation.repo.js";
import type { Store } from "../store/store.js";
import { PART_BYTES, createSpill, signCrl, wholeCrl, type EntryBytes, type SignedCrl } from "./crl-body.js";

/** Rows fetched per cursor read while streaming a CRL's entries: bounded memory at any size. */
const BATCH = 10_000;
/** A full CRL below this many entries is rebuilt on every change (it takes well under a second). */
const SMALL_CRL = 100_000;
/** A larger full CRL is rebuilt on change at most this often; delta CRLs carry the news meanwhile. */
const FULL_MAX_AGE_MS = 10 * 60_000;

/** What a build produced. */
export interface CrlBuildResult {
  full?: { number: bigint; entries: number };
  delta?: { number: bigint; base: bigint; entries: number };
}

/** Runs `encode`; a stored row the CRL cannot hold (e.g. written before the API checked it) fails only its own CA's CRL, with a message naming it. */
function named<T>(serial: string, encode: () => T): T {
  try {
    return encode();
  } catch (e) {
    if (!isStampError(e)) throw e;
    const why = e.violations.map((v) => v.message).join(" ") || e.message;
    throw errors.internal(`The revocation of serial ${serial} cannot be written into a CRL: ${why}`, e);
  }
}

/** Writes a batch of a full CRL's rows back to back into `out` (MAX_CRL_ENTRY_BYTES each); returns the bytes written. */
function writeBatch(out: Uint8Array, rows: RevokedEntryRow[]): number {
  let p = 0;
  for (const r of rows) {
    p = named(r.serial, () =>
      writeCrlEntry(
        out,
        p,
        r.status !== "revoked"
          ? // A lifted certificateHold (RFC 5280 §5.3.1 removeFromCRL), only ever in a delta CRL.
            { serialHex: r.serial, revokedAt: new Date(r.hold_released_ms ?? 0), reasonCode: REMOVE_FROM_CRL }
          : {
              serialHex: r.serial,
              revokedAt: new Date(r.revoked_ms ?? 0),
              reasonCode: reasonCode(r.revocation_reason),
              invalidityDate: r.invalidity_ms === null ? undefined : new Date(r.invalidity_ms),
            },
      ),
    );
  }
  return p;
}

/** The repositories CRL publishing reads and writes. */
export type CrlRepos = ReposOf<{
  ca: "certificatesOf" | "keyById";
  revocation: "crlNextUpdates" | "insertCrl" | "insertCrlPart" | "latestCrlInfo" | "publishingKeys" | "recordCrlFailure" | "recordCrlSuccess" | "revocationSeq" | "revokedEntries";
}>;
/** The store as CRL publishing sees it: transactions and one-snapshot reads over those repositories, and the job lock. */
export type CrlStore = CrlRepos & Transactional<CrlRepos> & { snapshot: Transactional<CrlRepos>["transaction"] } & Pick<Store, "withJobLock">;

/**
 * CRLs: one stream per CA key (RFC 5280 §5.2.3 numbers shared by its full and delta CRLs).
 * A full CRL is rebuilt when none exists, the newest is past half its validity, or revocations
 * changed (see SMALL_CRL); a delta CRL (§5.2.4) accompanies every full CRL and every change. Both
 * read their entries in one snapshot through a cursor, encoded as they come into a spill file,
 * hashed from there and stored in parts (crl-body.ts), so a million entries are never held at once.
 */
export function createCrlPublisher(deps: { store: CrlStore; keys: Keys; rt: Runtime; revocationUrl: string; onFailure?: (f: CrlFailure) => void | Promise<void> }) {
  const { store, keys, rt } = deps;
  const deltaUrl = (keyId: string) => `${deps.revocationUrl}/api/v1/cert-manager/crl/${keyId}/delta`;

  /**
   * Reads a CRL's entries in one snapshot (the sequence number and the entries agree) into a
   * spill file as they are encoded: a million entries are 53 MB, never held in memory. All of
   * the key's revoked certificates, or those changed after `changedAfterSeq` (a delta CRL).
   */
  async function spillEntries(caId: string, caKeyId: string, changedAfterSeq?: string) {
    const spill = await createSpill();
    try {
      const snap = await store.snapshot(async (tx) => {
        const seq = await tx.revocation.revocationSeq(caId);
        const buf = new Uint8Array(BATCH * MAX_CRL_ENTRY_BYTES);
        let count = 0;
        for await (const rows of tx.revocation.revokedEntries(caKeyId, BATCH, changedAfterSeq)) {
          await spill.append(buf.subarray(0, writeBatch(buf, rows)));
          count += rows.length;
        }
        return { seq, count };
      });
      return { spill, ...snap };
    } catch (e) {
      await spill.close();
      throw e;
    }
  }

  async function issuerOf(caKeyId: string) {
    const key = await store.ca.keyById(caKeyId);
    if (!key) return null;
    // The issuer name is the subject of the newest certificate for this key.
    const certs = (await store.ca.certificatesOf(key.ca_id)).filter((c) => c.ca_key_id === caKeyId);
    if (!certs.length) return null;
    return { key, subject: parseCertificate(certs[0].certificate).subject };
  }

  async function sign(caKeyId: string, input: { number: bigint; base: bigint | null; thisUpdate: Date; nextUpdate: Date; entries: EntryBytes }): Promise<SignedCrl> {
    const iss = (await issuerOf(caKeyId))!;
    const alg = iss.key.key_algorithm as KeyAlgorithm;
    const tbs = {
      issuer: iss.subject,
      issuerSpki: iss.key.spki,
      signerAlgorithm: alg,
      thisUpdate: input.thisUpdate,
      nextUpdate: input.nextUpdate,
      crlNumber: input.number,
      ...(input.base !== null ? { deltaBaseCrlNumber: input.base } : { freshestCrlUrls: [deltaUrl(caKeyId)] }),
    };
    return signCrl(await keys.signer(iss.key.key_ref as KeyRef, alg), alg, tbs, input.entries);
  }

  /** Stores a signed CRL: one row when small, else in parts written in one transaction (after signing, house rule 3). */
  async function save(meta: Parameters<CrlRepos["revocation"]["insertCrl"]>[0] & { der?: never }, crl: SignedCrl) {
    if (crl.size <= PART_BYTES) return store.revocation.insertCrl({ ...meta, der: await wholeCrl(crl) });
    await store.transaction(async (tx) => {
      await tx.revocation.insertCrl({ ...meta, size: crl.size });
      let part = 0;
      let n = 0;
      for await (const bytes of crl.parts()) {
        await tx.revocation.insertCrlPart(meta.id, part++, bytes);
        n += bytes.length;
      }
      if (n !== crl.size) throw errors.internal("The CRL's parts do not add up to its size.");
    });
  }

  /** Builds what a key needs now; `force` rebuilds the full CRL regardless. Run under the key's job lock. */
  async function build(caId: string, caKeyId: string, validitySeconds: number, force = false): Promise<CrlBuildResult> {
    if (!(await issuerOf(caKeyId))) return {};
    const now = rt.clock();
    const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + validitySeconds * 1000);
    const latest = await store.revocation.latestCrlInfo(caKeyId);
    const full = await store.revocation.latestCrlInfo(caKeyId, false);
    const seq = await store.revocation.revocationSeq(caId);
    const halfLife = full ? (new Date(full.next_update).getTime() - new Date(full.this_update).getTime()) / 2 : 0;
    const changed = !latest || BigInt(latest.revocation_seq) < BigInt(seq);
    // Many relying parties read only full CRLs, so a change rebuilds the full CRL too — unless
    // it is large (then deltas carry changes and the full CRL follows within FULL_MAX_AGE).
    const fullAge = full ? now.getTime() - new Date(full.this_update).getTime() : Infinity;
    const needFull = force || !full || fullAge >= halfLife || (changed && (full.entries < SMALL_CRL || fullAge >= FULL_MAX_AGE_MS));
    // RFC 5280 §5.2.3: a CA key's CRL numbers only grow. They follow the clock (milliseconds since
    // 1970, as Boulder numbers CRLs by their thisUpdate) and stay above the last one stored, so a
    // server restored from an older backup never reuses a number published after that backup.
    const stored = latest ? BigInt(latest.crl_number) + 1n : 1n;
    const byClock = BigInt(now.getTime());
    let number = byClock > stored ? byClock : stored;
    const result: CrlBuildResult = {};

    let base: Pick<NonNullable<typeof full>, "id" | "crl_number" | "revocation_seq" | "next_update"> | undefined = full;
    if (needFull) {
      const snap = await spillEntries(caId, caKeyId);
      try {
        const crl = await sign(caKeyId, { number, base: null, thisUpdate, nextUpdate, entries: snap.spill });
        const id = rt.uuid();
        await save({ id, caId, caKeyId, crlNumber: number, deltaBase: null, revocationSeq: snap.seq, thisUpdate, nextUpdate, entries: snap.count, size: crl.size }, crl);
        result.full = { number, entries: snap.count };
        // The delta stays relative to the previous full CRL: usable with it and with this one
        // (RFC 5280 §5.2.4: any complete CRL numbered ≥ the base), and it still carries the
        // removeFromCRL of a hold lifted since then.
        base = full ?? { id, crl_number: number.toString(), revocation_seq: snap.seq, next_update: nextUpdate };
      } finally {
        await snap.spill.close();
      }
      number += 1n;
    }
    if (base && (needFull || changed)) {
      // The delta lists what changed since its base: revocations, and holds lifted (removeFromCRL).
      // Streamed like a full CRL: a mass revocation makes a delta as large as one.
      const { spill, seq: snapSeq, count } = await spillEntries(caId, caKeyId, base.revocation_seq);
      const deltaNext = needFull ? nextUpdate : new Date(base.next_update);
      try {
        const crl = await sign(caKeyId, { number, base: BigInt(base.crl_number), thisUpdate, nextUpdate: deltaNext, entries: spill });
        await save({ id: rt.uuid(), caId, caKeyId, crlNumber: number, deltaBase: BigInt(base.crl_number), revocationSeq: snapSeq, thisUpdate, nextUpdate: deltaNext, entries: count, size: crl.size }, crl);
      } finally {
        await spill.close();
      }
      result.delta = { number, base: BigInt(base.crl_number), entries: count };
    }
    return result;
  }

  /** Records a CA's failed build (shared by every server) and reports it; never throws. */
  async function failed(caId: string, e: unknown): Promise<CrlFailure | null> {
    const error = (e instanceof Error ? e.message : String(e)).slice(0, 2000);
    try {
      const now = rt.clock();
      const failingSince = (await store.revocation.recordCrlFailure(caId, error, now)) ?? now;
      const next = await store.revocation.crlNextUpdates(caId);
      const stale = !next.length || next.some((n) => new Date(n.next_update) <= now);
      const f = { caId, error, failingSince, stale };
      await deps.onFailure?.(f);
      return f;
    } catch {
      return null;
    }
  }

  return {
    /**
     * Builds under the key's job lock (one server at a time); null when another server holds it.
     * A failure is recorded on the CA and answered as a conflict naming the cause.
     */
    async publish(caId: string, caKeyId: string, validitySeconds: number, force = false) {
      try {
        const r = await store.withJobLock(`crl:${caKeyId}`, () => build(caId, caKeyId, validitySeconds, force));
        if (r?.full || r?.delta) await store.revocation.recordCrlSuccess(caId, rt.clock());
        return r;
      } catch (e) {
        // A database error stays what it is (503, retried); a CRL that cannot be built is the CA's state.
        if (!isStampError(e) || (e.kind !== "internal" && e.kind !== "bad_request")) throw e;
        await failed(caId, e);
        throw errors.conflict(`The CA's CRL cannot be built: ${e instanceof Error ? e.message : String(e)}`);
      }
    },
    /**
     * One pass over every publishing key: what the scheduled job runs. Each key is built on its
     * own, so one CA that cannot build its CRL never holds back another CA's (issue 14).
     */
    async publishAll() {
      const out: { keyId: string; result: CrlBuildResult | null; error?: string }[] = [];
      const failing = new Map<string, unknown>();
      const built = new Set<string>();
      for (const k of await store.revocation.publishingKeys()) {
        try {
          const result = await store.withJobLock(`crl:${k.keyId}`, () => build(k.caId, k.keyId, k.validity));
          // Only a CRL actually built is news (a failing CA keeps retrying: its CRL stays behind its revocations).
          if (result?.full || result?.delta) built.add(k.caId);
          out.push({ keyId: k.keyId, result });
        } catch (e) {
          if (!failing.has(k.caId)) failing.set(k.caId, e);
          out.push({ keyId: k.keyId, result: null, error: e instanceof Error ? e.message : String(e) });
        }
      }
      // A CA is healthy again only when none of its keys failed in this pass.
      for (const caId of built) if (!failing.has(caId)) await store.revocation.recordCrlSuccess(caId, rt.clock()).catch(() => {});
      const failures: CrlFailure[] = [];
      for (const [caId, e] of failing) {
        const f = await failed(caId, e);
        if (f) failures.push(f);
      }
      return { keys: out, failures };
    },
  };
}

export type CrlPublisher = ReturnType<typeof createCrlPublisher>;
