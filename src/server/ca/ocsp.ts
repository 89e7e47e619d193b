import { isStampError } from "../../errors.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { assembleOcspResponse, buildResponseData, encodeSingleResponse, issuerHashes, ocspErrorResponse, OCSP_HASHES, parseOcspRequest, responderKeyHash, type OcspCertId, type OcspRequest, type OcspStatus } from "../../pki/ocsp.js";
import { reasonCode } from "../../pki/revocation-reasons.js";
import type { Keys, KeyRef } from "../keys/index.js";
import type { OcspAnswer, ReposOf, Runtime } from "../shared-types.js";
import type { OcspSigners } from "./delegated-certificates.js";

interface IssuerKey {
  keyId: string;
  alg: KeyAlgorithm;
  keyRef: KeyRef;
  /** `${hashOid}:${nameHash hex}:${keyHash hex}` for each supported hash. */
  ids: Set<string>;
}
interface CaIndex {
  loadedAt: number;
  ocspSigner: "delegated" | "ca";
  keys: IssuerKey[];
}
interface Cached {
  der: Uint8Array;
  seq: string;
  refreshAt: number;
  expiresAt: number;
}

const HASH_OIDS = Object.keys(OCSP_HASHES);
const INDEX_TTL_MS = 60_000;
/** How often a server re-reads a CA's revocation sequence (others' revocations reach it this fast). */
const SEQ_TTL_MS = 1_000;
const MAX_CACHED = 200_000;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** What the responder reads: the CA's keys and certificates, and the revocation state. */
export type OcspStore = ReposOf<{ ca: "caById" | "certificatesOf" | "keyById"; revocation: "revocationSeq" | "signedCaCertificate" | "statusOf" }>;

/**
 * The OCSP responder (RFC 6960). Answers without a nonce are signed once and served from memory
 * until half their validity has passed, so a hot responder does no signing; any revocation in
 * the CA (here at once, on other servers within SEQ_TTL_MS) makes its cached answers stale.
 */
export function createOcspResponder(deps: { store: OcspStore; keys: Keys; rt: Runtime; signers: OcspSigners; validitySeconds: number; onError?: (e: unknown) => void }) {
  const { store, keys, rt } = deps;
  const index = new Map<string, CaIndex>();
  const seqs = new Map<string, { seq: string; checkedAt: number }>();
  const cache = new Map<string, Cached>();

  async function caIndex(caId: string): Promise<CaIndex | null> {
    const now = Date.now();
    const hit = index.get(caId);
    if (hit && now - hit.loadedAt < INDEX_TTL_MS) return hit;
    const ca = await store.ca.caById(caId);
    // isOcspEnabled false (issue 15): the responder is not authoritative for this CA (RFC 6960 §2.3).
    if (!ca || ca.status === "pending-certificate" || ca.ocsp_enabled === false) return null;
    const certs = await store.ca.certificatesOf(caId);
    const seen = new Set<string>();
    const out: IssuerKey[] = [];
    for (const c of certs) {
      if (seen.has(c.ca_key_id)) continue;
      seen.add(c.ca_key_id);
      const key = await store.ca.keyById(c.ca_key_id);
      if (!key) continue;
      const subject = parseCertificate(c.certificate).subject;
      const ids = new Set<string>();
      // Every certificate version of a key shares its name hash only if the subject is unchanged; index each.
      for (const v of certs.filter((x) => x.ca_key_id === key.id)) {
        const subj = v === c ? subject : parseCertificate(v.certificate).subject;
        for (const oid of HASH_OIDS) {
          const h = issuerHashes(subj, key.spki, oid);
          ids.add(`${oid}:${hex(h.nameHash)}:${hex(h.keyHash)}`);
        }
      }
      out.push({ keyId: key.id, alg: key.key_algorithm as KeyAlgorithm, keyRef: key.key_ref as KeyRef, ids });
    }
    const value = { loadedAt: now, ocspSigner: ca.ocsp_signer, keys: out };
    index.set(caId, value);
    return value;
  }

  async function currentSeq(caId: string): Promise<string> {
    const now = Date.now();
    const hit = seqs.get(caId);
    if (hit && now - hit.checkedAt < SEQ_TTL_MS) return hit.seq;
    const seq = await store.revocation.revocationSeq(caId);
    seqs.set(caId, { seq, checkedAt: now });
    return seq;
  }

  async function statusOf(caId: string, keyId: string, id: OcspCertId): Promise<OcspStatus> {
    const serial = id.serialHex.toLowerCase();
    const row = await store.revocation.statusOf(keyId, serial);
    if (!row) {
      // A CA certificate this CA signed (an intermediate): its AIA names this responder too (issue 14).
      return (await store.revocation.signedCaCertificate(caId, serial)) ? { kind: "good" } : { kind: "unknown" };
    }
    if (row.status === "revoked") return { kind: "revoked", revokedAt: new Date(row.revoked_at!), reasonCode: reasonCode(row.revocation_reason) };
    return { kind: "good" };
  }

  async function sign(ca: CaIndex, caId: string, req: OcspRequest, matches: IssuerKey[]): Promise<{ der: Uint8Array; thisUpdate: Date; nextUpdate: Date }> {
    const now = rt.clock();
    const thisUpdate = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + deps.validitySeconds * 1000);
    const singles = [];
    for (let i = 0; i < req.certIds.length; i++) {
      singles.push(encodeSingleResponse({ certIdDer: req.certIds[i].der, status: await statusOf(caId, matches[i].keyId, req.certIds[i]), thisUpdate, nextUpdate }));
    }
    // One responder per response: the key of the first CertID (requests name one CA key in practice).
    const issuerKey = matches[0];
    const responder = ca.ocspSigner === "ca" ? { signer: await keys.signer(issuerKey.keyRef, issuerKey.alg), certs: [] as Uint8Array[] } : await deps.signers.delegated(caId, issuerKey.keyId);
    const data = buildResponseData({ responderKeyHash: responderKeyHash(responder.signer.spki), producedAt: thisUpdate, responses: singles, nonce: req.nonce });
    return { der: assembleOcspResponse(data, responder.signer.keyAlgorithm, await responder.signer.sign(data), responder.certs), thisUpdate, nextUpdate };
  }

  return {
    /** Answers one DER OCSP request for CA `caId`; errors become OCSP error statuses, never exceptions. */
    async respond(caId: string, der: Uint8Array): Promise<OcspAnswer> {
      // Hot path: only nonce-less requests that parsed and matched this CA are ever cached, so a
      // hit on the raw bytes (still current for the CA's revocation sequence) skips the parse.
      const cacheKey = `${caId}|${Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("latin1")}`;
      const early = cache.get(cacheKey);
      const known = index.get(caId);
      if (early && known) {
        const now = Date.now();
        // A failing sequence read falls through to the full path, which maps it to an OCSP status.
        const seq = now - known.loadedAt < INDEX_TTL_MS && now < early.refreshAt ? await currentSeq(caId).catch(() => null) : null;
        if (seq !== null && early.seq === seq) return { der: early.der, maxAgeSeconds: Math.max(0, Math.floor((early.expiresAt - now) / 1000)), status: "successful", cached: true };
      }
      let req: OcspRequest;
      try {
        req = parseOcspRequest(der);
      } catch (e) {
        if (isStampError(e)) return { der: ocspErrorResponse("malformedRequest"), maxAgeSeconds: 0, status: "malformedRequest", cached: false };
        throw e;
      }
      try {
        const ca = /^[0-9a-f-]{36}$/i.test(caId) ? await caIndex(caId) : null;
        if (!ca) return { der: ocspErrorResponse("unauthorized"), maxAgeSeconds: 0, status: "unauthorized", cached: false };
        const seq = await currentSeq(caId);
        const cacheable = !req.nonce;
        const now = Date.now();
        // RFC 6960 §2.3: a CertID this CA did not issue under is not ours to answer.
        const matches: IssuerKey[] = [];
        for (const id of req.certIds) {
          const tag = `${id.hashOid}:${hex(id.issuerNameHash)}:${hex(id.issuerKeyHash)}`;
          const k = ca.keys.find((x) => x.ids.has(tag));
          if (!k) return { der: ocspErrorResponse("unauthorized"), maxAgeSeconds: 0, status: "unauthorized", cached: false };
          matches.push(k);
        }
        const signed = await sign(ca, caId, req, matches);
        const expiresAt = signed.nextUpdate.getTime();
        if (cacheable) {
          if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
          cache.set(cacheKey, { der: signed.der, seq, refreshAt: now + ((expiresAt - now) / 2), expiresAt });
        }
        return { der: signed.der, maxAgeSeconds: cacheable ? Math.floor((expiresAt - now) / 2000) : 0, status: "successful", cached: false };
      } catch (e) {
        if (isStampError(e, "unavailable")) return { der: ocspErrorResponse("tryLater"), maxAgeSeconds: 0, status: "tryLater", cached: false };
        deps.onError?.(e);
        return { der: ocspErrorResponse("internalError"), maxAgeSeconds: 0, status: "internalError", cached: false };
      }
    },
    /** Forgets what is known about a CA's revocations (after a revocation on this server). */
    invalidate(caId: string) {
      seqs.delete(caId);
      index.delete(caId);
    },
  };
}

export type OcspResponder = ReturnType<typeof createOcspResponder>;
