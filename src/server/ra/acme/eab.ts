import { errors } from "../../../errors.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import { eabAad, type AcmeDeps } from "./deps.js";

/** The description of the EAB keys GET …/acme/eab-secret/reveal makes and shows again. */
const REVEALED = "eab-secret/reveal";

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
  const api = {
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
    /**
     * Infisical's "reveal EAB secret": the profile's newest key made this way that no account
     * has used yet, or a new one (a Stamp EAB key binds one account). Revealing is audited.
     */
    async reveal(ctx: RequestContext, profileId: string) {
      const p = await profileFor(ctx, profileId);
      const unused = (await store.acme.eabsOf(profileId)).find((e) => e.description === REVEALED && !e.account_id && !e.revoked_at);
      const directoryUrl = `${deps.publicUrl}/api/v1/cert-manager/acme/profiles/${profileId}/directory`;
      if (!unused) {
        const made = await api.create(ctx, profileId, REVEALED);
        return { eabKid: made.keyId, eabSecret: made.hmacKey, directoryUrl };
      }
      await audit(store, rt, ctx, { projectId: p.project_id, action: "acme.eab.reveal", objectType: "certificate-profile", objectId: profileId, outcome: "success", detail: { keyId: unused.key_id } });
      return { eabKid: unused.key_id, eabSecret: Buffer.from(deps.secrets.open(unused.hmac_sealed, eabAad(unused.key_id))).toString("base64url"), directoryUrl };
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
  return api;
}
