import { errors } from "../../../errors.js";
import type { ReposOf } from "../../shared-types.js";
import type { ProfileCertStatus } from "../../store/profile-stats.repo.js";
import { requireRole } from "../authz.js";
import type { RequestContext, Runtime } from "../context.js";
import { EXPIRING_DAYS } from "./profiles.js";
import { metricsView } from "./profile-view.js";

/** A certificate's bundle as the certificates use case serves it (the key only when the caller may read it). */
type Bundle = (ctx: RequestContext, certificateId: string) => Promise<{ certificate: string; certificateChain: string; privateKey?: string | null; serialNumber: string }>;

/** The repositories these use cases call. */
export type ProfileCertificatesRepos = ReposOf<{ cert: "profileById"; profileStats: "counts" | "latestActive" | "page"; identity: "membership"; }>;
/** The store as these use cases see it. */
export type ProfileCertificatesStore = ProfileCertificatesRepos;

/** A profile's certificates (Infisical's per-profile list, metrics and latest active bundle). */
export function createProfileCertificates(deps: { store: ProfileCertificatesStore; rt: Runtime; bundle: Bundle }) {
  const { store, rt } = deps;
  async function load(ctx: RequestContext, id: string) {
    const p = await store.cert.profileById(id);
    if (!p) throw errors.notFound("Certificate profile", id);
    await requireRole(store, ctx, p.project_id, "viewer", { type: "Certificate profile", id });
    return p;
  }
  return {
    /** A page of the profile's certificates, newest first, with how many match and the profile's counts. */
    async list(ctx: RequestContext, profileId: string, q: { offset: number; limit: number; status?: ProfileCertStatus; search?: string }) {
      await load(ctx, profileId);
      const now = rt.clock();
      const [{ rows, total }, counts] = await Promise.all([
        store.profileStats.page(profileId, { ...q, now }),
        store.profileStats.counts([profileId], now, new Date(now.getTime() + EXPIRING_DAYS * 86_400_000)),
      ]);
      return {
        certificates: rows.map((c) => ({
          id: c.id,
          serialNumber: c.serial,
          cn: c.common_name,
          // Infisical's status: a renewed certificate reads active until it expires (renewedByCertificateId says it was renewed).
          status: c.status === "revoked" ? ("revoked" as const) : new Date(c.not_after) <= now ? ("expired" as const) : ("active" as const),
          notBefore: new Date(c.not_before).toISOString(),
          notAfter: new Date(c.not_after).toISOString(),
          revokedAt: c.revoked_at ? new Date(c.revoked_at).toISOString() : null,
          createdAt: new Date(c.created_at).toISOString(),
          commonName: c.common_name,
          altNames: c.alt_names,
          renewedByCertificateId: c.renewed_by_id,
        })),
        totalCount: total,
        metrics: metricsView(counts.get(profileId)),
      };
    },
    /** The newest active certificate with its chain and (when the caller may read it) key; all null when there is none. */
    async latestActiveBundle(ctx: RequestContext, profileId: string) {
      await load(ctx, profileId);
      const hit = await store.profileStats.latestActive(profileId, rt.clock());
      if (!hit) return { certificate: null, certificateChain: null, privateKey: null, serialNumber: null, certificateId: null };
      const b = await deps.bundle(ctx, hit.id);
      return { certificate: b.certificate, certificateChain: b.certificateChain, privateKey: b.privateKey ?? null, serialNumber: b.serialNumber, certificateId: hit.id };
    },
  };
}
