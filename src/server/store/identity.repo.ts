import type { Kysely } from "kysely";
import type { Database, Role } from "./schema.js";
import { sessionRepo } from "./session.repo.js";

/** Users, machine identities, their client secrets, projects and memberships. */
export function identityRepo(db: Kysely<Database>) {
  return {
    ...sessionRepo(db),
    /** Inserts a user. */
    async insertUser(u: { id: string; email: string; passwordHash: string; isServerAdmin: boolean }) {
      await db.insertInto("users").values({ id: u.id, email: u.email, password_hash: u.passwordHash, is_server_admin: u.isServerAdmin }).execute();
    },
    /** Finds a user by (lower-cased) email. */
    userByEmail: (email: string) => db.selectFrom("users").selectAll().where("email", "=", email).executeTakeFirst(),
    /** Finds a user by id. */
    userById: (id: string) => db.selectFrom("users").selectAll().where("id", "=", id).executeTakeFirst(),
    /** Counts users (zero before bootstrap). */
    async countUsers() {
      const r = await db.selectFrom("users").select((eb) => eb.fn.countAll<string>().as("n")).executeTakeFirstOrThrow();
      return Number(r.n);
    },

    /** Inserts a project. */
    async insertProject(p: { id: string; name: string }) {
      return db.insertInto("projects").values(p).returningAll().executeTakeFirstOrThrow();
    },
    /** A project by id. */
    projectById: (id: string) => db.selectFrom("projects").selectAll().where("id", "=", id).executeTakeFirst(),
    /** The projects a principal is a member of, with its role. */
    projectsOf: (type: "user" | "identity", principalId: string) =>
      db
        .selectFrom("projects")
        .innerJoin("memberships", "memberships.project_id", "projects.id")
        .select(["projects.id", "projects.name", "projects.created_at", "memberships.role"])
        .where("memberships.principal_type", "=", type)
        .where("memberships.principal_id", "=", principalId)
        .orderBy("projects.created_at")
        .execute(),

    /** Adds or replaces a membership. */
    async upsertMembership(m: { id: string; projectId: string; type: "user" | "identity"; principalId: string; role: Role; profiles: string[] | null; canReadPrivateKeys?: boolean; createdAt?: Date }) {
      return db
        .insertInto("memberships")
        .values({ id: m.id, project_id: m.projectId, principal_type: m.type, principal_id: m.principalId, role: m.role, profiles: JSON.stringify(m.profiles), can_read_private_keys: m.canReadPrivateKeys ?? false, ...(m.createdAt ? { created_at: m.createdAt } : {}) })
        .onConflict((oc) => oc.columns(["project_id", "principal_type", "principal_id"]).doUpdateSet({ role: m.role, profiles: JSON.stringify(m.profiles), can_read_private_keys: m.canReadPrivateKeys ?? false }))
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** The membership of a principal in a project, if any. */
    membership: (projectId: string, type: "user" | "identity", principalId: string) =>
      db
        .selectFrom("memberships")
        .selectAll()
        .where("project_id", "=", projectId)
        .where("principal_type", "=", type)
        .where("principal_id", "=", principalId)
        .executeTakeFirst(),
    /** All memberships of a project, with the user's email or the identity's name. */
    membershipsOf: (projectId: string) =>
      db
        .selectFrom("memberships")
        .leftJoin("users", (j) => j.onRef("users.id", "=", "memberships.principal_id").on("memberships.principal_type", "=", "user"))
        .leftJoin("identities", (j) => j.onRef("identities.id", "=", "memberships.principal_id").on("memberships.principal_type", "=", "identity"))
        .select(["memberships.id", "memberships.principal_type", "memberships.principal_id", "memberships.role", "memberships.profiles", "memberships.can_read_private_keys", "memberships.created_at", "users.email", "identities.name"])
        .where("memberships.project_id", "=", projectId)
        .orderBy("memberships.created_at")
        .execute(),
    /** A membership by id within a project. */
    membershipById: (projectId: string, id: string) =>
      db.selectFrom("memberships").selectAll().where("project_id", "=", projectId).where("id", "=", id).executeTakeFirst(),
    /** Deletes a membership. */
    async deleteMembership(projectId: string, id: string) {
      await db.deleteFrom("memberships").where("project_id", "=", projectId).where("id", "=", id).execute();
    },
    /** Counts a project's admins. */
    async countAdmins(projectId: string) {
      const r = await db.selectFrom("memberships").select((eb) => eb.fn.countAll<string>().as("n")).where("project_id", "=", projectId).where("role", "=", "admin").executeTakeFirstOrThrow();
      return Number(r.n);
    },

    /** Inserts a machine identity. */
    async insertIdentity(i: { id: string; projectId: string; name: string; clientId: string; accessTokenTtl: number }) {
      return db
        .insertInto("identities")
        .values({ id: i.id, project_id: i.projectId, name: i.name, client_id: i.clientId, access_token_ttl: i.accessTokenTtl })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** A machine identity by id. */
    identityById: (id: string) => db.selectFrom("identities").selectAll().where("id", "=", id).executeTakeFirst(),
    /** A machine identity by its client id. */
    identityByClientId: (clientId: string) => db.selectFrom("identities").selectAll().where("client_id", "=", clientId).executeTakeFirst(),
    /** Machine identities owned by a project. */
    identitiesOf: (projectId: string) => db.selectFrom("identities").selectAll().where("project_id", "=", projectId).orderBy("created_at").execute(),
    /** Deletes a machine identity and its memberships. */
    async deleteIdentity(id: string) {
      await db.deleteFrom("memberships").where("principal_type", "=", "identity").where("principal_id", "=", id).execute();
      await db.deleteFrom("identities").where("id", "=", id).execute();
    },

    /** Inserts a client secret (hash only). */
    async insertClientSecret(s: { id: string; identityId: string; secretHash: string; prefix: string; description: string; expiresAt: Date | null }) {
      return db
        .insertInto("identity_client_secrets")
        .values({ id: s.id, identity_id: s.identityId, secret_hash: s.secretHash, secret_prefix: s.prefix, description: s.description, expires_at: s.expiresAt })
        .returningAll()
        .executeTakeFirstOrThrow();
    },
    /** Client secrets of an identity, newest first. */
    clientSecretsOf: (identityId: string) =>
      db.selectFrom("identity_client_secrets").selectAll().where("identity_id", "=", identityId).orderBy("created_at", "desc").execute(),
    /** Marks a client secret revoked; returns false when it was not found. */
    async revokeClientSecret(identityId: string, id: string, at: Date) {
      const r = await db
        .updateTable("identity_client_secrets")
        .set({ revoked_at: at })
        .where("identity_id", "=", identityId)
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    /** Records a successful use of a client secret. */
    async touchClientSecret(id: string, at: Date) {
      await db.updateTable("identity_client_secrets").set({ last_used_at: at }).where("id", "=", id).execute();
    },
  };
}
