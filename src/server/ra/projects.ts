import { errors } from "../../errors.js";
import type { Role } from "../store/schema.js";
import type { Repos, Store } from "../store/store.js";
import { audit } from "./audit.js";
import { requirePrincipal, requireRole } from "./authz.js";
import type { RequestContext, Runtime } from "./context.js";

type MembershipRow = Awaited<ReturnType<Repos["identity"]["membershipsOf"]>>[number];

function membershipView(m: MembershipRow) {
  return {
    id: m.id,
    principalType: m.principal_type,
    principalId: m.principal_id,
    email: m.email ?? undefined,
    identityName: m.name ?? undefined,
    role: m.role,
    profiles: m.profiles,
    canReadPrivateKeys: m.can_read_private_keys,
    createdAt: new Date(m.created_at).toISOString(),
  };
}

/** Projects (the tenancy boundary) and their memberships. */
export function createProjects(deps: { store: Store; rt: Runtime }) {
  const { store, rt } = deps;
  const view = (p: { id: string; name: string; created_at: Date }, role?: Role) => ({ id: p.id, name: p.name, createdAt: new Date(p.created_at).toISOString(), role });

  return {
    /** Creates a project owned (admin) by the caller. */
    async create(ctx: RequestContext, name: string) {
      const p = requirePrincipal(ctx);
      if (p.type === "identity") throw errors.forbidden("Machine identities cannot create projects; a user creates the project and adds the identity to it.");
      const project = await store.transaction(async (tx) => {
        const row = await tx.identity.insertProject({ id: rt.uuid(), name });
        await tx.identity.upsertMembership({ id: rt.uuid(), projectId: row.id, type: p.type, principalId: p.id, role: "admin", profiles: null });
        await audit(tx, rt, ctx, { projectId: row.id, action: "project.create", objectType: "project", objectId: row.id, outcome: "success", detail: { name } });
        return row;
      });
      return view(project, "admin");
    },
    /** The projects the caller belongs to. */
    async list(ctx: RequestContext) {
      const p = requirePrincipal(ctx);
      return (await store.identity.projectsOf(p.type, p.id)).map((r) => view(r, r.role));
    },
    /** One project the caller belongs to. */
    async get(ctx: RequestContext, projectId: string) {
      const access = await requireRole(store, ctx, projectId, "viewer", { type: "Project", id: projectId });
      const row = await store.identity.projectById(projectId);
      if (!row) throw errors.notFound("Project", projectId);
      return view(row, access.role);
    },
    /** Memberships of a project (admins only: it lists who can do what). */
    async listMembers(ctx: RequestContext, projectId: string) {
      await requireRole(store, ctx, projectId, "admin", { type: "Project", id: projectId });
      return (await store.identity.membershipsOf(projectId)).map(membershipView);
    },
    /** Adds (or changes) a user's or a machine identity's membership. */
    async addMember(ctx: RequestContext, projectId: string, input: { email?: string; identityId?: string; role: Role; profiles?: string[] | null; canReadPrivateKeys?: boolean }) {
      await requireRole(store, ctx, projectId, "admin", { type: "Project", id: projectId });
      let type: "user" | "identity";
      let principalId: string;
      let label: { email: string | null; name: string | null };
      if (input.email) {
        const u = await store.identity.userByEmail(input.email.trim().toLowerCase());
        if (!u) throw errors.validation("No user has that email.", [{ field: "email", code: "unknown_user", message: "No user has this email; a server admin creates users with POST /api/v1/users.", value: input.email }]);
        type = "user";
        principalId = u.id;
        label = { email: u.email, name: null };
      } else {
        const i = input.identityId ? await store.identity.identityById(input.identityId) : undefined;
        // An identity owned by a project the caller does not administer is invisible to it.
        const owner = i ? await store.identity.membership(i.project_id, requirePrincipal(ctx).type, requirePrincipal(ctx).id) : undefined;
        if (!i || !owner || owner.role !== "admin") throw errors.validation("No such machine identity.", [{ field: "identityId", code: "unknown_identity", message: "No machine identity with this id in a project you administer.", value: input.identityId }]);
        type = "identity";
        principalId = i.id;
        label = { email: null, name: i.name };
      }
      const row = await store.transaction(async (tx) => {
        const existing = await tx.identity.membership(projectId, type, principalId);
        if (existing?.role === "admin" && input.role !== "admin" && (await tx.identity.countAdmins(projectId)) <= 1) {
          throw errors.conflict("A project needs at least one admin; make someone else admin first.");
        }
        // Changing a membership keeps what the body leaves out (profiles, canReadPrivateKeys).
        const profiles = input.profiles !== undefined ? input.profiles : (existing?.profiles ?? null);
        const canReadPrivateKeys = input.canReadPrivateKeys ?? existing?.can_read_private_keys;
        const m = await tx.identity.upsertMembership({ id: rt.uuid(), projectId, type, principalId, role: input.role, profiles, canReadPrivateKeys });
        await audit(tx, rt, ctx, { projectId, action: "membership.upsert", objectType: "membership", objectId: m.id, outcome: "success", detail: { principalType: type, principalId, role: input.role, profiles, canReadPrivateKeys: canReadPrivateKeys ?? false } });
        return m;
      });
      // The stored email (normalised) or identity name, as the membership list shows them.
      return membershipView({ ...row, ...label } as MembershipRow);
    },
    /** Removes a membership (never the last admin). */
    async removeMember(ctx: RequestContext, projectId: string, membershipId: string) {
      await requireRole(store, ctx, projectId, "admin", { type: "Project", id: projectId });
      await store.transaction(async (tx) => {
        const m = await tx.identity.membershipById(projectId, membershipId);
        if (!m) throw errors.notFound("Membership", membershipId);
        if (m.role === "admin" && (await tx.identity.countAdmins(projectId)) <= 1) throw errors.conflict("A project needs at least one admin; make someone else admin first.");
        await tx.identity.deleteMembership(projectId, membershipId);
        await audit(tx, rt, ctx, { projectId, action: "membership.delete", objectType: "membership", objectId: membershipId, outcome: "success" });
      });
    },
  };
}
