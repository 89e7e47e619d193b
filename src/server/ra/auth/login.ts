import { errors } from "../../../errors.js";
import type { Repos } from "../../store/store.js";
import { audit } from "../audit.js";
import type { RequestContext, Runtime } from "../context.js";
import { hashClientSecret, sameHash, verifyDummy, verifyPassword } from "./passwords.js";
import type { TokenService } from "./tokens.js";

/** Login limits: attempts per window, per client address and per account. */
export const LOGIN_LIMIT = { attempts: 10, windowSeconds: 300 };

export interface LoginDeps {
  repos: Pick<Repos, "identity" | "misc">;
  rt: Runtime;
  tokens: TokenService;
  userTokenTtl: number;
}

async function limit(deps: LoginDeps, keys: string[]) {
  for (const key of keys) {
    const { count, window_start } = await deps.repos.misc.hit(key, deps.rt.clock(), LOGIN_LIMIT.windowSeconds);
    if (count > LOGIN_LIMIT.attempts) {
      const ends = new Date(window_start).getTime() + LOGIN_LIMIT.windowSeconds * 1000;
      const retry = Math.max(1, Math.ceil((ends - deps.rt.clock().getTime()) / 1000));
      throw errors.rateLimited(`Too many login attempts; try again in ${retry} seconds.`, retry);
    }
  }
}

/** POST /api/v1/auth/login: email + password → access token. */
export async function loginUser(deps: LoginDeps, ctx: RequestContext, email: string, password: string) {
  const normalized = email.trim().toLowerCase();
  await limit(deps, [`login:ip:${ctx.sourceIp ?? "?"}`, `login:user:${normalized}`]);
  const user = await deps.repos.identity.userByEmail(normalized);
  const ok = user ? await verifyPassword(user.password_hash, password) : (await verifyDummy(password), false);
  if (!user || !ok) {
    await audit(deps.repos, deps.rt, ctx, { projectId: null, action: "auth.login", objectType: "user", objectId: user?.id ?? null, outcome: "denied", detail: { email: normalized } });
    throw errors.unauthenticated("The email or password is wrong.");
  }
  await audit(deps.repos, deps.rt, { ...ctx, principal: { type: "user", id: user.id, label: user.email, isServerAdmin: user.is_server_admin } }, { projectId: null, action: "auth.login", objectType: "user", objectId: user.id, outcome: "success" });
  return { ...deps.tokens.issue("user", user.id, deps.userTokenTtl), tokenType: "Bearer" as const };
}

/** POST /api/v1/auth/universal-auth/login: clientId + clientSecret → access token. */
export async function loginIdentity(deps: LoginDeps, ctx: RequestContext, clientId: string, clientSecret: string) {
  await limit(deps, [`ua:ip:${ctx.sourceIp ?? "?"}`, `ua:client:${clientId}`]);
  const denied = () => errors.unauthenticated("The client id or client secret is wrong, revoked or expired.");
  const identity = await deps.repos.identity.identityByClientId(clientId);
  if (!identity) throw denied();
  const now = deps.rt.clock();
  const given = hashClientSecret(clientSecret);
  const secrets = await deps.repos.identity.clientSecretsOf(identity.id);
  const match = secrets.find((s) => !s.revoked_at && (!s.expires_at || new Date(s.expires_at) > now) && sameHash(s.secret_hash, given));
  const actor = { ...ctx, principal: { type: "identity" as const, id: identity.id, label: identity.name, isServerAdmin: false } };
  if (!match) {
    await audit(deps.repos, deps.rt, actor, { projectId: identity.project_id, action: "auth.universal-auth.login", objectType: "identity", objectId: identity.id, outcome: "denied" });
    throw denied();
  }
  await deps.repos.identity.touchClientSecret(match.id, now);
  await audit(deps.repos, deps.rt, actor, { projectId: identity.project_id, action: "auth.universal-auth.login", objectType: "identity", objectId: identity.id, outcome: "success", detail: { clientSecretId: match.id } });
  return { ...deps.tokens.issue("identity", identity.id, identity.access_token_ttl), tokenType: "Bearer" as const };
}
