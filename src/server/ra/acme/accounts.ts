import { acmeError, isStampError } from "../../../errors.js";
import { jwkThumbprint, jwkToKeyObject, parseEab, parseJws, verifyEab, verifyJws, algForKey } from "../../../pki/acme-jws.js";
import { audit } from "../audit.js";
import { acmeProfile, authenticate } from "./auth.js";
import { acmeUrls, eabAad, type AcmeDeps, type AcmeReply } from "./deps.js";
import { accountView } from "./views.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Contacts: mailto: URLs only, at most 10 (RFC 8555 §7.3, unsupportedContact / invalidContact). */
function checkContact(contact: unknown): string[] {
  if (contact === undefined) return [];
  if (!Array.isArray(contact) || contact.length > 10) throw acmeError("bad_request", "malformed", '"contact" must be an array of at most 10 mailto: URLs.');
  for (const c of contact) {
    if (typeof c !== "string" || !c.startsWith("mailto:")) throw acmeError("bad_request", "unsupportedContact", `Only mailto: contacts are supported, not ${String(c).slice(0, 80)}.`);
    if (!/^mailto:[^@\s,?]{1,64}@[A-Za-z0-9.-]{1,253}$/.test(c)) throw acmeError("bad_request", "invalidContact", `${c.slice(0, 100)} is not a valid mailto: address.`);
  }
  return contact as string[];
}

/** Directory, nonces and accounts (RFC 8555 §7.1.1, §7.2, §7.3). */
export function acmeAccounts(deps: AcmeDeps) {
  const { store, rt } = deps;
  return {
    /** A fresh nonce, for any server to accept once (nonces.ts). */
    nonce: (): string => deps.nonces.issue(),
    /** GET directory. */
    async directory(profileId: string): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      return {
        status: 200,
        body: {
          newNonce: u.newNonce,
          newAccount: u.newAccount,
          newOrder: u.newOrder,
          revokeCert: u.revokeCert,
          keyChange: u.keyChange,
          renewalInfo: u.renewalInfo,
          meta: { externalAccountRequired: p.acme_config!.eabRequired, website: deps.publicUrl, profiles: { [p.slug]: p.description || `Stamp profile ${p.slug}` } },
        },
      };
    },
    /** POST new-account: create, or find by key (onlyReturnExisting), with External Account Binding. */
    async newAccount(profileId: string, body: unknown, ip: string | null): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      const auth = await authenticate(deps, p, body, u.newAccount, ip, { allowJwk: true, requireJwk: true });
      const payload = isObject(auth.jws.payload) ? auth.jws.payload : {};
      const jwk = auth.jwk!;
      const thumbprint = jwkThumbprint(jwk);
      const existing = await store.acme.accountByThumbprint(p.id, thumbprint);
      // RFC 8555 §7.3.6: nothing signed by a deactivated account's key is accepted, newAccount included.
      if (existing && existing.status !== "valid") throw acmeError("forbidden", "unauthorized", `The account for this key is ${existing.status}; create a new account with a new key.`);
      if (existing) return { status: 200, body: accountView(existing, u), headers: { location: u.account(existing.id) } };
      if (payload.onlyReturnExisting === true) throw acmeError("bad_request", "accountDoesNotExist", "No account exists for this key.");
      const contact = checkContact(payload.contact);
      const id = rt.uuid();
      let eabKeyId: string | null = null;
      if (payload.externalAccountBinding !== undefined) {
        let kid: string;
        try {
          kid = parseEab(payload.externalAccountBinding).header.kid;
        } catch (e) {
          if (isStampError(e)) throw acmeError("bad_request", "malformed", e.message);
          throw e;
        }
        const eab = await store.acme.eabByKeyId(kid);
        if (!eab || eab.profile_id !== p.id || eab.revoked_at) throw acmeError("forbidden", "unauthorized", "The external account key is unknown, revoked, or belongs to another profile.");
        if (eab.account_id) throw acmeError("forbidden", "unauthorized", "The external account key is already bound to an account; each key binds one account.");
        try {
          verifyEab(payload.externalAccountBinding, { hmacKey: deps.secrets.open(eab.hmac_sealed, eabAad(kid)), accountJwk: jwk, url: u.newAccount });
        } catch (e) {
          if (isStampError(e)) throw acmeError(e.kind === "forbidden" ? "forbidden" : "bad_request", e.kind === "forbidden" ? "unauthorized" : "malformed", e.message);
          throw e;
        }
        eabKeyId = kid;
      } else if (p.acme_config!.eabRequired) {
        throw acmeError("bad_request", "externalAccountRequired", "This ACME server requires External Account Binding: create an EAB key for the profile (API or `stamp acme eab create`) and pass it to your client.");
      }
      try {
        await store.transaction(async (tx) => {
          await tx.acme.insertAccount({ id, profileId: p.id, jwk, thumbprint, contact, eabKeyId });
          if (eabKeyId && !(await tx.acme.bindEab(eabKeyId, id))) throw acmeError("forbidden", "unauthorized", "The external account key was just bound to another account.");
          await audit(tx, rt, { principal: null, sourceIp: ip, actor: { type: "acme-account", id } }, { projectId: p.project_id, action: "acme.account.create", objectType: "acme-account", objectId: id, outcome: "success", detail: { profile: p.slug, eabKeyId, contact } });
        });
      } catch (e) {
        if (store.isUniqueViolation(e)) {
          const again = (await store.acme.accountByThumbprint(p.id, thumbprint))!;
          return { status: 200, body: accountView(again, u), headers: { location: u.account(again.id) } };
        }
        throw e;
      }
      return { status: 201, body: accountView((await store.acme.accountById(id))!, u), headers: { location: u.account(id) } };
    },
    /** POST account/:id: read (POST-as-GET), update contact, or deactivate (§7.3.2, §7.3.6). */
    async account(profileId: string, accountId: string, body: unknown, ip: string | null): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      const auth = await authenticate(deps, p, body, u.account(accountId), ip);
      if (auth.account!.id !== accountId) throw acmeError("forbidden", "unauthorized", "An account may only read or change itself.");
      const payload = auth.jws.payload;
      if (isObject(payload)) {
        const set: { contact?: string[]; status?: "deactivated" } = {};
        if (payload.contact !== undefined) set.contact = checkContact(payload.contact);
        // Clients re-send the account object they were given (python-acme does): its current status is no change.
        if (payload.status !== undefined && payload.status !== auth.account!.status) {
          if (payload.status !== "deactivated") throw acmeError("bad_request", "malformed", 'The only status a client may set is "deactivated".');
          set.status = "deactivated";
        }
        if (set.contact || set.status) {
          await store.acme.updateAccount(accountId, set);
          await audit(store, rt, { principal: null, sourceIp: ip, actor: { type: "acme-account", id: accountId } }, { projectId: p.project_id, action: set.status ? "acme.account.deactivate" : "acme.account.update", objectType: "acme-account", objectId: accountId, outcome: "success" });
        }
      }
      return { status: 200, body: accountView((await store.acme.accountById(accountId))!, u), headers: { location: u.account(accountId) } };
    },
    /** POST account/:id/orders: the account's current orders (§7.1.2.1). */
    async orders(profileId: string, accountId: string, body: unknown, ip: string | null): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      const auth = await authenticate(deps, p, body, u.orders(accountId), ip);
      if (auth.account!.id !== accountId) throw acmeError("forbidden", "unauthorized", "An account may only list its own orders.");
      const now = rt.clock();
      const rows = (await store.acme.ordersOf(accountId, 1000)).filter((o) => new Date(o.expires_at) > now || o.status === "valid");
      return { status: 200, body: { orders: rows.map((o) => u.order(o.id)) } };
    },
    /** POST key-change: roll the account key over (§7.3.5). */
    async keyChange(profileId: string, body: unknown, ip: string | null): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      const auth = await authenticate(deps, p, body, u.keyChange, ip);
      const account = auth.account!;
      let inner;
      try {
        inner = parseJws(auth.jws.payload);
      } catch (e) {
        if (isStampError(e)) throw acmeError("bad_request", "malformed", `The inner JWS: ${e.message}`);
        throw e;
      }
      const newJwk = inner.header.jwk as Record<string, unknown> | undefined;
      if (!newJwk || inner.header.nonce !== undefined || inner.header.url !== u.keyChange) throw acmeError("bad_request", "malformed", 'The inner JWS must carry the new key in "jwk", the keyChange "url", and no nonce (RFC 8555 §7.3.5).');
      const newKey = inner.key ?? jwkToKeyObject(newJwk);
      if (algForKey(newKey) !== inner.header.alg || !verifyJws(inner, newKey)) throw acmeError("bad_request", "malformed", "The inner JWS is not signed by the new key.");
      const ip2 = inner.payload as Record<string, unknown> | undefined;
      if (!isObject(ip2) || ip2.account !== u.account(account.id) || !isObject(ip2.oldKey) || jwkThumbprint(ip2.oldKey) !== account.thumbprint) {
        throw acmeError("bad_request", "malformed", 'The inner payload must name this account and its current key in "account" and "oldKey".');
      }
      const thumbprint = jwkThumbprint(newJwk);
      const taken = await store.acme.accountByThumbprint(p.id, thumbprint);
      if (taken) return { status: 409, body: { type: "urn:ietf:params:acme:error:malformed", detail: "Another account already uses the new key.", status: 409 }, headers: { location: u.account(taken.id) } };
      await store.acme.updateAccount(account.id, { jwk: newJwk, thumbprint });
      await audit(store, rt, { principal: null, sourceIp: ip, actor: { type: "acme-account", id: account.id } }, { projectId: p.project_id, action: "acme.account.key-change", objectType: "acme-account", objectId: account.id, outcome: "success" });
      return { status: 200, body: accountView((await store.acme.accountById(account.id))!, u), headers: { location: u.account(account.id) } };
    },
  };
}
