import { errors } from "../../errors.js";
import type { ReposOf, Transactional } from "../shared-types.js";
import { audit } from "./audit.js";
import { requirePrincipal, requireRole } from "./authz.js";
import { hashRandomSecret } from "./auth/passwords.js";
import type { RequestContext, Runtime } from "./context.js";
import type { TokenClaims } from "./auth/tokens.js";

type IdentityRow = NonNullable<Awaited<ReturnType<IdentitiesRepos["identity"]["identityById"]>>>;
type SecretRow = Awaited<ReturnType<IdentitiesRepos["identity"]["clientSecretsOf"]>>[number];

const identityView = (i: IdentityRow) => ({
  id: i.id,
  projectId: i.project_id,
  name: i.name,
  clientId: i.client_id,
  accessTokenTTL: i.access_token_ttl,
  createdAt: new Date(i.created_at).toISOString(),
});

/** Never the secret, never its hash: only what identifies it (Infisical's clientSecretPrefix). */
const secretView = (s: SecretRow) => ({
  id: s.id,
  description: s.description,
  clientSecretPrefix: s.secret_prefix,
  createdAt: new Date(s.created_at).toISOString(),
  expiresAt: s.expires_at ? new Date(s.expires_at).toISOString() : null,
  revokedAt: s.revoked_at ? new Date(s.revoked_at).toISOString() : null,
  lastUsedAt: s.last_used_at ? new Date(s.last_used_at).toISOString() : null,
});

/** The repositories these use cases call. */
export type IdentitiesRepos = ReposOf<{ identity: "clientSecretsOf" | "identitiesOf" | "identityById" | "identityForToken" | "deleteIdentity" | "insertClientSecret" | "insertIdentity" | "revokeClientSecret" | "upsertMembership" | "membership"; misc: "audit"; }>;
/** The store as these use cases see it. */
export type IdentitiesStore = IdentitiesRepos & Transactional<IdentitiesRepos>;

/**
 * Machine identities. Each is owned by a project (whose admins manage it) and becomes a
 * member of that project with the role given at creation; admins of other projects may
 * add it to theirs.
 */
export function createIdentities(deps: { store: IdentitiesStore; rt: Runtime; defaultTtl: number }) {
  const { store, rt } = deps;
  async function owned(ctx: RequestContext, identityId: string) {
    const i = await store.identity.identityById(identityId);
    if (!i) throw errors.notFound("Machine identity", identityId);
    await requireRole(store, ctx, i.project_id, "admin", { type: "Machine identity", id: identityId });
    return i;
  }
  return {
    /** Creates a machine identity in a project with a role there. */
    async create(ctx: RequestContext, input: { projectId: string; name: string; role: "admin" | "member" | "viewer"; profiles?: string[] | null; accessTokenTTL?: number }) {
      await requireRole(store, ctx, input.projectId, "admin", { type: "Project", id: input.projectId });
      const row = await store.transaction(async (tx) => {
        const i = await tx.identity.insertIdentity({ id: rt.uuid(), projectId: input.projectId, name: input.name, clientId: rt.uuid(), accessTokenTtl: input.accessTokenTTL ?? deps.defaultTtl });
        await tx.identity.upsertMembership({ id: rt.uuid(), projectId: input.projectId, type: "identity", principalId: i.id, role: input.role, profiles: input.profiles ?? null });
        await audit(tx, rt, ctx, { projectId: input.projectId, action: "identity.create", objectType: "identity", objectId: i.id, outcome: "success", detail: { name: input.name, role: input.role } });
        return i;
      });
      return identityView(row);
    },
    /** Machine identities a project owns. */
    async list(ctx: RequestContext, projectId: string) {
      await requireRole(store, ctx, projectId, "admin", { type: "Project", id: projectId });
      return (await store.identity.identitiesOf(projectId)).map(identityView);
    },
    /** One machine identity. */
    async get(ctx: RequestContext, identityId: string) {
      return identityView(await owned(ctx, identityId));
    },
    /** Deletes a machine identity; its tokens stop working at once. */
    async remove(ctx: RequestContext, identityId: string) {
      const i = await owned(ctx, identityId);
      await store.transaction(async (tx) => {
        await tx.identity.deleteIdentity(i.id);
        await audit(tx, rt, ctx, { projectId: i.project_id, action: "identity.delete", objectType: "identity", objectId: i.id, outcome: "success" });
      });
    },
    /** Creates a client secret; the only time it is ever shown. */
    async createSecret(ctx: RequestContext, identityId: string, input: { description?: string; ttl?: number }) {
      const i = await owned(ctx, identityId);
      const secret = rt.random(32).toString("hex");
      const expiresAt = input.ttl ? new Date(rt.clock().getTime() + input.ttl * 1000) : null;
      const row = await store.transaction(async (tx) => {
        const s = await tx.identity.insertClientSecret({ id: rt.uuid(), identityId: i.id, secretHash: hashRandomSecret(secret), prefix: secret.slice(0, 4), description: input.description ?? "", expiresAt });
        await audit(tx, rt, ctx, { projectId: i.project_id, action: "identity.client-secret.create", objectType: "identity", objectId: i.id, outcome: "success", detail: { clientSecretId: s.id } });
        return s;
      });
      return { clientSecret: secret, clientSecretData: secretView(row) };
    },
    /** Lists client secrets (never the secrets themselves). */
    async listSecrets(ctx: RequestContext, identityId: string) {
      const i = await owned(ctx, identityId);
      return (await store.identity.clientSecretsOf(i.id)).map(secretView);
    },
    /** Revokes a client secret. */
    async revokeSecret(ctx: RequestContext, identityId: string, secretId: string) {
      const i = await owned(ctx, identityId);
      await store.transaction(async (tx) => {
        if (!(await tx.identity.revokeClientSecret(i.id, secretId, rt.clock()))) throw errors.notFound("Client secret", secretId);
        await audit(tx, rt, ctx, { projectId: i.project_id, action: "identity.client-secret.revoke", objectType: "identity", objectId: i.id, outcome: "success", detail: { clientSecretId: secretId } });
      });
      const s = (await store.identity.clientSecretsOf(i.id)).find((x) => x.id === secretId)!;
      return secretView(s);
    },
    /** Resolves the principal behind an identity token: null when the identity is gone, or the token or its client secret was revoked (one query). */
    async principal(claims: TokenClaims) {
      if (!claims.sid) return null;
      const i = await store.identity.identityForToken(claims.sub, claims.sid, claims.jti);
      if (!i || i.token_revoked || !i.secret_live || (claims.gen ?? 0) !== i.token_generation) return null;
      return { type: "identity" as const, id: i.id, label: i.name, isServerAdmin: false };
    },
    /** Used by requirePrincipal callers that only need the caller's kind. */
    requirePrincipal,
  };
}
