import { errors } from "../../../errors.js";
import type { Repos } from "../../store/store.js";
import { audit } from "../audit.js";
import type { RequestContext, Runtime } from "../context.js";
import { hashRandomSecret, sameHash, verifyDummy, verifyPassword } from "./passwords.js";
import type { TokenService } from "./tokens.js";

/**
 * Login limits per window: failed attempts on one account from one client address, and on
 * any account from one address. Counting per (account, address) means a guesser locks out
 * only itself: the owner, from another address, still logs in. The counters live in the
 * shared rate_limits table, so every server sees the same ones.
 */
export const LOGIN_LIMIT = { perAccountAddress: 10, perAddress: 30, windowSeconds: 300 };

export interface LoginDeps {
  repos: Pick<Repos, "identity" | "misc">;
  rt: Runtime;
  tokens: TokenService;
  userTokenTtl: number;
}

/**
 * Counts this attempt against the address and the (account, address) pair; 429 with
 * Retry-After once either is over its limit (the first refusal of a window is audited).
 * Returns what to call when the attempt succeeds: success does not count.
 */
export async function admit(deps: LoginDeps, ctx: RequestContext, kind: "login" | "ua", account: string, subject: { projectId: string | null; objectType: string }) {
  const address = ctx.sourceIp ?? "unknown";
  const keys = [
    { key: `${kind}:addr:${address}`, max: LOGIN_LIMIT.perAddress, scope: "address" },
    { key: `${kind}:acct:${account}|${address}`, max: LOGIN_LIMIT.perAccountAddress, scope: "account-address" },
  ];
  for (const k of keys) {
    const { count, window_start } = await deps.repos.misc.hit(k.key, deps.rt.clock(), LOGIN_LIMIT.windowSeconds);
    if (count <= k.max) continue;
    if (count === k.max + 1) {
      const detail = { scope: k.scope, account, address, limit: k.max, windowSeconds: LOGIN_LIMIT.windowSeconds };
      await audit(deps.repos, deps.rt, ctx, { projectId: subject.projectId, action: `auth.${kind === "login" ? "login" : "universal-auth.login"}.lockout`, objectType: subject.objectType, objectId: null, outcome: "denied", detail });
    }
    const ends = new Date(window_start).getTime() + LOGIN_LIMIT.windowSeconds * 1000;
    const retry = Math.max(1, Math.ceil((ends - deps.rt.clock().getTime()) / 1000));
    const what = k.scope === "address" ? "from your address" : kind === "login" ? "for this account from your address" : "for this client id from your address";
    throw errors.rateLimited(`Too many failed login attempts ${what}; try again in ${retry} seconds.`, retry);
  }
  return async () => {
    await deps.repos.misc.unhit(keys[0].key);
    await deps.repos.misc.clearHits(keys[1].key);
  };
}

/** POST /api/v1/auth/login: email + password → access token. */
export async function loginUser(deps: LoginDeps, ctx: RequestContext, email: string, password: string) {
  const normalized = email.trim().toLowerCase();
  const succeeded = await admit(deps, ctx, "login", normalized, { projectId: null, objectType: "user" });
  const user = await deps.repos.identity.userByEmail(normalized);
  const ok = user ? await verifyPassword(user.password_hash, password) : (await verifyDummy(password), false);
  if (!user || !ok) {
    await audit(deps.repos, deps.rt, ctx, { projectId: null, action: "auth.login", objectType: "user", objectId: user?.id ?? null, outcome: "denied", detail: { email: normalized } });
    throw errors.unauthenticated("The email or password is wrong.");
  }
  await succeeded();
  await audit(deps.repos, deps.rt, { ...ctx, principal: { type: "user", id: user.id, label: user.email, isServerAdmin: user.is_server_admin } }, { projectId: null, action: "auth.login", objectType: "user", objectId: user.id, outcome: "success" });
  return { ...deps.tokens.issue("user", user.id, deps.userTokenTtl, { gen: user.token_generation }), tokenType: "Bearer" as const };
}

/** POST /api/v1/auth/universal-auth/login: clientId + clientSecret → access token. */
export async function loginIdentity(deps: LoginDeps, ctx: RequestContext, clientId: string, clientSecret: string) {
  const succeeded = await admit(deps, ctx, "ua", clientId, { projectId: null, objectType: "identity" });
  const denied = () => errors.unauthenticated("The client id or client secret is wrong, revoked or expired.");
  const identity = await deps.repos.identity.identityByClientId(clientId);
  if (!identity) throw denied();
  const now = deps.rt.clock();
  const given = hashRandomSecret(clientSecret);
  const secrets = await deps.repos.identity.clientSecretsOf(identity.id);
  const match = secrets.find((s) => !s.revoked_at && (!s.expires_at || new Date(s.expires_at) > now) && sameHash(s.secret_hash, given));
  const actor = { ...ctx, principal: { type: "identity" as const, id: identity.id, label: identity.name, isServerAdmin: false } };
  if (!match) {
    await audit(deps.repos, deps.rt, actor, { projectId: identity.project_id, action: "auth.universal-auth.login", objectType: "identity", objectId: identity.id, outcome: "denied" });
    throw denied();
  }
  await succeeded();
  await deps.repos.identity.touchClientSecret(match.id, now);
  await audit(deps.repos, deps.rt, actor, { projectId: identity.project_id, action: "auth.universal-auth.login", objectType: "identity", objectId: identity.id, outcome: "success", detail: { clientSecretId: match.id } });
  // The token names its secret: revoking the secret ends it (the auth hook checks).
  return { ...deps.tokens.issue("identity", identity.id, identity.access_token_ttl, { gen: identity.token_generation, sid: match.id }), tokenType: "Bearer" as const };
}
