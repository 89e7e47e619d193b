import { errors, isStampError, StampError, type Violation } from "../../../errors.js";
import { parseCsr, type ParsedCsr } from "../../../pki/csr.js";
import { certsOnlyPkcs7, encodeCsrAttrs } from "../../../pki/est.js";
import { pemBlocks, toPem } from "../../../pki/pem.js";
import { isKeyAlgorithm } from "../../../pki/algorithms.js";
import type { IssuanceAttributes } from "../../../policy/issuance.js";
import type { CertificateRow, ProfileRow } from "../../store/cert.repo.js";
import { issueCertificate } from "../certs/issue.js";
import { compileTemplate } from "../certs/templates.js";
import type { RequestContext } from "../context.js";
import { createEstAuth, estActor } from "./auth.js";
import { csrAttrsOf } from "./csr-attrs.js";
import type { EstCredentials, EstDeps } from "./deps.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What an enrollment answers: the certs-only CMS, and for serverkeygen the PKCS#8 key too. */
export interface EstIssued {
  pkcs7: Uint8Array;
  /** PKCS#8 PrivateKeyInfo DER (serverkeygen, RFC 7030 §4.4.2). */
  privateKey?: Uint8Array;
  certificateId: string;
}

/** Sorted, lower-cased SANs of one type, for §4.2.2's "identical" comparison. */
const norm = (xs: readonly string[] | undefined) => [...(xs ?? [])].map((x) => x.toLowerCase()).sort();

/** RFC 7030 EST: cacerts, simpleenroll, simplereenroll, serverkeygen and csrattrs on a profile. */
export function createEst(deps: EstDeps) {
  const { store } = deps;
  const auth = createEstAuth(deps);

  /** The profile an EST label names (its id, or a slug no other project uses) with EST on; 404 otherwise. */
  async function profileFor(label: string): Promise<ProfileRow> {
    let p: ProfileRow | undefined;
    if (UUID.test(label)) p = await store.cert.profileById(label.toLowerCase());
    else if (/^[a-z0-9][a-z0-9-]{0,62}$/.test(label)) {
      const found = await store.cert.profilesBySlug(label);
      if (found.length > 1) throw new StampError("not_found", `The EST label ${label} names profiles in several projects; use the profile id.`);
      p = found[0];
    }
    if (!p || !p.enrollment_methods.includes("est")) throw errors.notFound(`EST service ${label.slice(0, 100)}`);
    return p;
  }

  /** The profile's issuing CA certificate and its chain up to the root, DER, issuer-first order. */
  async function caChain(p: ProfileRow): Promise<Uint8Array[]> {
    const ca = p.ca_id ? await store.ca.caById(p.ca_id) : undefined;
    const current = ca?.active_certificate_id ? await store.ca.certificateById(ca.active_certificate_id) : undefined;
    if (!current) throw errors.conflict("The profile has no CA certificate to publish (a self-signed profile, or a CA without its certificate).");
    const out: Uint8Array[] = [new Uint8Array(current.certificate)];
    for (const b of pemBlocks(current.chain_pem)) if (!out.some((d) => Buffer.compare(d, b.der) === 0)) out.push(b.der);
    return out;
  }

  /** Reads a request body as a PKCS#10 CSR (base64 DER, PEM or DER); garbage is a 400 naming why. */
  function readCsr(body: Uint8Array): ParsedCsr {
    try {
      const csr = parseCsr(body);
      if (!csr.signatureValid) throw errors.badRequest("The CSR's signature does not verify with its own key (RFC 2986 §3).");
      return csr;
    } catch (e) {
      if (isStampError(e)) throw errors.badRequest(`The body is not a PKCS#10 certificate request: ${e.message}`);
      throw e;
    }
  }

  /** Issues through the one issue path, as the authenticated EST client. */
  async function issue(p: ProfileRow, ip: string | null, actor: { type: string; id: string }, input: { csr?: ParsedCsr; attributes?: IssuanceAttributes }, renewedFrom?: CertificateRow): Promise<EstIssued> {
    const ctx: RequestContext = { principal: null, sourceIp: ip };
    const r = await issueCertificate(deps.certs, ctx, { profileId: p.id, csr: input.csr ? toPem(input.csr.der, "CERTIFICATE REQUEST") : undefined, attributes: input.attributes ?? {}, removeRootsFromChain: false }, { via: { method: "est", actor }, renewedFrom });
    if (!r.certificate) throw errors.internal("An EST enrollment produced no certificate.");
    const der = pemBlocks(r.certificate.certificate)[0].der;
    const privateKey = r.certificate.privateKey ? pemBlocks(r.certificate.privateKey)[0].der : undefined;
    return { pkcs7: certsOnlyPkcs7([der]), privateKey, certificateId: r.certificate.certificateId };
  }

  return {
    /** GET cacerts (RFC 7030 §4.1): the profile's CA chain, no authentication (§4.1.1). */
    async cacerts(label: string): Promise<Uint8Array> {
      return certsOnlyPkcs7(await caChain(await profileFor(label)));
    },
    /** GET csrattrs (RFC 7030 §4.5): what the template asks of a CSR; null when nothing (204). */
    async csrattrs(label: string): Promise<Uint8Array | null> {
      const p = await profileFor(label);
      const t = await store.cert.templateById(p.template_id);
      if (!t) throw errors.internal("The profile's template is missing.");
      const items = csrAttrsOf(compileTemplate(t));
      return items.length ? encodeCsrAttrs(items) : null;
    },
    /** POST simpleenroll (RFC 7030 §4.2.1): the CSR's subject and names, decided by the template. */
    async simpleenroll(label: string, body: Uint8Array, creds: EstCredentials, ip: string | null): Promise<EstIssued> {
      const p = await profileFor(label);
      const client = await auth.authenticate(p, creds, ip);
      return issue(p, ip, estActor(client), { csr: readCsr(body) });
    },
    /**
     * POST simplereenroll (RFC 7030 §4.2.2): the client presents the certificate it renews; the
     * CSR must keep its subject and subjectAltName, and the old certificate is marked renewed.
     */
    async simplereenroll(label: string, body: Uint8Array, creds: EstCredentials, ip: string | null): Promise<EstIssued> {
      const p = await profileFor(label);
      const { cert, row } = await auth.reenrollClient(p, creds);
      const csr = readCsr(body);
      const v: Violation[] = [];
      const want = JSON.stringify(Object.entries(cert.subjectFields).sort());
      if (JSON.stringify(Object.entries(csr.subjectFields).sort()) !== want) v.push({ field: "csr.subject", code: "subject_changed", message: `A re-enrollment keeps the subject (RFC 7030 §4.2.2): "${cert.subjectText}", not "${csr.subjectText}".` });
      const sans = csr.requestedExtensions.sans;
      for (const k of ["dns", "ip", "email", "uri"] as const) {
        if (JSON.stringify(norm(sans?.[k])) !== JSON.stringify(norm(cert.sans?.[k]))) v.push({ field: `csr.subjectAltName.${k}`, code: "san_changed", message: `A re-enrollment keeps the subjectAltName (RFC 7030 §4.2.2): ${k} ${norm(cert.sans?.[k]).join(", ") || "(none)"}, not ${norm(sans?.[k]).join(", ") || "(none)"}.` });
      }
      if (v.length) throw errors.validation("The re-enrollment CSR changes the certificate's names.", v);
      return issue(p, ip, estActor({ kind: "stamp-certificate", cert, row }), { csr }, row);
    },
    /**
     * POST serverkeygen (RFC 7030 §4.4): the server makes the key; the CSR (signed by any key
     * of the client's) gives the subject and names, and its key type picks the new key's.
     */
    async serverkeygen(label: string, body: Uint8Array, creds: EstCredentials, ip: string | null): Promise<EstIssued> {
      const p = await profileFor(label);
      const client = await auth.authenticate(p, creds, ip);
      const csr = readCsr(body);
      const f = csr.subjectFields;
      const s = csr.requestedExtensions.sans;
      const attributes: IssuanceAttributes = {
        ...(f.commonName ? { commonName: f.commonName } : {}),
        ...(f.organization ? { organization: f.organization } : {}),
        ...(f.ou ? { organizationalUnit: f.ou } : {}),
        ...(f.country ? { country: f.country } : {}),
        ...(f.province ? { state: f.province } : {}),
        ...(f.locality ? { locality: f.locality } : {}),
        ...(s ? { altNames: [...s.dns.map((value) => ({ type: "dns_name" as const, value })), ...s.ip.map((value) => ({ type: "ip_address" as const, value })), ...s.email.map((value) => ({ type: "email" as const, value })), ...s.uri.map((value) => ({ type: "uri" as const, value }))] } : {}),
        ...(csr.keyAlgorithm && isKeyAlgorithm(csr.keyAlgorithm) ? { keyAlgorithm: csr.keyAlgorithm } : {}),
      };
      return issue(p, ip, estActor(client), { attributes });
    },
  };
}
