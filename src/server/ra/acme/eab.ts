import { errors } from "../../../errors.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import { eabAad, type AcmeDeps } from "./deps.js";

/** External Account Binding keys of a profile (admins): created, listed, revoked. */
export function acmeEab(deps: AcmeDeps) {
  const { store, rt } = deps;
  async function profileFor(ctx: RequestContext, profileId: string) {
    const p = await store.cert.profileById(profileId);
    if (!p) throw errors.notFound("Certificate profile", profileId);
    await requireRole(store, ctx, p.project_id, "admin", { type: "Certificate profile", id: profileId });
    if (!p.enrollment_methods.includes("acme")) throw errors.conflict(`Profile ${p.slug} does not enable ACME; add "acme" to its enrollmentMethods first.`);
    return p;
  }
  const view = (e: { key_id: string; description: string; created_at: Date; revoked_at: Date | null; account_id: string | null }) => ({
    keyId: e.key_id,
    description: e.description,
    createdAt: new Date(e.created_at).toISOString(),
    revokedAt: e.revoked_at ? new Date(e.revoked_at).toISOString() : null,
    accountId: e.account_id,
  });
  return {
    /** Creates a key id and HMAC key; the HMAC key is shown this once. */
    async create(ctx: RequestContext, profileId: string, description: string) {
      const p = await profileFor(ctx, profileId);
      const keyId = `stamp_${rt.random(12).toString("base64url")}`;
      const hmac = rt.random(32);
      await store.transaction(async (tx) => {
        await tx.acme.insertEab({ keyId, profileId, hmacSealed: deps.secrets.seal(hmac, eabAad(keyId)), description });
        await audit(tx, rt, ctx, { projectId: p.project_id, action: "acme.eab.create", objectType: "certificate-profile", objectId: profileId, outcome: "success", detail: { keyId } });
      });
      const directoryUrl = `${deps.publicUrl}/api/v1/cert-manager/acme/profiles/${profileId}/directory`;
      return { hmacKey: hmac.toString("base64url"), directoryUrl, ...view({ key_id: keyId, description, created_at: rt.clock(), revoked_at: null, account_id: null }) };
    },
    /** The profile's keys (never the HMAC keys). */
    async list(ctx: RequestContext, profileId: string) {
      await profileFor(ctx, profileId);
      return (await store.acme.eabsOf(profileId)).map(view);
    },
    /** Revokes a key: it binds no new account (an account already bound keeps working). */
    async revoke(ctx: RequestContext, profileId: string, keyId: string) {
      const p = await profileFor(ctx, profileId);
      if (!(await store.acme.revokeEab(profileId, keyId, rt.clock()))) throw errors.notFound("EAB key", keyId);
      await audit(store, rt, ctx, { projectId: p.project_id, action: "acme.eab.revoke", objectType: "certificate-profile", objectId: profileId, outcome: "success", detail: { keyId } });
      return view((await store.acme.eabByKeyId(keyId))!);
    },
  };
}
