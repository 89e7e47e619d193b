import { errors, type Violation } from "../../../errors.js";
import { audit } from "../audit.js";
import { requirePrincipal } from "../authz.js";
import type { RequestContext } from "../context.js";
import { admit, type LoginDeps } from "./login.js";
import { hashPassword, verifyPassword } from "./passwords.js";
import { passwordViolations } from "./password-rules.js";

/**
 * Ending sessions. Access tokens are verified without the database, so revocation is checked
 * where the auth hook already loads the principal (one query): a per-principal generation
 * ends every token at once, and a revoked-token row ends one. Both live in the shared
 * database, so a token logged out on one server stops working on all of them.
 */
export function createSessions(deps: LoginDeps) {
  const { repos, rt } = deps;
  return {
    /** POST /api/v1/auth/logout: revokes the caller's token, or with `allSessions` every token it holds. */
    async logout(ctx: RequestContext, input: { allSessions?: boolean }) {
      const p = requirePrincipal(ctx);
      const projectId = p.type === "identity" ? ((await repos.identity.identityById(p.id))?.project_id ?? null) : null;
      if (input.allSessions) {
        if (p.type === "user") await repos.identity.bumpUserGeneration(p.id);
        else await repos.identity.bumpIdentityGeneration(p.id);
      } else if (ctx.token) {
        await repos.identity.revokeToken(ctx.token.id, new Date(ctx.token.expiresAt * 1000), rt.clock());
      }
      await audit(repos, rt, ctx, { projectId, action: "auth.logout", objectType: p.type, objectId: p.id, outcome: "success", detail: { allSessions: input.allSessions ?? false } });
    },

    /**
     * POST /api/v1/auth/password: changes the caller's password and ends every other session
     * (all earlier tokens); returns a fresh token for the caller.
     */
    async changePassword(ctx: RequestContext, input: { currentPassword: string; newPassword: string }) {
      const p = requirePrincipal(ctx);
      if (p.type !== "user") throw errors.forbidden("Machine identities have client secrets, not passwords: create a new client secret and revoke the old one.");
      const user = await repos.identity.userById(p.id);
      if (!user) throw errors.unauthenticated();
      // A stolen token must not become a way to guess the password: same limits as login.
      const succeeded = await admit(deps, ctx, "login", user.email, { projectId: null, objectType: "user" });
      const violations: Violation[] = [];
      if (await verifyPassword(user.password_hash, input.currentPassword)) await succeeded();
      else violations.push({ field: "currentPassword", code: "incorrect", message: "The current password is wrong." });
      violations.push(...passwordViolations(user.email, input.newPassword, "newPassword"));
      if (input.newPassword === input.currentPassword) violations.push({ field: "newPassword", code: "unchanged", message: "The new password must differ from the current one." });
      if (violations.length) {
        await audit(repos, rt, ctx, { projectId: null, action: "user.password.change", objectType: "user", objectId: user.id, outcome: "denied", detail: { codes: violations.map((v) => v.code) } });
        throw errors.validation("The password was not changed.", violations);
      }
      const gen = await repos.identity.bumpUserGeneration(user.id, await hashPassword(input.newPassword));
      await audit(repos, rt, ctx, { projectId: null, action: "user.password.change", objectType: "user", objectId: user.id, outcome: "success" });
      return { ...deps.tokens.issue("user", user.id, deps.userTokenTtl, { gen }), tokenType: "Bearer" as const };
    },
  };
}
