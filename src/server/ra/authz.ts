import { errors } from "../../errors.js";
import type { Role } from "../store/schema.js";
import type { Repos } from "../store/store.js";
import type { Principal, RequestContext } from "./context.js";

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2 };

/** What the authorization checks read: a principal's membership of a project. */
export interface MembershipReader {
  identity: Pick<Repos["identity"], "membership">;
}

/** What a project member is allowed, resolved from the membership. */
export interface ProjectAccess {
  projectId: string;
  role: Role;
  /** Profile ids or slugs the membership is narrowed to; null = every profile. */
  profiles: string[] | null;
}

/** The caller if a server admin; anyone else gets 403 (audited in the server-wide log). */
export function requireServerAdmin(ctx: RequestContext, message: string, object: { objectType: string; objectId: string | null }): Principal {
  const p = requirePrincipal(ctx);
  if (!p.isServerAdmin) throw errors.forbidden(message, { projectId: null, ...object, detail: { need: "server admin" } });
  return p;
}

/** The caller, or 401. */
export function requirePrincipal(ctx: RequestContext): Principal {
  if (!ctx.principal) throw errors.unauthenticated();
  return ctx.principal;
}

/** The audit log's name for an object type ("Certificate profile" → "certificate-profile"). */
export function auditType(type: string): string {
  return type.toLowerCase().replace(/^machine /, "").replace(/\s+/g, "-");
}

/**
 * Checks that the caller holds at least `need` in the project. A non-member gets the same
 * 404 as for a project that does not exist (house rule 6); a member below the role gets 403.
 * `what` names the object for the 404 message. Both refusals are audited (docs/security.md):
 * a member's in the project's log, a non-member's in the server-wide log only, so that no
 * outsider can write into a project's log.
 */
export async function requireRole(
  repos: MembershipReader,
  ctx: RequestContext,
  projectId: string,
  need: Role,
  what: { type: string; id: string },
): Promise<ProjectAccess> {
  const p = requirePrincipal(ctx);
  const m = await repos.identity.membership(projectId, p.type, p.id);
  const object = { objectType: auditType(what.type), objectId: what.id };
  if (!m) throw errors.notFound(what.type, what.id, { projectId: null, ...object, detail: { projectId, reason: "not a member of the project" } });
  if (RANK[m.role] < RANK[need]) {
    throw errors.forbidden(`This needs the ${need} role in the project; you are ${m.role === "admin" ? "an" : "a"} ${m.role}.`, { projectId, ...object, detail: { need, role: m.role } });
  }
  return { projectId, role: m.role, profiles: m.profiles };
}
