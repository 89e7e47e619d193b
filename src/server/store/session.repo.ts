import type { Kysely } from "kysely";
import type { Database, Role } from "./schema.js";

/**
 * Token revocation and membership invitations. Spread into the identity repository: the
 * checks here ride on the one query that already loads a token's principal.
 */
export function sessionRepo(db: Kysely<Database>) {
  return {
    /** A user with whether this token was logged out, in one query (it runs on every request). */
    userForToken: (id: string, tokenId: string) =>
      db
        .selectFrom("users")
        .selectAll()
        .select((eb) => eb.exists(eb.selectFrom("revoked_tokens").select("token_id").where("token_id", "=", tokenId)).as("token_revoked"))
        .where("id", "=", id)
        .executeTakeFirst(),
    /** A machine identity with whether this token was logged out and its client secret is still live, in one query. */
    identityForToken: (id: string, secretId: string, tokenId: string) =>
      db
        .selectFrom("identities")
        .selectAll()
        .select((eb) => [
          eb.exists(eb.selectFrom("revoked_tokens").select("token_id").where("token_id", "=", tokenId)).as("token_revoked"),
          eb
            .exists(eb.selectFrom("identity_client_secrets").select("id").where("id", "=", secretId).whereRef("identity_id", "=", "identities.id").where("revoked_at", "is", null))
            .as("secret_live"),
        ])
        .where("id", "=", id)
        .executeTakeFirst(),
    /** Records a logged-out token until it would have expired; drops rows past their expiry. */
    async revokeToken(tokenId: string, expiresAt: Date, now: Date) {
      await db.insertInto("revoked_tokens").values({ token_id: tokenId, expires_at: expiresAt }).onConflict((oc) => oc.column("token_id").doNothing()).execute();
      await db.deleteFrom("revoked_tokens").where("expires_at", "<", now).execute();
    },
    /** Ends every token a user holds; returns the new generation (for the token issued next). */
    async bumpUserGeneration(id: string, passwordHash?: string) {
      const r = await db
        .updateTable("users")
        .set((eb) => ({ token_generation: eb("token_generation", "+", 1), ...(passwordHash ? { password_hash: passwordHash } : {}) }))
        .where("id", "=", id)
        .returning("token_generation")
        .executeTakeFirstOrThrow();
      return r.token_generation;
    },
    /** Ends every token a machine identity holds. */
    async bumpIdentityGeneration(id: string) {
      await db.updateTable("identities").set((eb) => ({ token_generation: eb("token_generation", "+", 1) })).where("id", "=", id).execute();
    },

    /** Adds or replaces an invitation of an email to a project. */
    upsertInvitation: (m: { id: string; projectId: string; email: string; role: Role; profiles: string[] | null; canReadPrivateKeys?: boolean }) =>
      db
        .insertInto("membership_invitations")
        .values({ id: m.id, project_id: m.projectId, email: m.email, role: m.role, profiles: JSON.stringify(m.profiles), can_read_private_keys: m.canReadPrivateKeys ?? false })
        .onConflict((oc) => oc.columns(["project_id", "email"]).doUpdateSet({ role: m.role, profiles: JSON.stringify(m.profiles), can_read_private_keys: m.canReadPrivateKeys ?? false }))
        .returningAll()
        .executeTakeFirstOrThrow(),
    /** A project's invitations. */
    invitationsOf: (projectId: string) => db.selectFrom("membership_invitations").selectAll().where("project_id", "=", projectId).orderBy("created_at").execute(),
    /** An invitation by email within a project. */
    invitation: (projectId: string, email: string) => db.selectFrom("membership_invitations").selectAll().where("project_id", "=", projectId).where("email", "=", email).executeTakeFirst(),
    /** An invitation by id within a project. */
    invitationById: (projectId: string, id: string) => db.selectFrom("membership_invitations").selectAll().where("project_id", "=", projectId).where("id", "=", id).executeTakeFirst(),
    /** Deletes an invitation. */
    async deleteInvitation(projectId: string, id: string) {
      await db.deleteFrom("membership_invitations").where("project_id", "=", projectId).where("id", "=", id).execute();
    },
    /** Counts a project's invited admins. */
    async countInvitedAdmins(projectId: string) {
      const r = await db.selectFrom("membership_invitations").select((eb) => eb.fn.countAll<string>().as("n")).where("project_id", "=", projectId).where("role", "=", "admin").executeTakeFirstOrThrow();
      return Number(r.n);
    },
    /** Removes and returns every invitation of an email (they become memberships). */
    takeInvitations: (email: string) => db.deleteFrom("membership_invitations").where("email", "=", email).returningAll().execute(),
  };
}
