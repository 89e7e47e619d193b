import { errors, isStampError } from "../../errors.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { assembleCrl, buildCrlTbs, encodeCrlEntry } from "../../pki/crl.js";
import { REMOVE_FROM_CRL, reasonCode } from "../../pki/revocation-reasons.js";
import type { Keys, KeyRef } from "../keys/index.js";
import type { CrlFailure, Runtime } from "../ra/context.js";
import type { RevokedRow } from "../store/revocation.repo.js";
import type { Store } from "../store/store.js";

/** Rows read per query while streaming a CRL's entries: bounded memory at any size. */
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

/** One entry; a stored row the CRL cannot hold (e.g. written before the API checked it) fails only its own CA's CRL, with a message naming it. */
function entryOf(r: RevokedRow): Uint8Array {
  try {
    return encodeEntry(r);
  } catch (e) {
    if (!isStampError(e)) throw e;
    const why = e.violations.map((v) => v.message).join(" ") || e.message;
    throw errors.internal(`The revocation of serial ${r.serial} cannot be written into a CRL: ${why}`, e);
  }
}

function encodeEntry(r: RevokedRow): Uint8Array {
  if (r.status !== "revoked") {
    // A lifted certificateHold (RFC 5280 §5.3.1 removeFromCRL), only ever in a delta CRL.
    return encodeCrlEntry({ serialHex: r.serial, revokedAt: new Date(r.hold_released_at ?? 0), reasonCode: REMOVE_FROM_CRL });
  }
  return encodeCrlEntry({
    serialHex: r.serial,
    revokedAt: new Date(r.revoked_at!),
    reasonCode: reasonCode(r.revocation_reason),
    invalidityDate: r.invalidity_date ? new Date(r.invalidity_date) : undefined,
  });
}

/** Encodes a batch of rows into one buffer (the entries back to back). */
function encodeBatch(rows: RevokedRow[]): Uint8Array {
  const entries = rows.map(entryOf);
  let n = 0;
  for (const e of entries) n += e.length;
  const out = new Uint8Array(n);
  let p = 0;
  for (const e of entries) {
    out.set(e, p);
    p += e.length;
  }
  return out;
}

/**
 * CRLs: one stream per CA key (RFC 5280 §5.2.3 numbers shared by its full and delta CRLs).
 * A full CRL is rebuilt when none exists, the newest is past half its validity, or revocations
 * changed (see SMALL_CRL); a delta CRL (§5.2.4) accompanies every full CRL and every change. Entries are read in one snapshot,
 * keyset-paginated and encoded as they come, so a million entries cost their bytes only.
 */
export function createCrlPublisher(deps: { store: Store; keys: Keys; rt: Runtime; revocationUrl: string; onFailure?: (f: CrlFailure) => void | Promise<void> }) {
  const { store, keys, rt } = deps;
  const deltaUrl = (keyId: string) => `${deps.revocationUrl}/api/v1/cert-manager/crl/${keyId}/delta`;

  async function issuerOf(caKeyId: string) {
    const key = await store.ca.keyById(caKeyId);
    if (!key) return null;
    // The issuer name is the subject of the newest certificate for this key.
    const certs = (await store.ca.certificatesOf(key.ca_id)).filter((c) => c.ca_key_id === caKeyId);
    if (!certs.length) return null;
    return { key, subject: parseCertificate(certs[0].certificate).subject };
  }

  async function sign(caKeyId: string, input: { number: bigint; base: bigint | null; thisUpdate: Date; nextUpdate: Date; chunks: Uint8Array[]; bytes: number }) {
    const iss = (await issuerOf(caKeyId))!;
    const alg = iss.key.key_algorithm as KeyAlgorithm;
    const tbs = buildCrlTbs(
      {
        issuer: iss.subject,
        issuerSpki: iss.key.spki,
        signerAlgorithm: alg,
        thisUpdate: input.thisUpdate,
        nextUpdate: input.nextUpdate,
        crlNumber: input.number,
        ...(input.base !== null ? { deltaBaseCrlNumber: input.base } : { freshestCrlUrls: [deltaUrl(caKeyId)] }),
      },
      input.chunks,
      input.bytes,
    );
    const signer = await keys.signer(iss.key.key_ref as KeyRef, alg);
    return assembleCrl(tbs, alg, await signer.sign(tbs));
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
      // One snapshot: the sequence number and the entries agree.
      const snap = await store.snapshot(async (tx) => {
        const s = await tx.revocation.revocationSeq(caId);
        // One chunk per batch, not one object per entry: a million entries are ~100 buffers.
        const chunks: Uint8Array[] = [];
        let bytes = 0;
        let count = 0;
        let after = "";
        for (;;) {
          const rows = await tx.revocation.revokedBatch(caKeyId, after, BATCH);
          const chunk = encodeBatch(rows);
          if (chunk.length) chunks.push(chunk);
          bytes += chunk.length;
          count += rows.length;
          if (rows.length < BATCH) break;
          after = rows[rows.length - 1].serial;
        }
        return { seq: s, chunks, bytes, count };
      });
      const der = await sign(caKeyId, { number, base: null, thisUpdate, nextUpdate, chunks: snap.chunks, bytes: snap.bytes });
      const id = rt.uuid();
      await store.revocation.insertCrl({ id, caId, caKeyId, crlNumber: number, deltaBase: null, revocationSeq: snap.seq, thisUpdate, nextUpdate, entries: snap.count, der });
      result.full = { number, entries: snap.count };
      // The delta stays relative to the previous full CRL: usable with it and with this one
      // (RFC 5280 §5.2.4: any complete CRL numbered ≥ the base), and it still carries the
      // removeFromCRL of a hold lifted since then.
      base = full ?? { id, crl_number: number.toString(), revocation_seq: snap.seq, next_update: nextUpdate };
      number += 1n;
    }
    if (base && (needFull || changed)) {
      // The delta lists what changed since its base: revocations, and holds lifted (removeFromCRL).
      const snap = await store.snapshot(async (tx) => ({ seq: await tx.revocation.revocationSeq(caId), rows: await tx.revocation.changedSince(caKeyId, base!.revocation_seq) }));
      const chunks = snap.rows.map(entryOf);
      const deltaNext = needFull ? nextUpdate : new Date(base.next_update);
      const der = await sign(caKeyId, { number, base: BigInt(base.crl_number), thisUpdate, nextUpdate: deltaNext, chunks, bytes: chunks.reduce((n, c) => n + c.length, 0) });
      await store.revocation.insertCrl({ id: rt.uuid(), caId, caKeyId, crlNumber: number, deltaBase: BigInt(base.crl_number), revocationSeq: snap.seq, thisUpdate, nextUpdate: deltaNext, entries: chunks.length, der });
      result.delta = { number, base: BigInt(base.crl_number), entries: chunks.length };
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
