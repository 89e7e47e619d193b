import type { KeyObject } from "node:crypto";
import { acmeError, isStampError, StampError } from "../../../errors.js";
import { algForKey, jwkToKeyObject, parseJws, verifyJws, type ParsedJws } from "../../../pki/acme-jws.js";
import type { AcmeAccountRow } from "../../store/acme.repo.js";
import type { ProfileRow } from "../../store/cert.repo.js";
import type { AcmeDeps } from "./deps.js";
import { acmeUrls } from "./deps.js";

/** A verified ACME request: the JWS, its key, and the account when it was signed by one. */
export interface AcmeAuth {
  jws: ParsedJws;
  key: KeyObject;
  jwk?: Record<string, unknown>;
  account?: AcmeAccountRow;
}

/** The profile behind an ACME URL, which must enable ACME. */
export async function acmeProfile(deps: AcmeDeps, profileId: string): Promise<ProfileRow> {
  const p = /^[0-9a-f-]{36}$/i.test(profileId) ? await deps.store.cert.profileById(profileId) : undefined;
  if (!p || !p.enrollment_methods.includes("acme") || !p.acme_config) throw acmeError("not_found", "malformed", "No ACME server at this URL: the profile does not exist or does not enable ACME.");
  return p;
}

/**
 * Counts a request against the per-address limit (all servers share it) and records the first
 * use of its nonce, in one statement; true when the nonce was fresh. `nonce` null (none, or not
 * one of ours) counts the request only.
 */
async function admit(deps: AcmeDeps, nonce: { value: string; expiresAt: Date } | null, ip: string | null): Promise<boolean> {
  const now = deps.rt.clock();
  const { fresh, count, window_start } = await deps.store.acme.useNonce(nonce, `acme:ip:${ip ?? "?"}`, now, 60);
  if (count > deps.limits.requestsPerMinutePerIp) {
    const retry = Math.max(1, Math.ceil((new Date(window_start).getTime() + 60_000 - now.getTime()) / 1000));
    throw new StampError("rate_limited", `Too many ACME requests from ${ip}; at most ${deps.limits.requestsPerMinutePerIp} a minute.`, { acmeType: "rateLimited", retryAfterSeconds: retry });
  }
  return fresh;
}

/**
 * Verifies an ACME POST (RFC 8555 §6.2–6.5) from `ip`, counted against its address's limit:
 * structure, a fresh nonce (used once, on any server), the URL it was sent to, and the signature
 * by the embedded `jwk` (where `allowJwk`) or by the key of the account named in `kid`.
 */
export async function authenticate(deps: AcmeDeps, profile: ProfileRow, body: unknown, url: string, ip: string | null, opts: { allowJwk?: boolean; requireJwk?: boolean } = {}): Promise<AcmeAuth> {
  let jws: ParsedJws;
  try {
    jws = parseJws(body);
  } catch (e) {
    await admit(deps, null, ip);
    if (isStampError(e)) throw acmeError(e.kind, (e as { type?: string }).type ?? "malformed", e.message);
    throw e;
  }
  const h = jws.header;
  const expiresAt = typeof h.nonce === "string" ? deps.nonces.check(h.nonce) : undefined;
  if (!(await admit(deps, expiresAt ? { value: h.nonce as string, expiresAt } : null, ip))) {
    throw acmeError("bad_request", "badNonce", "The nonce is missing, expired or already used; retry with the fresh nonce in Replay-Nonce.");
  }
  if (h.url !== url) throw acmeError("forbidden", "unauthorized", `The JWS "url" must be the URL of this request, ${url}.`);
  let key: KeyObject;
  let account: AcmeAccountRow | undefined;
  if (h.jwk !== undefined) {
    if (!opts.allowJwk) throw acmeError("bad_request", "malformed", 'This request must be signed by an account key named in "kid", not "jwk" (RFC 8555 §6.2).');
    key = jws.key ?? jwkToKeyObject(h.jwk);
  } else {
    if (opts.requireJwk) throw acmeError("bad_request", "malformed", 'This request must carry the public key in "jwk" (RFC 8555 §6.2).');
    const urls = acmeUrls(deps.publicUrl, profile.id);
    const prefix = `${urls.base}/account/`;
    const id = typeof h.kid === "string" && h.kid.startsWith(prefix) ? h.kid.slice(prefix.length) : "";
    account = /^[0-9a-f-]{36}$/i.test(id) ? await deps.store.acme.accountById(id) : undefined;
    if (!account || account.profile_id !== profile.id) throw acmeError("bad_request", "accountDoesNotExist", `No account ${h.kid} on this ACME server.`);
    if (account.status !== "valid") throw acmeError("forbidden", "unauthorized", `The account is ${account.status}.`);
    key = jwkToKeyObject(account.jwk);
  }
  // A request naming an account but not signed by its current key (e.g. by the key it had
  // before a keyChange, RFC 8555 §7.3.5) is not the account's: unauthorized, not malformed.
  if (account && (algForKey(key) !== h.alg || !verifyJws(jws, key))) throw acmeError("forbidden", "unauthorized", "The request is not signed by this account's current key; after a key change, sign with the new key.");
  if (algForKey(key) !== h.alg) throw acmeError("bad_request", "badSignatureAlgorithm", `The algorithm ${String(h.alg)} does not match the key (use ${algForKey(key) ?? "ES256"}).`);
  if (!verifyJws(jws, key)) throw acmeError("bad_request", "malformed", "The JWS signature does not verify.");
  return { jws, key, jwk: h.jwk as Record<string, unknown> | undefined, account };
}
