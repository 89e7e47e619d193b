import { acmeError, isStampError, StampError } from "../../../errors.js";
import { fromBase64url, parseAriCertId } from "../../../pki/acme-crypto.js";
import { jwkThumbprint } from "../../../pki/acme-jws.js";
import { parseCertificate } from "../../../pki/certificate-parse.js";
import { parseCsr } from "../../../pki/csr.js";
import { toPem } from "../../../pki/pem.js";
import { parseIp } from "../../../policy/san-syntax.js";
import { normaliseDns } from "../../../policy/san-syntax.js";
import { issueCertificate } from "../certs/issue.js";
import { revokeCertificate } from "../certs/revoke.js";
import { acmeProfile, authenticate } from "./auth.js";
import { acmeUrls, type AcmeDeps, type AcmeReply } from "./deps.js";
import { findByAriId, type acmeOrders } from "./orders.js";

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
/** RFC 5280 reason codes ACME clients may give (RFC 8555 §7.6), by the API's names. */
const ACME_REASONS: Record<number, string> = { 0: "UNSPECIFIED", 1: "KEY_COMPROMISE", 3: "AFFILIATION_CHANGED", 4: "SUPERSEDED", 5: "CESSATION_OF_OPERATION", 9: "PRIVILEGE_WITHDRAWN" };

/** Finalize, download, revoke and renewal information (§7.4, §7.4.2, §7.6; RFC 9773). */
export function acmeFinalize(deps: AcmeDeps, orders: ReturnType<typeof acmeOrders>) {
  const { store, rt } = deps;

  return {
    /** POST order/:id/finalize {csr}: the CSR must name exactly the order's identifiers (§7.4). */
    async finalize(profileId: string, orderId: string, body: unknown, ip: string | null): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      const auth = await authenticate(deps, p, body, u.finalize(orderId), ip);
      const account = auth.account!;
      let o = /^[0-9a-f-]{36}$/i.test(orderId) ? await store.acme.orderById(orderId) : undefined;
      if (!o || o.account_id !== account.id) throw acmeError("not_found", "malformed", "No such order for this account.");
      o = await orders.refresh(o);
      if (o.status !== "ready") {
        if (o.status === "processing" || o.status === "valid") return orders.view(o, p.id);
        throw acmeError("forbidden", "orderNotReady", `The order is ${o.status}; finalize it once every authorization is valid.`);
      }
      const payload = auth.jws.payload;
      const der = isObject(payload) && typeof payload.csr === "string" ? fromBase64url(payload.csr) : null;
      if (!der) throw acmeError("bad_request", "malformed", '"csr" must be the base64url DER of a PKCS#10 request.');
      let csr;
      try {
        csr = parseCsr(der);
      } catch (e) {
        if (isStampError(e)) throw acmeError("bad_request", "badCSR", e.message);
        throw e;
      }
      // RFC 8555 §7.4: the CSR's names are exactly the order's identifiers (the CN, if any, among them).
      const want = new Set(o.identifiers.map((i) => `${i.type}:${i.value}`));
      const got = new Set<string>();
      for (const d of csr.requestedExtensions.sans?.dns ?? []) got.add(`dns:${normaliseDns(d) ?? d}`);
      for (const ip2 of csr.requestedExtensions.sans?.ip ?? []) got.add(`ip:${ip2.toLowerCase()}`);
      const cn = csr.subjectFields.commonName;
      if (cn) got.add(parseIp(cn) ? `ip:${cn.toLowerCase()}` : `dns:${normaliseDns(cn) ?? cn}`);
      const missing = [...want].filter((x) => !got.has(x));
      const extra = [...got].filter((x) => !want.has(x));
      if (missing.length || extra.length) {
        throw acmeError("bad_request", "badCSR", `The CSR must name exactly the order's identifiers.${extra.length ? ` Not in the order: ${extra.join(", ")}.` : ""}${missing.length ? ` Missing: ${missing.join(", ")}.` : ""}`);
      }
      // Two finalizes of one order (perhaps on two servers): one wins, the other sees "processing".
      if (!(await store.acme.transitionOrder(o.id, ["ready"], "processing"))) return orders.view((await store.acme.orderById(o.id))!, p.id);
      let done: typeof o | undefined;
      try {
        const attributes: Record<string, unknown> = {};
        if (o.not_before) attributes.notBefore = new Date(o.not_before).toISOString();
        if (o.not_after) attributes.notAfter = new Date(o.not_after).toISOString();
        // A CSR without a CN (certbot's) gets the first identifier that fits (RFC 5280 ub-common-name 64), as Let's Encrypt does.
        if (!cn) {
          const first = o.identifiers.find((i) => [...i.value].length <= 64);
          if (first) attributes.commonName = first.value;
        }
        const issued = await issueCertificate(deps.certs, { principal: null, sourceIp: ip }, { profileId: p.id, csr: toPem(csr.der, "CERTIFICATE REQUEST"), attributes, removeRootsFromChain: false }, { via: { method: "acme", actor: { type: "acme-account", id: account.id } } });
        if (!issued.certificate) throw new Error("unexpected preview");
        done = await store.acme.transitionOrder(o.id, ["processing"], "valid", { certificate_id: issued.certificate.certificateId });
      } catch (e) {
        // RFC 8555 §6.7: the reasons go in the detail (clients show it) as well as in subproblems.
        const detail = !isStampError(e) ? "The certificate could not be issued." : e.violations.length ? `The CSR was refused: ${e.violations.map((x) => x.message).join(" ").slice(0, 2000)}` : e.message;
        await store.acme.transitionOrder(o.id, ["processing"], "invalid", { error: { type: "urn:ietf:params:acme:error:badCSR", detail } });
        if (isStampError(e) && (e.kind === "validation" || e.kind === "bad_request")) throw new StampError("bad_request", detail, { acmeType: "badCSR", violations: e.violations });
        throw e;
      }
      return orders.view(done ?? (await store.acme.orderById(o.id))!, p.id);
    },
    /** POST cert/:id (POST-as-GET): the PEM chain, leaf first (§7.4.2). */
    async certificate(profileId: string, certificateId: string, body: unknown, ip: string | null): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      const auth = await authenticate(deps, p, body, u.cert(certificateId), ip);
      const o = /^[0-9a-f-]{36}$/i.test(certificateId) ? await store.acme.orderByCertificate(certificateId) : undefined;
      const c = o ? await store.cert.certificateById(certificateId) : undefined;
      if (!o || !c || o.account_id !== auth.account!.id) throw acmeError("not_found", "malformed", "No such certificate for this account.");
      return { status: 200, pem: toPem(c.certificate, "CERTIFICATE") + c.chain_pem };
    },
    /** POST revoke-cert: by the account that ordered it, or signed by the certificate's own key (§7.6). */
    async revoke(profileId: string, body: unknown, ip: string | null): Promise<AcmeReply> {
      const p = await acmeProfile(deps, profileId);
      const u = acmeUrls(deps.publicUrl, p.id);
      const auth = await authenticate(deps, p, body, u.revokeCert, ip, { allowJwk: true });
      const payload = auth.jws.payload;
      const der = isObject(payload) && typeof payload.certificate === "string" ? fromBase64url(payload.certificate) : null;
      if (!der) throw acmeError("bad_request", "malformed", '"certificate" must be the base64url DER of the certificate to revoke.');
      let parsed;
      try {
        parsed = parseCertificate(der);
      } catch (e) {
        if (isStampError(e)) throw acmeError("bad_request", "malformed", e.message);
        throw e;
      }
      const reason = isObject(payload) && payload.reason !== undefined ? payload.reason : 0;
      if (typeof reason !== "number" || !(reason in ACME_REASONS)) throw acmeError("bad_request", "badRevocationReason", "The reason must be 0, 1, 3, 4, 5 or 9 (RFC 5280 §5.3.1; a hold cannot be requested over ACME).");
      const row = await store.cert.certificateBySerial(parsed.serialHex.toLowerCase().replace(/^(00)+(?=..)/, ""));
      if (!row || Buffer.compare(Buffer.from(row.certificate), Buffer.from(der)) !== 0 || row.profile_id !== p.id) throw acmeError("not_found", "malformed", "This ACME server did not issue that certificate.");
      const order = await store.acme.orderByCertificate(row.id);
      const byAccount = auth.account && order && order.account_id === auth.account.id;
      const byKey = !auth.account && auth.jwk && (() => {
        try {
          return Buffer.compare(Buffer.from(auth.key.export({ type: "spki", format: "der" })), Buffer.from(parsed.spki)) === 0;
        } catch {
          return false;
        }
      })();
      if (!byAccount && !byKey) throw acmeError("forbidden", "unauthorized", "Only the account that ordered the certificate, or its own key, may revoke it.");
      const actor = { type: auth.account ? "acme-account" : "acme-certificate-key", id: auth.account?.id ?? jwkThumbprint(auth.jwk!) };
      try {
        await revokeCertificate(deps.certs, { principal: null, sourceIp: ip, actor }, row, { reason: ACME_REASONS[reason], detail: { via: "acme" } });
      } catch (e) {
        // RFC 8555 §7.6: revoking a revoked certificate is alreadyRevoked (a hold may still become final).
        if (isStampError(e, "conflict")) throw acmeError("bad_request", "alreadyRevoked", e.message);
        throw e;
      }
      return { status: 200 };
    },
    /** GET renewal-info/:certId: when to renew (RFC 9773 §4.2); revoked certificates: now. */
    async renewalInfo(profileId: string, certId: string): Promise<AcmeReply> {
      await acmeProfile(deps, profileId);
      if (!parseAriCertId(certId)) throw acmeError("bad_request", "malformed", "The renewal-info path must end in an ARI certificate identifier (base64url AKI keyIdentifier . base64url serial).");
      const c = await findByAriId(deps, certId);
      const aki = c ? parseCertificate(c.certificate).aki : undefined;
      if (!c || !aki || !sameAri(certId, aki, c.serial)) {
        throw acmeError("not_found", "malformed", "No certificate with that identifier.");
      }
      const nb = new Date(c.not_before).getTime();
      const na = new Date(c.not_after).getTime();
      const now = rt.clock().getTime();
      // The last third of the lifetime, its first half suggested; a revoked certificate: renew now.
      const [start, end] = c.status === "revoked" ? [now - 3600_000, now] : [na - (na - nb) / 3, na - (na - nb) / 6];
      return { status: 200, body: { suggestedWindow: { start: new Date(start).toISOString(), end: new Date(end).toISOString() } }, headers: { "retry-after": "21600" } };
    },
  };
}

/** True when an ARI id names this AKI and serial (the serial with or without its sign octet). */
function sameAri(certId: string, aki: Uint8Array, serialHex: string) {
  const parsed = parseAriCertId(certId);
  if (!parsed) return false;
  const strip = (b: Uint8Array) => Buffer.from(b).toString("hex").replace(/^(00)+(?=..)/, "");
  return Buffer.compare(Buffer.from(parsed.aki), Buffer.from(aki)) === 0 && strip(parsed.serial) === serialHex.replace(/^(00)+(?=..)/, "");
}
