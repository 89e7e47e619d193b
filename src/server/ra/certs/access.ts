import { errors } from "../../../errors.js";
import type { ProfileRow } from "../../store/cert.repo.js";
import { auditType, requireRole, type MembershipReader, type ProjectAccess } from "../authz.js";
import type { RequestContext } from "../context.js";

/**
 * May the caller issue, renew or revoke on this profile? Needs member; a membership narrowed
 * to named profiles (ids or slugs) covers only those.
 */
export async function requireProfileAccess(store: MembershipReader, ctx: RequestContext, profile: Pick<ProfileRow, "id" | "slug" | "project_id">, what: { type: string; id: string }): Promise<ProjectAccess> {
  const access = await requireRole(store, ctx, profile.project_id, "member", what);
  if (access.profiles && !access.profiles.includes(profile.id) && !access.profiles.includes(profile.slug)) {
    throw errors.forbidden(`Your membership is limited to the profiles ${access.profiles.slice(0, 10).join(", ")}; it does not cover profile ${profile.slug}.`, {
      projectId: profile.project_id,
      objectType: auditType(what.type),
      objectId: what.id,
      detail: { profile: profile.slug, reason: "membership limited to other profiles" },
    });
  }
  return access;
}

/** May the caller read private keys in this project? Admins may; others need canReadPrivateKeys. */
export async function requirePrivateKeyAccess(store: MembershipReader, ctx: RequestContext, projectId: string, what: { type: string; id: string }) {
  const access = await requireRole(store, ctx, projectId, "viewer", what);
  if (access.role === "admin") return;
  const p = ctx.principal!;
  const m = await store.identity.membership(projectId, p.type, p.id);
  if (!m?.can_read_private_keys) {
    throw errors.forbidden("Reading private keys needs the admin role or the canReadPrivateKeys permission on your membership.", {
      projectId,
      objectType: auditType(what.type),
      objectId: what.id,
      detail: { need: "canReadPrivateKeys", role: access.role },
    });
  }
}
