import { renewalWindowViolation } from "../../../policy/renewal-window.js";
import { errors, isStampError, type Violation } from "../../../errors.js";
import { isKeyAlgorithm, type KeyAlgorithm } from "../../../pki/algorithms.js";
import { parseCsrAsync, type ParsedCsr } from "../../../pki/csr.js";
import { checkPublicKey } from "../../../pki/key-checks.js";
import { ekuFromOid, kuFromRfc } from "../../../policy/vocabulary.js";
import { decideIssuance, type IssuanceAttributes, type IssuanceRequest, type IssuerFacts } from "../../../policy/issuance.js";
import type { CertificateRow } from "../../store/cert.repo.js";
import type { Store } from "../../store/store.js";
import { audit, auditEntry } from "../audit.js";
import type { RequestContext, Runtime } from "../context.js";
import { requireProfileAccess } from "./access.js";
import { parseProfile, type Profile } from "./profile.js";
import type { IssueStore, LeafPort, LeafSigner } from "./ports.js";
import type { TemplateInput } from "../../../policy/template.js";
import { templateWarnings } from "../../../policy/template-narrow.js";
import { compileTemplate } from "./templates.js";
import { withoutRoot } from "./view.js";
import { toPem } from "../../../pki/pem.js";
import type { ExternalIssuePort } from "../external/ports.js";

/** What the certificate use cases need. */
export interface CertDeps {
  store: Store;
  rt: Runtime;
  leaf: LeafPort;
  /** Seconds certificates are backdated against clock skew. */
  backdateSeconds: number;
  /** Told after a revocation or a lifted hold commits (CRL rebuild, OCSP cache). */
  onRevocationChange?: (caId: string) => void;
  /** Told after an issuance, renewal, failed server-driven renewal or revocation commits (alerts); must not throw. */
  onEvent?: (e: CertEvent) => Promise<void> | void;
  /** External CAs: profiles whose CA is external queue a request instead of signing (issue 11). */
  external?: ExternalIssuePort;
}

/** A certificate event, reported after its change committed. */
export interface CertEvent {
  type: "issued" | "renewed" | "renewal_failed" | "revoked";
  certificateId: string;
  /** The certificate's project, when the reporter knows it (alerts then skip a project without rules at no cost). */
  projectId?: string;
  /** Why a renewal failed. */
  reason?: string;
  /** The certificate's profile, when the reporter knows it (metrics count by it). */
  profileId?: string | null;
}

/** What the issue path needs: the certificate use cases' dependencies, with only the store it reads and writes. */
export type IssueDeps = Omit<CertDeps, "store"> & { store: IssueStore };

/** POST /api/v1/cert-manager/certificates (and …/preview, and renewals). */
export interface IssueInput {
  profileId: string;
  csr?: string;
  attributes: IssuanceAttributes;
  removeRootsFromChain: boolean;
  /** Key/value pairs kept with the certificate (Infisical's metadata). */
  metadata?: { key: string; value: string }[];
}

const FAR_PAST = new Date(Date.UTC(1950, 0, 1));
const FAR_FUTURE = new Date(Date.UTC(9999, 11, 31, 23, 59, 59));

/** The altNames list (API shape) of a decided request. */
function altNamesOf(r: IssuanceRequest) {
  return [
    ...(r.sans.dns ?? []).map((value) => ({ type: "dns_name", value })),
    ...(r.sans.ip ?? []).map((value) => ({ type: "ip_address", value })),
    ...(r.sans.email ?? []).map((value) => ({ type: "email", value })),
    ...(r.sans.uri ?? []).map((value) => ({ type: "uri", value })),
  ];
}

/**
 * The one issue path: load the profile, authorize, parse and check the CSR's key, let policy
 * decide (every violation at once), then have the CA build, lint, record and sign. Renewal
 * and (later) ACME, EST and SCEP end here too.
 */
export async function issueCertificate(deps: IssueDeps, ctx: RequestContext, input: IssueInput, opts: { preview?: boolean; renewedFrom?: CertificateRow; reuseKey?: { ref: unknown; spki: Uint8Array; keyAlgorithm: KeyAlgorithm }; via?: { method: "acme" | "api" | "est" | "scep"; actor: { type: string; id: string } }; awaitDelivery?: boolean } = {}) {
  const { store, rt, leaf } = deps;
  const row = await store.cert.profileById(input.profileId);
  if (!row) throw errors.notFound("Certificate profile", input.profileId);
  const profile = parseProfile(row);
  if (opts.via) {
    // Another enrollment method (ACME) authorized the caller its own way; the profile must allow it.
    if (!profile.enrollment_methods.includes(opts.via.method)) throw errors.forbidden(`Profile ${profile.slug} does not allow ${opts.via.method.toUpperCase()} enrollment.`);
    ctx = { ...ctx, principal: null, actor: opts.via.actor };
  } else {
    await requireProfileAccess(store, ctx, profile, { type: "Certificate profile", id: profile.id });
    if (!profile.enrollment_methods.includes("api")) {
      throw errors.forbidden(`Profile ${profile.slug} does not allow API enrollment.`, { projectId: profile.project_id, objectType: "certificate-profile", objectId: profile.id, detail: { reason: "API enrollment is off" } });
    }
  }
  const templateRow = await store.cert.templateById(profile.template_id);
  if (!templateRow) throw errors.internal("The profile's template is missing.");
  const template = compileTemplate(templateRow);
  const violations: Violation[] = [];
  const auditFailure = async (v: Violation[]) =>
    audit(store, rt, ctx, { projectId: profile.project_id, action: opts.preview ? "certificate.preview" : "certificate.issue", objectType: "certificate-profile", objectId: profile.id, outcome: "failure", detail: { violations: v.map((x) => `${x.field}:${x.code}`).slice(0, 50) } });
  /** A refused request: audited, and (not for a preview) kept as a `failed` certificate request; its message names the request. */
  const refuse = async (message: string, v: Violation[]) => {
    await auditFailure(v);
    if (opts.preview) return errors.validation(message, v);
    const requestId = await recordFailedRequest(deps, profile, input, v);
    return errors.validation(`${message} Certificate request ${requestId} records the refusal.`, v);
  };

  let csr: ParsedCsr | undefined;
  if (input.csr !== undefined) {
    try {
      csr = await parseCsrAsync(input.csr);
    } catch (e) {
      if (!isStampError(e)) throw e;
      throw await refuse("The CSR could not be read; see violations.", [{ field: "csr", code: "unparseable", message: e.message, value: input.csr.slice(0, 100) }]);
    }
    violations.push(...checkPublicKey(csr.spki, { field: "csr" }));
    if (await store.ca.isCaKey(csr.spki)) violations.push({ field: "csr", code: "key_is_ca_key", message: "The CSR's key is a CA's own key; use a key of its own for each certificate." });
  }

  // The issuer's facts for policy: a CA, or for self-signed leaves the subject key itself.
  let issuerFacts: IssuerFacts;
  let ca = null;
  const externalCa = profile.external_ca_id ? await store.external.caById(profile.external_ca_id) : undefined;
  if (profile.external_ca_id) {
    if (!externalCa || !deps.external) throw errors.conflict("The profile's external CA no longer exists.");
    if (opts.preview) throw errors.conflict("The profile's CA is external: the public CA builds the certificate, so there is no preview.");
    // The public CA decides the key and lifetime it accepts last; the template is checked here first.
    issuerFacts = { selfSigned: false, keyAlgorithm: "EC_prime256v1", notBefore: FAR_PAST, notAfter: FAR_FUTURE };
  } else if (profile.issuer_type === "ca") {
    ca = profile.ca_id ? await store.ca.caById(profile.ca_id) : undefined;
    if (!ca || !ca.not_before || !ca.not_after) throw errors.conflict("The profile's CA no longer exists or has no certificate.");
    if (ca.status !== "active") throw errors.conflict(`The profile's CA ${ca.name} is ${ca.status}; only an active CA issues certificates.`);
    issuerFacts = { selfSigned: false, keyAlgorithm: ca.key_algorithm as KeyAlgorithm, notBefore: new Date(ca.not_before), notAfter: new Date(ca.not_after) };
  } else {
    if (csr) violations.push({ field: "csr", code: "self_signed_needs_server_key", message: "A self-signed profile signs with the certificate's own key, so the server must generate it: leave out the CSR." });
    const alg = opts.reuseKey?.keyAlgorithm ?? input.attributes.keyAlgorithm ?? profile.defaults.keyAlgorithm ?? "EC_prime256v1";
    issuerFacts = { selfSigned: true, keyAlgorithm: isKeyAlgorithm(alg) ? alg : "EC_prime256v1", notBefore: FAR_PAST, notAfter: FAR_FUTURE };
  }

  const decided = decideIssuance({
    template,
    defaults: profile.defaults,
    attributes: input.attributes,
    csr: csr && {
      subjectFields: csr.subjectFields,
      sans: csr.requestedExtensions.sans,
      keyAlgorithm: csr.keyAlgorithm,
      keyDescription: csr.keyDescription,
      signatureValid: csr.signatureValid,
      requestedKeyUsage: csr.requestedExtensions.keyUsage,
      requestedEku: csr.requestedExtensions.extendedKeyUsage,
      commonNames: csr.commonNames,
      requestedBasicConstraints: csr.requestedExtensions.basicConstraints,
      unknownCriticalExtensions: csr.requestedExtensions.unknownCritical,
    },
    issuer: issuerFacts,
    now: rt.clock(),
    backdateSeconds: deps.backdateSeconds,
  });
  if ("violations" in decided) violations.push(...decided.violations);
  if (opts.reuseKey && "request" in decided && decided.request.keyAlgorithm !== opts.reuseKey.keyAlgorithm) {
    violations.push({ field: "renewalKeySource", code: "key_algorithm_changed", message: `The profile now asks for ${decided.request.keyAlgorithm} keys; renew with a new key.`, value: opts.reuseKey.keyAlgorithm });
  }
  // A server-made key under auto-renewal must outlive its window, or renewal never converges.
  if ("request" in decided && !csr) {
    const api = profile.api_config as { autoRenew?: boolean; renewBeforeDays?: number | null };
    const autoRenew = opts.renewedFrom?.auto_renew ?? api.autoRenew ?? false;
    const window = opts.renewedFrom?.renew_before_days ?? api.renewBeforeDays ?? null;
    const lifetime = decided.request.notAfter.getTime() - rt.clock().getTime();
    const v = autoRenew && window ? renewalWindowViolation(lifetime, window, "attributes.ttl", "The certificate would live") : null;
    if (v) violations.push(v);
  }
  if (violations.length || !("request" in decided)) throw await refuse("The certificate request breaks the rules; see violations.", violations);
  const req = decided.request;
  if (externalCa && deps.external) {
    return deps.external.submit(ctx, {
      profile: row,
      ca: externalCa,
      request: req,
      // The public CA picks the lifetime; the ttl asked for is kept so a renewal asks the same (not the CA's lifetime).
      attributes: { ...input.attributes, keyAlgorithm: req.keyAlgorithm, ttl: input.attributes.ttl ?? profile.defaults.ttl },
      csrDer: csr?.der ?? null,
      reuseKey: opts.reuseKey && { ref: opts.reuseKey.ref, keyAlgorithm: opts.reuseKey.keyAlgorithm },
      removeRootsFromChain: input.removeRootsFromChain,
      metadata: input.metadata ?? [],
      renewedFrom: opts.renewedFrom,
      keyUsages: req.keyUsage.map((k) => kuFromRfc(k) ?? k),
      extendedKeyUsages: req.extendedKeyUsage.map((o) => ekuFromOid(o) ?? o),
      altNames: altNamesOf(req),
    });
  }
  const certificateId = rt.uuid();

  // The subject key: from the CSR, reused on renewal, or made and sealed by the CA module.
  let spki: Uint8Array;
  let keyRef: unknown = null;
  let privateKeyPem: string | undefined;
  if (csr) spki = csr.spki;
  else if (opts.reuseKey) ({ ref: keyRef, spki } = opts.reuseKey);
  else if (opts.preview) spki = await leaf.previewSpki(req.keyAlgorithm);
  else ({ ref: keyRef, spki, privateKeyPem } = await leaf.generateSubjectKey(req.keyAlgorithm, certificateId));

  const signer: LeafSigner = ca ? { kind: "ca", caId: ca.id } : { kind: "self-signed", keyRef, keyAlgorithm: req.keyAlgorithm };
  const spec = { subject: req.subject, sans: req.sans, keyUsage: req.keyUsage, extendedKeyUsage: req.extendedKeyUsage, notBefore: req.notBefore, notAfter: req.notAfter };
  let prepared;
  try {
    prepared = await leaf.prepare(signer, spec, spki, opts.preview ? null : certificateId);
  } catch (e) {
    if (isStampError(e, "validation")) throw await refuse(e.message, e.violations);
    throw e;
  }
  const keyUsages = req.keyUsage.map((k) => kuFromRfc(k) ?? k);
  const extendedKeyUsages = req.extendedKeyUsage.map((o) => ekuFromOid(o) ?? o);
  const altNames = altNamesOf(req);
  if (opts.preview) {
    return {
      preview: {
        tbsCertificate: Buffer.from(prepared.tbs).toString("base64"),
        text: { subject: req.subject, altNames, keyUsages, extendedKeyUsages, notBefore: req.notBefore.toISOString(), notAfter: req.notAfter.toISOString(), keyAlgorithm: req.keyAlgorithm, signatureAlgorithm: req.signatureAlgorithm, issuer: ca ? ca.name : "self-signed" },
        warnings: templateWarnings(templateRow.rules as TemplateInput),
      },
    } as const;
  }

  const attributesUsed: Record<string, unknown> = { ...input.attributes, keyAlgorithm: req.keyAlgorithm };
  // The CA signs and commits the certificate, its signing outcome and this audit entry together.
  const der = await leaf.issue(prepared, (certificate) => ({
    certificate: {
      id: certificateId,
      projectId: profile.project_id,
      profileId: profile.id,
      caId: prepared.issuerCaId,
      caCertificateId: prepared.caCertificateId,
      caKeyId: prepared.caKeyId,
      serial: prepared.serial,
      commonName: req.subject.commonName,
      altNames,
      notBefore: req.notBefore,
      notAfter: req.notAfter,
      keyAlgorithm: req.keyAlgorithm,
      keyUsages,
      extendedKeyUsages,
      certificate,
      chainPem: prepared.chainPem,
      keySource: csr ? "csr" : "server",
      keyRef,
      request: { attributes: attributesUsed, csr: csr ? toPem(csr.der, "CERTIFICATE REQUEST") : null, removeRootsFromChain: input.removeRootsFromChain },
      renewedFromId: opts.renewedFrom?.id ?? null,
      metadata: input.metadata ?? [],
      // Crash reconciliation: an answer that is never written leaves this `pending` (docs/operations.md).
      delivery: opts.awaitDelivery ? "pending" : undefined,
    },
    audit: auditEntry(rt, ctx, {
      projectId: profile.project_id,
      action: opts.renewedFrom ? "certificate.renew" : "certificate.issue",
      objectType: "certificate",
      objectId: certificateId,
      outcome: "success",
      detail: { profile: profile.slug, serial: prepared.serial, commonName: req.subject.commonName, altNames: altNames.slice(0, 20), keySource: csr ? "csr" : "server", renewedFrom: opts.renewedFrom?.id ?? null },
    }),
  }));
  await deps.onEvent?.({ type: opts.renewedFrom ? "renewed" : "issued", certificateId, projectId: profile.project_id, profileId: profile.id });
  const certificatePem = toPem(der, "CERTIFICATE");
  const selfSignedPem = prepared.issuerCaId ? prepared.issuingCaPem : certificatePem;
  return {
    certificate: {
      certificate: certificatePem,
      issuingCaCertificate: selfSignedPem,
      certificateChain: input.removeRootsFromChain ? withoutRoot(prepared.chainPem) : prepared.chainPem,
      privateKey: privateKeyPem,
      serialNumber: prepared.serial,
      certificateId,
    },
    // A synchronous request is its certificate: same id, nothing more written (certificate-requests.ts).
    certificateRequestId: certificateId,
    status: "issued",
  } as const;
}

/** Keeps a refused request as a `failed` certificate request (the failure path only); returns its id. */
async function recordFailedRequest(deps: IssueDeps, profile: Profile, input: IssueInput, v: Violation[]): Promise<string> {
  const id = deps.rt.uuid();
  const errorMessage = v.map((x) => `${x.field}: ${x.message}`).join("; ").slice(0, 2000) || "refused";
  await deps.store.certRequests.insert({ id, projectId: profile.project_id, profileId: profile.id, status: "failed", commonName: input.attributes.commonName ?? "", request: { attributes: input.attributes, csr: input.csr ?? null, removeRootsFromChain: input.removeRootsFromChain }, metadata: input.metadata ?? [], errorMessage, at: deps.rt.clock() });
  return id;
}
