import { errors } from "../../../errors.js";
import type { CertificateRow } from "../../store/cert.repo.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import { requireProfileAccess } from "./access.js";
import type { CertDeps } from "./issue.js";
import { certificateView } from "./view.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A serial number as stored: lowercase hex, no colons, no 0x, no leading 00 octet. */
export function normalizeSerial(s: string): string {
  return s.trim().toLowerCase().replace(/^0x/, "").replace(/:/g, "").replace(/^(00)+(?=..)/, "");
}

/**
 * Finding a certificate the caller may see: by UUID or by thumbprint (SHA-1 or SHA-256 hex of
 * the DER, Infisical's revoke `:id`), or by serial number (the G1 routes). A deleted certificate
 * is gone for reads, but can still be revoked.
 */
export function createCertificateLookup(deps: Pick<CertDeps, "store" | "rt">) {
  const { store, rt } = deps;
  const what = (id: string) => ({ type: "Certificate", id });

  async function find(id: string): Promise<CertificateRow | undefined> {
    if (UUID.test(id)) return store.cert.certificateById(id.toLowerCase());
    const hex = id.replace(/:/g, "").toLowerCase();
    return hex.length === 40 || hex.length === 64 ? store.certInventory.byThumbprint(hex) : undefined;
  }
  /** A certificate the caller may view (viewer in its project). */
  async function load(ctx: RequestContext, id: string, opts: { deleted?: boolean } = {}): Promise<CertificateRow> {
    const c = await find(id);
    if (!c) throw errors.notFound("Certificate", id);
    // The project check first: an outsider's 404 is audited like any other (docs/security.md).
    await requireRole(store, ctx, c.project_id, "viewer", what(id));
    if (c.deleted_at && !opts.deleted) throw errors.notFound("Certificate", id);
    return c;
  }
  return {
    load,
    /** A certificate the caller may act on (member on its profile; admin when it has none). */
    async loadForChange(ctx: RequestContext, id: string, opts: { deleted?: boolean } = {}) {
      const c = await load(ctx, id, opts);
      const profile = c.profile_id ? await store.cert.profileById(c.profile_id) : undefined;
      if (profile) await requireProfileAccess(store, ctx, profile, what(c.id));
      else await requireRole(store, ctx, c.project_id, "admin", what(c.id));
      return { c, profile };
    },
    /** The API view with the profile's and CA's names (cached reads). */
    async view(c: CertificateRow, now = rt.clock()) {
      const [profile, ca] = await Promise.all([c.profile_id ? store.cert.profileById(c.profile_id) : undefined, c.ca_id ? store.ca.caById(c.ca_id) : undefined]);
      return certificateView(c, now, { profileName: profile?.slug ?? null, caName: ca?.name ?? null });
    },
    /** The newest certificate with this serial number (G1 routes); deleted ones too when asked (revoke). */
    async bySerial(ctx: RequestContext, serial: string, opts: { deleted?: boolean } = {}) {
      const c = await store.certInventory.bySerial(normalizeSerial(serial));
      if (!c) throw errors.notFound("Certificate with serial number", serial);
      await requireRole(store, ctx, c.project_id, "viewer", what(c.id));
      if (c.deleted_at && !opts.deleted) throw errors.notFound("Certificate with serial number", serial);
      return c;
    },
  };
}

export type CertificateLookup = ReturnType<typeof createCertificateLookup>;
