import type { AcmeAccountRow, AcmeAuthzRow, AcmeChallengeRow, AcmeOrderRow } from "../../store/acme.repo.js";
import { acmeUrls } from "./deps.js";

type Urls = ReturnType<typeof acmeUrls>;
const iso = (d: Date | null) => (d ? new Date(d).toISOString().replace(/\.\d{3}Z$/, "Z") : undefined);

/**
 * An account object (RFC 8555 §7.1.2). `externalAccountBinding` is left out: the RFC defines
 * it as the JWS the client sent, and clients that re-send the account object (python-acme)
 * choke on anything else. The binding stays recorded and audited on the server.
 */
export function accountView(a: AcmeAccountRow, urls: Urls) {
  return { status: a.status, contact: a.contact, orders: urls.orders(a.id) };
}

/** An order object (RFC 8555 §7.1.3). */
export function orderView(o: AcmeOrderRow, authzIds: string[], urls: Urls) {
  return {
    status: o.status,
    expires: iso(o.expires_at),
    identifiers: o.identifiers,
    ...(o.not_before ? { notBefore: iso(o.not_before) } : {}),
    ...(o.not_after ? { notAfter: iso(o.not_after) } : {}),
    ...(o.error ? { error: o.error } : {}),
    authorizations: authzIds.map(urls.authz),
    finalize: urls.finalize(o.id),
    ...(o.certificate_id && o.status === "valid" ? { certificate: urls.cert(o.certificate_id) } : {}),
    ...(o.replaces ? { replaces: o.replaces } : {}),
  };
}

/** A challenge object (RFC 8555 §7.1.5, §8). */
export function challengeView(c: AcmeChallengeRow, urls: Urls) {
  return {
    type: c.type,
    url: urls.chall(c.id),
    status: c.status,
    token: c.token,
    ...(c.validated_at ? { validated: iso(c.validated_at) } : {}),
    ...(c.error ? { error: c.error } : {}),
  };
}

/** An authorization object (RFC 8555 §7.1.4). */
export function authzView(a: AcmeAuthzRow, challenges: AcmeChallengeRow[], urls: Urls) {
  return {
    identifier: { type: a.identifier_type, value: a.identifier_value },
    status: a.status,
    expires: iso(a.expires_at),
    challenges: challenges.map((c) => challengeView(c, urls)),
    ...(a.wildcard ? { wildcard: true } : {}),
  };
}
