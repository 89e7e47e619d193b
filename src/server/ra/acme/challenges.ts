import { acmeError } from "../../../errors.js";
import { dns01Value, keyAuthorization, tlsAlpn01Check } from "../../../pki/acme-crypto.js";
import { audit } from "../audit.js";
import { acmeProfile, authenticate } from "./auth.js";
import { acmeUrls, type AcmeDeps, type AcmeReply } from "./deps.js";
import type { acmeOrders } from "./orders.js";
import { authzView, challengeView } from "./views.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Authorizations and challenges (§7.5): validation runs at once when the client says it is ready. */
export function acmeChallenges(deps: AcmeDeps, orders: ReturnType<typeof acmeOrders>) {
  const { store, rt } = deps;

  async function ownedAuthz(accountId: string, authzId: string) {
    const a = /^[0-9a-f-]{36}$/i.test(authzId) ? await store.acme.authzById(authzId) : undefined;
    const o = a ? await store.acme.orderById(a.order_id) : undefined;
    if (!a || !o || o.account_id !== accountId) throw acmeError("not_found", "malformed", "No such authorization for this account.");
    // An authorization past its expiry is expired (§7.1.6).
    const expired = a.status === "pending" && new Date(a.expires_at) <= rt.clock() ? ((await store.acme.setAuthzStatus(a.id, ["pending"], "expired")) ?? (await store.acme.authzById(a.id))) : undefined;
    return { authz: expired ?? a, order: o };
  }

  return {
    /** POST authz/:id: read, or deactivate with {status: "deactivated"} (§7.5.2). */
    async authz(profileId: string, authzId: string, body: unknown, ip: string | null): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      const auth = await authenticate(deps, p, body, u.authz(authzId), ip);
      const { authz } = await ownedAuthz(auth.account!.id, authzId);
      let fresh = authz;
      const payload = auth.jws.payload;
      if (isObject(payload) && payload.status !== undefined) {
        if (payload.status !== "deactivated") throw acmeError("bad_request", "malformed", 'The only status a client may set on an authorization is "deactivated".');
        fresh = (await store.acme.setAuthzStatus(authz.id, ["pending", "valid"], "deactivated")) ?? (await store.acme.authzById(authz.id))!;
        await audit(store, rt, { principal: null, sourceIp: ip, actor: { type: "acme-account", id: auth.account!.id } }, { projectId: p.project_id, action: "acme.authz.deactivate", objectType: "acme-authz", objectId: authz.id, outcome: "success" });
      }
      const headers: Record<string, string> = {};
      if (fresh.status === "pending") headers["retry-after"] = "1";
      return { status: 200, body: authzView(fresh, await store.acme.challengesOf(fresh.id), u), headers };
    },
    /** POST chall/:id: {} starts validation (and waits for it), POST-as-GET reads (§7.5.1). */
    async challenge(profileId: string, challId: string, body: unknown, ip: string | null): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      const auth = await authenticate(deps, p, body, u.chall(challId), ip);
      const account = auth.account!;
      const c = /^[0-9a-f-]{36}$/i.test(challId) ? await store.acme.challengeById(challId) : undefined;
      if (!c) throw acmeError("not_found", "malformed", "No such challenge.");
      const { authz, order } = await ownedAuthz(account.id, c.authz_id);
      const headers: Record<string, string> = { link: `<${u.authz(authz.id)}>;rel="up"` };
      let fresh = c;
      if (isObject(auth.jws.payload) && authz.status === "pending" && (await store.acme.claimChallenge(c.id))) {
        const id = { type: authz.identifier_type, value: authz.identifier_value };
        const keyAuth = keyAuthorization(c.token, account.jwk);
        const result =
          c.type === "http-01"
            ? await deps.va.http01(id, c.token, keyAuth)
            : c.type === "dns-01"
              ? await deps.va.dns01(id, dns01Value(keyAuth))
              : await deps.va.tlsAlpn01(id, (der) => tlsAlpn01Check(der, id, keyAuth));
        const now = rt.clock();
        const error = result.ok ? null : { type: `urn:ietf:params:acme:error:${result.problem.type}`, detail: result.problem.detail, status: 403 };
        await store.transaction(async (tx) => {
          fresh = await tx.acme.finishChallenge(c.id, result.ok, now, error);
          await tx.acme.setAuthzStatus(authz.id, ["pending"], result.ok ? "valid" : "invalid");
          await audit(tx, rt, { principal: null, sourceIp: ip, actor: { type: "acme-account", id: account.id } }, {
            projectId: p.project_id,
            action: "acme.challenge.validate",
            objectType: "acme-challenge",
            objectId: c.id,
            outcome: result.ok ? "success" : "failure",
            detail: { type: c.type, identifier: id, ...(result.ok ? { record: result.record } : { problem: result.problem }) },
          });
        });
        await orders.refresh(order);
      }
      if (fresh.status === "pending" || fresh.status === "processing") headers["retry-after"] = "1";
      return { status: 200, body: challengeView(fresh, u), headers };
    },
  };
}
