import { errors } from "../../../errors.js";
import { parsePkiMessage } from "../../../pki/scep-cms.js";
import { degenerateSignedData } from "../../../pki/scep-write.js";
import type { ProfileRow } from "../../store/cert.repo.js";
import { audit } from "../audit.js";
import type { RequestContext } from "../context.js";
import { requireProfileAccess } from "../certs/access.js";
import { requireRole } from "../authz.js";
import { handlePkiOperation } from "./operation.js";
import type { ScepDeps, ScepProfile } from "./ports.js";
import { dynamicChallengeHash, newChallengePassword, putScepSettings } from "./settings.js";
import { hashPassword } from "../auth/passwords.js";


const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;


/**
 * SCEP (RFC 8894) on a profile: capabilities, the RA and CA certificates, PKI operations, and
 * the one-time challenges an MDM asks for. Every enrollment ends in the one issue path.
 */
export function createScep(deps: ScepDeps) {
  const { store, rt } = deps.certs;

  /** The profile a SCEP URL names (its id, or a slug that is unique among SCEP profiles); 404 unless SCEP is on. */
  async function resolve(ref: string): Promise<ScepProfile> {
    let profile: ProfileRow | undefined;
    if (UUID.test(ref)) profile = await store.cert.profileById(ref);
    else {
      const all = (await store.scep.profilesBySlug(ref.slice(0, 63))).filter((p) => p.enrollment_methods.includes("scep"));
      if (all.length > 1) throw errors.notFound("SCEP profile", `${ref} (several projects have a SCEP profile with this slug; use the profile's id)`);
      profile = all[0];
    }
    if (!profile || !profile.enrollment_methods.includes("scep") || !profile.ca_id) throw errors.notFound("SCEP profile", ref.slice(0, 80));
    const settings = await store.scep.settings(profile.id);
    if (!settings) throw errors.notFound("SCEP profile", ref.slice(0, 80));
    return { profile: profile as ScepProfile["profile"], settings };
  }

  const raOf = (p: ScepProfile) => deps.ra.forProfile({ id: p.profile.id, slug: p.profile.slug, caId: p.profile.ca_id }, { raLifetimeDays: p.settings.ra_lifetime_days, raRenewBeforeDays: p.settings.ra_renew_before_days });

  return {
    /** GetCACaps (RFC 8894 §3.5.2): only what this server really does. */
    async caps(ref: string): Promise<string> {
      await resolve(ref);
      return ["POSTPKIOperation", "SHA-256", "SHA-512", "AES", "Renewal", "SCEPStandard"].join("\n") + "\n";
    },

    /** GetCACert (RFC 8894 §4.2.1.2): the RA certificate and the CA chain as a degenerate certs-only SignedData. */
    async caCert(ref: string): Promise<Uint8Array> {
      const ra = await raOf(await resolve(ref));
      return degenerateSignedData([ra.current.certificate, ...ra.caChain]);
    },

    /** PKIOperation (RFC 8894 §3.3): a CertRep for every readable request; unreadable ones are bad requests. */
    async pkiOperation(ref: string, message: Uint8Array, sourceIp: string | null): Promise<Uint8Array> {
      // Read and verify first: a message that cannot be read costs no database round trip.
      const msg = parsePkiMessage(message);
      const p = await resolve(ref);
      return handlePkiOperation(deps, p, await raOf(p), msg, sourceIp);
    },

    /** POST /scep/:profile/challenge: a one-time challenge for one enrollment, for a member of the profile's project. */
    async newChallenge(ctx: RequestContext, ref: string) {
      if (!ctx.principal) throw errors.unauthenticated();
      const p = await resolve(ref);
      await requireProfileAccess(store, ctx, p.profile, { type: "Certificate profile", id: p.profile.id });
      const now = rt.clock();
      if ((await store.scep.pendingChallenges(p.profile.id, now)) >= p.settings.max_pending_challenges) {
        throw errors.rateLimited(`Profile ${p.profile.slug} already has ${p.settings.max_pending_challenges} unused SCEP challenges (its maxPendingChallenges); use or let some expire first.`, 60);
      }
      const challenge = newChallengePassword(rt.random);
      const expiresAt = new Date(now.getTime() + p.settings.challenge_ttl_seconds * 1000);
      const id = rt.uuid();
      await store.transaction(async (tx) => {
        await tx.scep.insertChallenge({ id, profileId: p.profile.id, hash: dynamicChallengeHash(challenge), createdBy: `${ctx.principal!.type}:${ctx.principal!.id}`, expiresAt });
        await audit(tx, rt, ctx, { projectId: p.profile.project_id, action: "scep.challenge.create", objectType: "certificate-profile", objectId: p.profile.id, outcome: "success", detail: { challengeId: id, expiresAt: expiresAt.toISOString() } });
      });
      return { challenge, expiresAt: expiresAt.toISOString() };
    },

    /** Sets a new random static challenge password on a SCEP profile (admins); the answer is the only time it is shown. */
    async rotateChallengePassword(ctx: RequestContext, profileId: string) {
      const profile = await store.cert.profileById(profileId);
      if (!profile) throw errors.notFound("Certificate profile", profileId);
      await requireRole(store, ctx, profile.project_id, "admin", { type: "Certificate profile", id: profileId });
      if (!profile.enrollment_methods.includes("scep")) throw errors.conflict(`Profile ${profile.slug} does not allow SCEP enrollment; add "scep" to its enrollmentMethods first.`);
      const challengePassword = newChallengePassword(rt.random);
      const hash = await hashPassword(challengePassword);
      await store.transaction(async (tx) => {
        await putScepSettings(tx, profile.id, undefined, hash);
        await audit(tx, rt, ctx, { projectId: profile.project_id, action: "scep.challenge-password.rotate", objectType: "certificate-profile", objectId: profile.id, outcome: "success", detail: {} });
      });
      return { challengePassword };
    },
  };
}

export type Scep = ReturnType<typeof createScep>;
