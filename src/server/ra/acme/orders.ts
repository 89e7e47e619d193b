import { acmeError, isStampError, StampError, type Violation } from "../../../errors.js";
import { decideIssuance } from "../../../policy/issuance.js";
import { parseProfile } from "../certs/profile.js";
import { normaliseDns, parseIp } from "../../../policy/san-syntax.js";
import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import { fromBase64url, parseAriCertId } from "../../../pki/acme-crypto.js";
import type { AcmeAuthzRow, AcmeOrderRow } from "../../store/acme.repo.js";
import type { ProfileRow } from "../../store/cert.repo.js";
import { compileTemplate } from "../certs/templates.js";
import { acmeProfile, authenticate } from "./auth.js";
import { acmeUrls, type AcmeDeps, type AcmeReply } from "./deps.js";
import { orderView } from "./views.js";

type Identifier = { type: "dns" | "ip"; value: string };
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const MAX_IDENTIFIERS = 100;

/** Normalised identifiers of a newOrder, or every problem with them (§7.4, RFC 8738). */
function parseIdentifiers(raw: unknown): Identifier[] {
  if (!Array.isArray(raw) || raw.length === 0) throw acmeError("bad_request", "malformed", '"identifiers" must be a non-empty array.');
  if (raw.length > MAX_IDENTIFIERS) throw acmeError("bad_request", "rejectedIdentifier", `At most ${MAX_IDENTIFIERS} identifiers per order.`);
  const out: Identifier[] = [];
  const sub: Violation[] = [];
  for (const [i, id] of raw.entries()) {
    if (!isObject(id) || typeof id.value !== "string") {
      sub.push({ field: `identifiers[${i}]`, code: "malformed", message: "Each identifier is {type, value}." });
      continue;
    }
    if (id.type === "dns") {
      const n = normaliseDns(id.value);
      if (!n || !n.includes(".") || (n.startsWith("*.") && n.slice(2).includes("*"))) sub.push({ field: `identifiers[${i}]`, code: "rejectedIdentifier", message: `${id.value.slice(0, 100)} is not a valid DNS name.`, value: { type: "dns", value: id.value.slice(0, 253) } });
      else out.push({ type: "dns", value: n });
    } else if (id.type === "ip") {
      const b = parseIp(id.value);
      if (!b) sub.push({ field: `identifiers[${i}]`, code: "rejectedIdentifier", message: `${id.value.slice(0, 100)} is not an IP address.`, value: { type: "ip", value: id.value.slice(0, 64) } });
      else out.push({ type: "ip", value: id.value.toLowerCase() });
    } else {
      sub.push({ field: `identifiers[${i}]`, code: "unsupportedIdentifier", message: `Identifier type ${String(id.type).slice(0, 20)} is not supported; use dns or ip.`, value: { type: String(id.type).slice(0, 20), value: id.value.slice(0, 100) } });
    }
  }
  if (sub.length) throw new StampError("validation", "Some identifiers cannot be ordered; see subproblems.", { acmeType: sub.some((s) => s.code === "unsupportedIdentifier") ? "unsupportedIdentifier" : "rejectedIdentifier", violations: sub });
  const seen = new Set<string>();
  return out.filter((x) => (seen.has(`${x.type}:${x.value}`) ? false : (seen.add(`${x.type}:${x.value}`), true)));
}

/** Asks the profile's template whether these names may be issued, before any challenge is done. */
async function checkTemplate(deps: AcmeDeps, p: ProfileRow, ids: Identifier[]): Promise<Violation[]> {
  const t = await deps.store.cert.templateById(p.template_id);
  const ca = p.ca_id ? await deps.store.ca.caById(p.ca_id) : undefined;
  if (!t) return [];
  const attributes = { altNames: ids.map((i) => ({ type: i.type === "dns" ? ("dns_name" as const) : ("ip_address" as const), value: i.value })) };
  const d = decideIssuance({
    template: compileTemplate(t),
    defaults: parseProfile(p).defaults,
    attributes,
    issuer: { selfSigned: !ca, keyAlgorithm: (ca?.key_algorithm ?? "EC_prime256v1") as KeyAlgorithm, notBefore: ca?.not_before ? new Date(ca.not_before) : new Date(0), notAfter: ca?.not_after ? new Date(ca.not_after) : new Date(8e15) },
    now: deps.rt.clock(),
    backdateSeconds: deps.certs.backdateSeconds,
  });
  return "violations" in d ? d.violations.filter((v) => v.field.startsWith("attributes.altNames") || v.field.startsWith("attributes.commonName")) : [];
}

/** Orders: create, read, and their status as authorizations complete (§7.4). */
export function acmeOrders(deps: AcmeDeps) {
  const { store, rt } = deps;

  /**
   * Brings an order's status up to date: ready when every authorization is valid, invalid when
   * one failed or it expired. Returns the order and, when it read them, its authorizations.
   */
  async function settle(o: AcmeOrderRow): Promise<{ order: AcmeOrderRow; authzs?: AcmeAuthzRow[] }> {
    if (o.status !== "pending") return { order: o };
    const authzs = await store.acme.authzsOf(o.id);
    const now = rt.clock();
    let to: [AcmeOrderRow["status"], Record<string, unknown>?] | undefined;
    if (new Date(o.expires_at) <= now) to = ["invalid", { type: "urn:ietf:params:acme:error:malformed", detail: "The order expired before it was ready." }];
    else if (authzs.some((a) => a.status === "invalid" || a.status === "deactivated" || a.status === "revoked")) to = ["invalid", { type: "urn:ietf:params:acme:error:unauthorized", detail: "An authorization of this order failed." }];
    else if (authzs.every((a) => a.status === "valid")) to = ["ready"];
    if (!to) return { order: o, authzs };
    // A transition another request made first leaves this one with nothing to return: read it.
    const order = (await store.acme.transitionOrder(o.id, ["pending"], to[0], to[1] ? { error: to[1] } : {})) ?? (await store.acme.orderById(o.id))!;
    return { order, authzs };
  }
  /** The order with its status brought up to date (settle). */
  const refresh = async (o: AcmeOrderRow) => (await settle(o)).order;
  /** The order as its owner sees it. */
  async function view(o: AcmeOrderRow, profileId: string): Promise<AcmeReply> {
    const u = acmeUrls(deps.publicUrl, profileId);
    const { order: fresh, authzs = await store.acme.authzsOf(o.id) } = await settle(o);
    const headers: Record<string, string> = { location: u.order(o.id) };
    if (fresh.status === "pending" || fresh.status === "processing") headers["retry-after"] = "1";
    return { status: 200, body: orderView(fresh, authzs.map((a) => a.id), u), headers };
  }

  return {
    refresh,
    view,
    /** POST new-order (§7.4); `replaces` names the certificate it renews (RFC 9773 §5). */
    async newOrder(profileId: string, body: unknown, ip: string | null): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      const auth = await authenticate(deps, p, body, u.newOrder, ip);
      const account = auth.account!;
      const payload = isObject(auth.jws.payload) ? auth.jws.payload : {};
      const { count, window_start } = await store.misc.hit(`acme:orders:${account.id}`, rt.clock(), 3600);
      if (count > deps.limits.ordersPerHourPerAccount) {
        throw new StampError("rate_limited", `This account created more than ${deps.limits.ordersPerHourPerAccount} orders in the last hour.`, { acmeType: "rateLimited", retryAfterSeconds: Math.max(1, Math.ceil((new Date(window_start).getTime() + 3600_000 - rt.clock().getTime()) / 1000)) });
      }
      const ids = parseIdentifiers(payload.identifiers);
      const cfg = p.acme_config!;
      for (const id of ids) {
        if (id.value.startsWith("*.") && !cfg.challengeTypes.includes("dns-01")) throw acmeError("bad_request", "rejectedIdentifier", `Wildcard names need dns-01, which this profile does not allow: ${id.value}.`);
      }
      const refused = await checkTemplate(deps, p, ids);
      if (refused.length) throw new StampError("validation", "The profile's template does not allow some of these identifiers; see subproblems.", { acmeType: "rejectedIdentifier", violations: refused });
      const date = (v: unknown, name: string) => {
        if (v === undefined) return null;
        const d = typeof v === "string" ? new Date(v) : new Date(NaN);
        if (Number.isNaN(d.getTime())) throw acmeError("bad_request", "malformed", `"${name}" must be an RFC 3339 date.`);
        return d;
      };
      const notBefore = date(payload.notBefore, "notBefore");
      const notAfter = date(payload.notAfter, "notAfter");
      let replaces: string | null = null;
      let replacedOrderId: string | null = null;
      if (payload.replaces !== undefined) {
        if (typeof payload.replaces !== "string") throw acmeError("bad_request", "malformed", '"replaces" must be an ARI certificate identifier.');
        const old = await findByAriId(deps, payload.replaces);
        const oldOrder = old ? await store.acme.orderByCertificate(old.id) : undefined;
        if (!old || !oldOrder || oldOrder.account_id !== account.id) throw acmeError("bad_request", "malformed", '"replaces" names no certificate this account was issued (RFC 9773 §5).');
        replaces = payload.replaces;
        replacedOrderId = oldOrder.id;
        // Bring earlier replacements up to date first: one whose authorization failed is invalid and no longer counts.
        for (const x of await store.acme.ordersReplacing(account.id)) {
          if (x.status === "pending" && ariKey(x.replaces!) === ariKey(replaces)) await refresh((await store.acme.orderById(x.id))!);
        }
      }
      const now = rt.clock();
      const orderId = rt.uuid();
      const authzExpires = new Date(now.getTime() + cfg.authorizationLifetimeSeconds * 1000);
      const authzs = ids.map((id) => {
        const wildcard = id.value.startsWith("*.");
        // RFC 8555 §7.1.4: a wildcard is proved with dns-01 on its base name; RFC 8738 §7: IPs take no dns-01.
        const types = cfg.challengeTypes.filter((t) => (wildcard ? t === "dns-01" : id.type === "ip" ? t !== "dns-01" : true));
        return {
          id: rt.uuid(),
          type: id.type,
          value: wildcard ? id.value.slice(2) : id.value,
          wildcard,
          expiresAt: authzExpires,
          challenges: types.map((type) => ({ id: rt.uuid(), type, token: rt.random(32).toString("base64url") })),
        };
      });
      const order = { id: orderId, accountId: account.id, profileId: p.id, identifiers: ids, notBefore, notAfter, expiresAt: new Date(now.getTime() + cfg.orderLifetimeSeconds * 1000), replaces };
      // One statement; a replacement also takes the lock on the replaced order, in a transaction.
      const created = !(replaces && replacedOrderId)
        ? await store.acme.insertOrder(order, authzs)
        : await store.transaction(async (tx) => {
            // RFC 9773 §5: one live replacement per certificate. The lock on the replaced
            // certificate's order makes two concurrent replacements take turns.
            await tx.acme.lockOrder(replacedOrderId);
            const key = ariKey(replaces);
            const live = (await tx.acme.ordersReplacing(account.id)).filter((x) => ariKey(x.replaces!) === key && (x.status === "valid" || new Date(x.expires_at) > now));
            if (live.length) throw acmeError("conflict", "alreadyReplaced", `The certificate ${replaces} is already replaced by order ${acmeUrls(deps.publicUrl, p.id).order(live[0].id)}; finalize that order, or let it fail, instead of ordering again.`);
            return tx.acme.insertOrder(order, authzs);
          });
      const r = await view(created, p.id);
      return { ...r, status: 201 };
    },
    /** POST order/:id (POST-as-GET). */
    async order(profileId: string, orderId: string, body: unknown, ip: string | null): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      const auth = await authenticate(deps, p, body, u.order(orderId), ip);
      const o = /^[0-9a-f-]{36}$/i.test(orderId) ? await store.acme.orderById(orderId) : undefined;
      if (!o || o.account_id !== auth.account!.id) throw acmeError("not_found", "malformed", "No such order for this account.");
      return view(o, p.id);
    },
  };
}

/** An ARI identifier in one spelling (base64url without padding), to compare two of them. */
function ariKey(certId: string): string {
  const p = parseAriCertId(certId);
  return p ? `${Buffer.from(p.aki).toString("base64url")}.${Buffer.from(p.serial).toString("base64url")}` : certId;
}

/** The certificate an ARI identifier names (RFC 9773 §4.1: AKI keyIdentifier . serial). */
export async function findByAriId(deps: AcmeDeps, certId: string) {
  const [, serialB64] = certId.split(".");
  const serial = serialB64 ? fromBase64url(serialB64) : null;
  if (!serial || serial.length === 0 || serial.length > 21) return undefined;
  let hex = Buffer.from(serial).toString("hex");
  while (hex.startsWith("00") && hex.length > 2) hex = hex.slice(2);
  const row = await deps.store.cert.certificateBySerial(hex);
  return row;
}

/** Maps a StampError with violations to ACME subproblems (RFC 8555 §6.7.1). */
export function subproblems(e: unknown) {
  if (!isStampError(e) || !e.violations.length) return undefined;
  return e.violations.map((v) => ({
    type: `urn:ietf:params:acme:error:${v.code === "unsupportedIdentifier" ? "unsupportedIdentifier" : e.acmeType ?? "malformed"}`,
    detail: `${v.field}: ${v.message}`,
    ...(isObject(v.value) && typeof (v.value as { type?: unknown }).type === "string" ? { identifier: v.value } : {}),
  }));
}
