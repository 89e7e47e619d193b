import { errors } from "../../../errors.js";
import type { ReposOf } from "../../shared-types.js";
import { requireRole } from "../authz.js";
import { audit } from "../audit.js";
import type { CrlFailure, RequestContext, Runtime } from "../context.js";

export type { CrlFailure };

/** What one CRL build produced (null: another server was building). */
export type CrlBuild = { full?: { number: bigint; entries: number }; delta?: { number: bigint; base: bigint; entries: number } } | null;

/** The narrow view of the CRL publisher the RA needs. */
export interface CrlPort {
  publish(caId: string, caKeyId: string, validitySeconds: number, force?: boolean): Promise<CrlBuild>;
}

/** CRL bodies kept per server: a CRL never changes once stored, so its id is the whole cache key. */
const BODY_CACHE_BYTES = 256 * 1024 * 1024;

/**
 * Published CRLs' bodies by id, least recently used first out past BODY_CACHE_BYTES. A body is
 * loaded once however many requests ask for it at the same time (a full CRL of a million
 * entries is 53 MB); which CRL is the latest is always asked of the database.
 */
function bodyCache(load: (id: string) => Promise<Buffer | undefined>) {
  const bodies = new Map<string, Promise<Buffer | undefined>>();
  const sizes = new Map<string, number>();
  let total = 0;
  const drop = (id: string) => {
    bodies.delete(id);
    total -= sizes.get(id) ?? 0;
    sizes.delete(id);
  };
  return (id: string): Promise<Buffer | undefined> => {
    const hit = bodies.get(id);
    if (hit) {
      bodies.delete(id);
      bodies.set(id, hit);
      return hit;
    }
    const p = load(id).then(
      (b) => {
        if (bodies.get(id) !== p) return b; // dropped (or replaced) while loading
        if (!b) drop(id);
        else {
          sizes.set(id, b.length);
          total += b.length;
          for (const old of bodies.keys()) {
            if (total <= BODY_CACHE_BYTES || old === id) break;
            drop(old);
          }
        }
        return b;
      },
      (e) => {
        if (bodies.get(id) === p) drop(id);
        throw e;
      },
    );
    bodies.set(id, p);
    return p;
  };
}

/** The repositories these use cases call. */
export type CrlsRepos = ReposOf<{ ca: "caById" | "certificatesOf" | "keyById"; revocation: "crlBody" | "crlById" | "crlsOf" | "latestCrl" | "publishingKeys"; misc: "audit"; identity: "membership"; }>;
/** The store as these use cases see it. */
export type CrlsStore = CrlsRepos;

/** Serving CRLs: the latest per key (public), and the list per CA (project members). */
export function createCrls(deps: { store: CrlsStore; rt: Runtime; crl: CrlPort; revocationUrl: string }) {
  const { store } = deps;
  const body = bodyCache((id) => store.revocation.crlBody(id));
  const withBody = async <T extends { id: string }>(row: T) => {
    const der = await body(row.id);
    if (!der) throw errors.notFound("CRL", row.id);
    return { ...row, der };
  };
  const api = {
    /** The newest full (or delta) CRL of a CA key, with its DER; the first one is built on demand. */
    async latest(caKeyId: string, delta: boolean) {
      let row = await store.revocation.latestCrl(caKeyId, delta);
      if (!row) {
        const key = await store.ca.keyById(caKeyId);
        const ca = key ? await store.ca.caById(key.ca_id) : undefined;
        if (!key || !ca || ca.status === "pending-certificate") throw errors.notFound("CRL", caKeyId);
        await deps.crl.publish(ca.id, key.id, ca.crl_validity_seconds);
        row = await store.revocation.latestCrl(caKeyId, delta);
        if (!row) throw errors.unavailable("The CRL is being built by another server; try again in a few seconds.");
      }
      return withBody(row);
    },
    /**
     * Infisical's `[{id, crl}]`: the latest full CRL of each key of the CA, as PEM; `id` is the
     * key's CRL id, the one certificates name (…/crl/{id}, …/crl/{id}/der), so it always
     * serves the newest CRL.
     */
    async current(ctx: RequestContext, caId: string) {
      const ca = await store.ca.caById(caId);
      if (!ca) throw errors.notFound("CA", caId);
      await requireRole(store, ctx, ca.project_id, "viewer", { type: "CA", id: caId });
      const base = `${deps.revocationUrl}/api/v1/cert-manager/crl`;
      const keyIds = [...new Set((await store.ca.certificatesOf(caId)).map((c) => c.ca_key_id))];
      const out = [];
      for (const keyId of keyIds) {
        const row = await api.latest(keyId, false);
        out.push({
          id: keyId,
          crl: `-----BEGIN X509 CRL-----\n${row.der.toString("base64").replace(/.{1,64}/g, "$&\n")}-----END X509 CRL-----\n`,
          caKeyId: keyId,
          crlNumber: String(row.crl_number),
          thisUpdate: new Date(row.this_update).toISOString(),
          nextUpdate: new Date(row.next_update).toISOString(),
          entries: row.entries,
          url: `${base}/${keyId}`,
          archiveId: row.id,
        });
      }
      return out;
    },
    /** Infisical's `{crl}` of a CA (project members): the latest full CRL of its active key, PEM, with the same extras as `current`. */
    async ofCa(ctx: RequestContext, caId: string) {
      const all = await api.current(ctx, caId);
      const ca = (await store.ca.caById(caId))!;
      const hit = all.find((c) => c.caKeyId === ca.active_key_id) ?? all[0];
      if (!hit) throw errors.conflict("The CA has no certificate yet, so it publishes no CRL.");
      return hit;
    },
    /** A CA's CRLs, newest first (metadata and download URLs; old CRLs are kept for audit). */
    async list(ctx: RequestContext, caId: string, limit: number) {
      const ca = await store.ca.caById(caId);
      if (!ca) throw errors.notFound("CA", caId);
      await requireRole(store, ctx, ca.project_id, "viewer", { type: "CA", id: caId });
      const base = `${deps.revocationUrl}/api/v1/cert-manager/crl`;
      return (await store.revocation.crlsOf(caId, limit)).map((c) => ({
        id: c.id,
        caKeyId: c.ca_key_id,
        crlNumber: String(c.crl_number),
        deltaCrlBase: c.delta_base === null ? null : String(c.delta_base),
        thisUpdate: new Date(c.this_update).toISOString(),
        nextUpdate: new Date(c.next_update).toISOString(),
        entries: c.entries,
        url: `${base}/${c.ca_key_id}${c.delta_base === null ? "" : "/delta"}`,
        downloadUrl: `${base}/archive/${c.id}`,
      }));
    },
    /** Rebuilds a CA's CRLs now, for every key that publishes (admins); "busy" when another server is at it. */
    async rebuild(ctx: RequestContext, caId: string) {
      const ca = await store.ca.caById(caId);
      if (!ca) throw errors.notFound("CA", caId);
      await requireRole(store, ctx, ca.project_id, "admin", { type: "CA", id: caId });
      const keys = (await store.revocation.publishingKeys()).filter((k) => k.caId === caId);
      if (!keys.length) throw errors.conflict("The CA has no certificate yet, so it publishes no CRL.");
      const results = [];
      for (const k of keys) {
        const r = await deps.crl.publish(caId, k.keyId, k.validity, true);
        results.push({
          caKeyId: k.keyId,
          status: r ? ("built" as const) : ("busy" as const),
          fullCrlNumber: r?.full ? String(r.full.number) : null,
          deltaCrlNumber: r?.delta ? String(r.delta.number) : null,
          entries: r?.full?.entries ?? null,
        });
      }
      await audit(store, deps.rt, ctx, { projectId: ca.project_id, action: "ca.crl.rebuild", objectType: "ca", objectId: caId, outcome: "success", detail: { results } });
      return results;
    },
    /** One archived CRL by id, with its DER (public, like every CRL). */
    async archived(id: string) {
      const row = await store.revocation.crlById(id);
      if (!row) throw errors.notFound("CRL", id);
      return withBody(row);
    },
  };
  return api;
}
