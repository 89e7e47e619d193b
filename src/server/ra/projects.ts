import { errors } from "../../errors.js";
import type { ReposOf, Transactional } from "../shared-types.js";
import type { Role } from "../store/schema.js";
import type { Repos } from "../store/store.js";
import { audit } from "./audit.js";
import { requirePrincipal, requireRole } from "./authz.js";
import type { RequestContext, Runtime } from "./context.js";

type MembershipRow = Awaited<ReturnType<Repos["identity"]["membershipsOf"]>>[number];

type InvitationRow = Awaited<ReturnType<Repos["identity"]["invitationsOf"]>>[number];

/**
 * A membership as project admins see it. Users are named by email only, never by account id,
 * and an invitation (an email no account has yet) looks exactly like a membership: a project
 * admin cannot learn from this whether an account exists.
 */
function membershipView(m: MembershipRow | (InvitationRow & { principal_type: "user" })) {
  const isIdentity = m.principal_type === "identity";
  return {
    id: m.id,
    principalType: m.principal_type,
    principalId: isIdentity ? (m as MembershipRow).principal_id : undefined,
    email: m.email ?? undefined,
    identityName: isIdentity ? ((m as MembershipRow).name ?? undefined) : undefined,
    role: m.role,
    profiles: m.profiles,
    canReadPrivateKeys: m.can_read_private_keys,
    createdAt: new Date(m.created_at).toISOString(),
  };
}

/** Active and invited admins: an invited admin counts, so the answer never depends on whether the account exists. */
async function adminCount(tx: ProjectsRepos, projectId: string) {
  return (await tx.identity.countAdmins(projectId)) + (await tx.identity.countInvitedAdmins(projectId));
}

const LAST_ADMIN = "A project needs at least one admin; make someone else admin first.";

/** The repositories these use cases call. */
export type ProjectsRepos = ReposOf<{ identity: "identityById" | "invitationsOf" | "membership" | "membershipsOf" | "projectById" | "projectsOf" | "userByEmail" | "countAdmins" | "countInvitedAdmins" | "deleteInvitation" | "deleteMembership" | "insertProject" | "invitation" | "invitationById" | "upsertInvitation" | "upsertMembership" | "membershipById"; misc: "audit"; }>;
/** The store as these use cases see it. */
export type ProjectsStore = ProjectsRepos & Transactional<ProjectsRepos>;

/** Projects (the tenancy boundary) and their memberships. */
export function createProjects(deps: { store: ProjectsStore; rt: Runtime; projectCreation: "admins" | "users" }) {
  const { store, rt } = deps;
  const view = (p: { id: string; name: string; created_at: Date }, role?: Role) => ({ id: p.id, name: p.name, createdAt: new Date(p.created_at).toISOString(), role });

  return {
    /** Creates a project owned (admin) by the caller. */
    async create(ctx: RequestContext, name: string) {
      const p = requirePrincipal(ctx);
      if (p.type === "identity") throw errors.forbidden("Machine identities cannot create projects; a user creates the project and adds the identity to it.");
      if (deps.projectCreation === "admins" && !p.isServerAdmin) {
        throw errors.forbidden(
          "Only server admins can create projects on this server. Ask a server admin to create the project and add you as its admin, or ask the operator to start Stamp with --project-creation users (STAMP_PROJECT_CREATION=users) so every user may create projects.",
        );
      }
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
    /** Memberships of a project, invitations included (admins only: it lists who can do what). */
    async listMembers(ctx: RequestContext, projectId: string) {
      await requireRole(store, ctx, projectId, "admin", { type: "Project", id: projectId });
      const active = await store.identity.membershipsOf(projectId);
      const invited = (await store.identity.invitationsOf(projectId)).map((i) => ({ ...i, principal_type: "user" as const }));
      return [...active, ...invited].sort((x, y) => new Date(x.created_at).getTime() - new Date(y.created_at).getTime()).map(membershipView);
    },
    /**
     * Adds (or changes) a user's or a machine identity's membership. A user is added by email,
     * whether or not an account has it yet: an unknown email becomes an invitation that turns
     * into a membership when a server admin creates that user. Both answer the same.
     */
    async addMember(ctx: RequestContext, projectId: string, input: { email?: string; identityId?: string; role: Role; profiles?: string[] | null; canReadPrivateKeys?: boolean }) {
      await requireRole(store, ctx, projectId, "admin", { type: "Project", id: projectId });
      type Existing = { role: Role; profiles: string[] | null; can_read_private_keys: boolean } | undefined;
      // Changing a membership keeps what the body leaves out (profiles, canReadPrivateKeys): PATCH-like.
      const grantOver = (existing: Existing) => ({
        role: input.role,
        profiles: input.profiles !== undefined ? input.profiles : (existing?.profiles ?? null),
        canReadPrivateKeys: input.canReadPrivateKeys ?? existing?.can_read_private_keys ?? false,
      });
      const keepAdmin = async (tx: ProjectsRepos, existing: Existing) => {
        if (existing?.role === "admin" && input.role !== "admin" && (await adminCount(tx, projectId)) <= 1) throw errors.conflict(LAST_ADMIN);
        return grantOver(existing);
      };
      if (input.email) {
        const email = input.email.trim().toLowerCase();
        const user = await store.identity.userByEmail(email);
        const row = await store.transaction(async (tx) => {
          const grant = await keepAdmin(tx, user ? await tx.identity.membership(projectId, "user", user.id) : await tx.identity.invitation(projectId, email));
          const m = user
            ? await tx.identity.upsertMembership({ id: rt.uuid(), projectId, type: "user", principalId: user.id, ...grant })
            : await tx.identity.upsertInvitation({ id: rt.uuid(), projectId, email, ...grant });
          // The audit log is readable by project admins: name the user by email, as the API does.
          await audit(tx, rt, ctx, { projectId, action: "membership.upsert", objectType: "membership", objectId: m.id, outcome: "success", detail: { principalType: "user", email, ...grant } });
          return m;
        });
        return membershipView({ ...row, email, principal_type: "user" } as InvitationRow & { principal_type: "user" });
      }
      const i = input.identityId ? await store.identity.identityById(input.identityId) : undefined;
      // An identity owned by a project the caller does not administer is invisible to it.
      const owner = i ? await store.identity.membership(i.project_id, requirePrincipal(ctx).type, requirePrincipal(ctx).id) : undefined;
      if (!i || !owner || owner.role !== "admin") throw errors.validation("No such machine identity.", [{ field: "identityId", code: "unknown_identity", message: "No machine identity with this id in a project you administer.", value: input.identityId }]);
      const row = await store.transaction(async (tx) => {
        const grant = await keepAdmin(tx, await tx.identity.membership(projectId, "identity", i.id));
        const m = await tx.identity.upsertMembership({ id: rt.uuid(), projectId, type: "identity", principalId: i.id, ...grant });
        await audit(tx, rt, ctx, { projectId, action: "membership.upsert", objectType: "membership", objectId: m.id, outcome: "success", detail: { principalType: "identity", principalId: i.id, ...grant } });
        return m;
      });
      return membershipView({ ...row, email: null, name: i.name } as MembershipRow);
    },
    /** Removes a membership or an invitation (never the last admin). */
    async removeMember(ctx: RequestContext, projectId: string, membershipId: string) {
      await requireRole(store, ctx, projectId, "admin", { type: "Project", id: projectId });
      await store.transaction(async (tx) => {
        const m = (await tx.identity.membershipById(projectId, membershipId)) ?? (await tx.identity.invitationById(projectId, membershipId));
        if (!m) throw errors.notFound("Membership", membershipId);
        if (m.role === "admin" && (await adminCount(tx, projectId)) <= 1) throw errors.conflict(LAST_ADMIN);
        if ("principal_id" in m) await tx.identity.deleteMembership(projectId, membershipId);
        else await tx.identity.deleteInvitation(projectId, membershipId);
        await audit(tx, rt, ctx, { projectId, action: "membership.delete", objectType: "membership", objectId: membershipId, outcome: "success" });
      });
    },
  };
}
