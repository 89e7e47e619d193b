import { errors } from "../../errors.js";
import type { ReposOf, Transactional } from "../shared-types.js";
import { audit } from "./audit.js";
import { hashPassword } from "./auth/passwords.js";
import { passwordViolations } from "./auth/password-rules.js";
import type { TokenClaims } from "./auth/tokens.js";
import { requirePrincipal, requireServerAdmin } from "./authz.js";
import type { RequestContext, Runtime } from "./context.js";

// pg_advisory_xact_lock key: two servers starting on an empty database bootstrap once.
const BOOTSTRAP_LOCK = 0x53544231;

/** The repositories these use cases call. */
export type UsersRepos = ReposOf<{ identity: "bumpUserGeneration" | "userByEmail" | "userById" | "userForToken" | "countUsers" | "insertProject" | "insertUser" | "takeInvitations" | "upsertMembership"; misc: "xactLock" | "audit"; }>;
/** The store as these use cases see it. */
export type UsersStore = UsersRepos & Transactional<UsersRepos>;

/** Users: created by server admins; the first one at bootstrap. */
export function createUsers(deps: { store: UsersStore; rt: Runtime }) {
  const { store, rt } = deps;
  return {
    /** Creates a user (server admins only). */
    async create(ctx: RequestContext, input: { email: string; password: string; isServerAdmin?: boolean }) {
      requireServerAdmin(ctx, "Only a server admin can create users.", { objectType: "user", objectId: null });
      const email = input.email.trim().toLowerCase();
      const weak = passwordViolations(email, input.password);
      if (weak.length) throw errors.validation("The password is too easy to guess.", weak);
      if (await store.identity.userByEmail(email)) throw errors.conflict("A user with this email already exists.", [{ field: "email", code: "duplicate", message: "A user with this email already exists.", value: email }]);
      const id = rt.uuid();
      const hash = await hashPassword(input.password);
      await store.transaction(async (tx) => {
        await tx.identity.insertUser({ id, email, passwordHash: hash, isServerAdmin: input.isServerAdmin ?? false });
        await audit(tx, rt, ctx, { projectId: null, action: "user.create", objectType: "user", objectId: id, outcome: "success", detail: { email } });
        // Project admins may have added this email before the account existed: those
        // invitations become memberships now, keeping their ids.
        for (const inv of await tx.identity.takeInvitations(email)) {
          await tx.identity.upsertMembership({ id: inv.id, projectId: inv.project_id, type: "user", principalId: id, role: inv.role, profiles: inv.profiles, canReadPrivateKeys: inv.can_read_private_keys, createdAt: inv.created_at });
          await audit(tx, rt, ctx, { projectId: inv.project_id, action: "membership.activate", objectType: "membership", objectId: inv.id, outcome: "success", detail: { email, role: inv.role } });
        }
      });
      return { id, email, isServerAdmin: input.isServerAdmin ?? false };
    },
    /** Ends every access token of a user at once, on every server (server admins: a lost laptop, a leaver). */
    async revokeTokens(ctx: RequestContext, userId: string) {
      const p = requirePrincipal(ctx);
      if (!p.isServerAdmin) throw errors.forbidden("Only a server admin can revoke another user's tokens; to end your own sessions, POST /api/v1/auth/logout with allSessions: true.");
      if (!(await store.identity.userById(userId))) throw errors.notFound("User", userId);
      await store.identity.bumpUserGeneration(userId);
      await audit(store, rt, ctx, { projectId: null, action: "user.tokens.revoke", objectType: "user", objectId: userId, outcome: "success" });
    },
    /** The caller's own account. */
    async me(ctx: RequestContext) {
      const p = requirePrincipal(ctx);
      return { type: p.type, id: p.id, label: p.label, isServerAdmin: p.isServerAdmin };
    },
    /** Resolves the principal behind a user token: null when the user is gone or the token was revoked (one query). */
    async principal(claims: TokenClaims) {
      const u = await store.identity.userForToken(claims.sub, claims.jti);
      if (!u || u.token_revoked || (claims.gen ?? 0) !== u.token_generation) return null;
      return { type: "user" as const, id: u.id, label: u.email, isServerAdmin: u.is_server_admin };
    },
    /**
     * First start: creates the first admin and the `default` project, once. Returns null when
     * users already exist (another server may have won the race).
     */
    async bootstrap(email: string, password: string) {
      const weak = passwordViolations(email, password, "STAMP_BOOTSTRAP_PASSWORD");
      if (weak.length) throw errors.validation(weak.map((v) => v.message).join(" "), weak);
      const hash = await hashPassword(password);
      return store.transaction(async (tx) => {
        await tx.misc.xactLock(BOOTSTRAP_LOCK);
        if ((await tx.identity.countUsers()) > 0) return null;
        const id = rt.uuid();
        await tx.identity.insertUser({ id, email: email.trim().toLowerCase(), passwordHash: hash, isServerAdmin: true });
        const project = await tx.identity.insertProject({ id: rt.uuid(), name: "default" });
        await tx.identity.upsertMembership({ id: rt.uuid(), projectId: project.id, type: "user", principalId: id, role: "admin", profiles: null });
        const ctx = { principal: { type: "user" as const, id, label: email, isServerAdmin: true }, sourceIp: null };
        await audit(tx, rt, ctx, { projectId: project.id, action: "server.bootstrap", objectType: "user", objectId: id, outcome: "success", detail: { email } });
        return { userId: id, projectId: project.id };
      });
    },
  };
}
