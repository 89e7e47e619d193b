/**
 * The issuance decision: a template, the profile's defaults, the request's attributes, an
 * optional CSR and the issuer's facts in; a complete IssuanceRequest or EVERY violation out.
 * Combination rules are in docs/templates.md. Pure: time arrives as `now`.
 */
import type { Violation } from "../errors.js";
import { isKeyAlgorithm, KEY_ALGORITHMS, type KeyAlgorithm } from "../pki/algorithms.js";
import { defaultKeyUsage, type SubjectAltNamesInput } from "../pki/leaf-certificate.js";
import type { DnFields } from "../pki/name.js";
import type { IssuanceDecisionInput, IssuanceRequest } from "./issuance-types.js";
import { CA_KEY_USAGE_BITS, csrRequestViolations } from "./csr-rules.js";
import { formatDuration, parseDuration } from "./duration.js";
import {
  dateValue, dedupeSans, enumList, isObject, keyUsageViolations, MAX_SANS, sanEntriesFromCsr, sanEntriesFromList,
  sanTemplateViolations, subjectTemplateViolations, subjectValue, SUBJECT_FIELDS, type SanEntry,
} from "./issuance-parts.js";
import { normaliseDns, parseIp, sanKey, type SanType } from "./san-syntax.js";
import { checkEnum, type FieldValue } from "./template-check.js";
import {
  EKU_TO_OID, ekuFromOid, EXTENDED_KEY_USAGES, isOneOf, KEY_USAGES, KU_TO_RFC, kuFromRfc, SIGNATURE_ALGORITHMS,
  type ExtendedKeyUsageName, type KeyUsageName, type SignatureAlgorithm, type SubjectType,
} from "./vocabulary.js";

export { checkDefaults } from "./check-defaults.js";
export type { CsrFacts, IssuanceAttributes, IssuanceDecisionInput, IssuanceRequest, IssuerFacts, LeafSpec, ProfileDefaults } from "./issuance-types.js";

const DEFAULT_TTL_MS = 90 * 86_400_000;
const DEFAULT_KEY: KeyAlgorithm = "EC_prime256v1";

/** The signature algorithm a CA key signs with; matches algorithmParams in src/pki/algorithms.ts (RFC 5758 §3.2 hash sized to the curve). */
export function signatureAlgorithmFor(issuerKey: KeyAlgorithm): SignatureAlgorithm {
  if (issuerKey.startsWith("RSA_")) return "RSA-SHA256";
  if (issuerKey === "EC_prime256v1") return "ECDSA-SHA256";
  if (issuerKey === "EC_secp384r1") return "ECDSA-SHA384";
  if (issuerKey === "EC_secp521r1") return "ECDSA-SHA512";
  return "ED25519";
}

/** Picks the first source that sets a field: [value, field name]. */
function pick(sources: [Record<string, unknown> | undefined, string][], key: string): [unknown, string] | undefined {
  for (const [src, prefix] of sources) if (src && src[key] !== undefined) return [src[key], `${prefix}.${key}`];
  return undefined;
}

/** Decides a leaf issuance: the IssuanceRequest, or every violation of the template, the CA and RFC 5280 at once. */
export function decideIssuance(input: IssuanceDecisionInput): { request: IssuanceRequest } | { violations: Violation[] } {
  const v: Violation[] = [];
  const { template, issuer, csr } = input;
  const a: Record<string, unknown> = isObject(input.attributes) ? input.attributes : {};
  const d: Record<string, unknown> = isObject(input.defaults) ? input.defaults : {};
  if (!isObject(input.attributes)) v.push({ field: "attributes", code: "invalid_type", message: "Must be an object.", value: input.attributes });
  const req: [Record<string, unknown>, string][] = [[a, "attributes"], [d, "defaults"]];

  // RFC 5280 §4.2.1.9: a CA template describes CA certificates, which this leaf path never makes.
  if (template.basicConstraints.isCA === "required") v.push({ field: "template", code: "ca_template", message: "The template requires CA certificates (basicConstraints.isCA required); it cannot issue leaf certificates." });

  // The key: from the CSR when there is one (RFC 2986 §3, proof of possession), else generated.
  let keyAlgorithm: KeyAlgorithm | null = null;
  let keyField = "attributes.keyAlgorithm";
  if (a.keyAlgorithm !== undefined && !isKeyAlgorithm(a.keyAlgorithm as string)) v.push({ field: "attributes.keyAlgorithm", code: "invalid_value", message: `Must be one of ${KEY_ALGORITHMS.join(", ")}.`, value: a.keyAlgorithm });
  if (csr) {
    keyField = "csr";
    if (!csr.signatureValid) v.push({ field: "csr", code: "bad_signature", message: "The CSR's signature does not verify with the key it carries (RFC 2986 §3)." });
    v.push(...csrRequestViolations(csr));
    // An id-RSASSA-PSS key (RFC 4055 §1.2) is refused, but a PSS signature by an rsaEncryption key is fine (docs/csr.md).
    const pssHint = csr.keyDescription.startsWith("RSA-PSS") ? " To sign with RSASSA-PSS, use an ordinary RSA key (openssl req -newkey rsa:2048 -sigopt rsa_padding_mode:pss)." : "";
    if (csr.keyAlgorithm === null) v.push({ field: "csr", code: "unsupported_key", message: `The CSR's key (${csr.keyDescription}) is not supported; use one of ${KEY_ALGORITHMS.join(", ")}.${pssHint}`, value: csr.keyDescription });
    keyAlgorithm = csr.keyAlgorithm;
    if (keyAlgorithm && isKeyAlgorithm(a.keyAlgorithm as string) && a.keyAlgorithm !== keyAlgorithm) {
      v.push({ field: "attributes.keyAlgorithm", code: "key_algorithm_mismatch", message: `The CSR carries a ${keyAlgorithm} key; keyAlgorithm ${String(a.keyAlgorithm)} cannot change it. Omit keyAlgorithm or send a matching CSR.`, value: a.keyAlgorithm });
    }
  } else {
    const chosen = pick(req, "keyAlgorithm");
    if (chosen && isKeyAlgorithm(chosen[0] as string)) [keyAlgorithm, keyField] = [chosen[0] as KeyAlgorithm, chosen[1]];
    else if (chosen && chosen[1].startsWith("defaults")) v.push({ field: chosen[1], code: "invalid_value", message: `Must be one of ${KEY_ALGORITHMS.join(", ")}.`, value: chosen[0] });
    else if (!chosen) keyAlgorithm = DEFAULT_KEY;
  }
  const allowedKeys = template.algorithms.keyAlgorithm;
  if (keyAlgorithm && allowedKeys && !allowedKeys.includes(keyAlgorithm)) {
    v.push({ field: keyField, code: "key_algorithm_not_allowed", message: `The template does not allow ${keyAlgorithm} keys (allowed: ${allowedKeys.join(", ")}).`, value: keyAlgorithm });
  }

  // The signature algorithm follows the issuer's key (for self-signed, the subject's own key).
  const signerKey = issuer.selfSigned && keyAlgorithm ? keyAlgorithm : issuer.keyAlgorithm;
  const signatureAlgorithm = signatureAlgorithmFor(signerKey);
  const askedSig = pick(req, "signatureAlgorithm");
  if (askedSig && askedSig[0] !== signatureAlgorithm) {
    const known = isOneOf(SIGNATURE_ALGORITHMS, askedSig[0]);
    v.push({ field: askedSig[1], code: known ? "signature_algorithm_mismatch" : "invalid_value", message: `The CA signs with ${signatureAlgorithm} (its key is ${signerKey}); ${known ? "another algorithm cannot be requested" : `expected one of ${SIGNATURE_ALGORITHMS.join(", ")}`}.`, value: askedSig[0] });
  }
  const allowedSigs = template.algorithms.signature;
  if (allowedSigs && !allowedSigs.includes(signatureAlgorithm)) {
    v.push({ field: "attributes.signatureAlgorithm", code: "signature_algorithm_not_allowed", message: `The CA signs with ${signatureAlgorithm}, which the template does not allow (allowed: ${allowedSigs.join(", ")}).`, value: signatureAlgorithm });
  }

  // Subject: attributes replace the CSR's value field by field; defaults fill what neither sets.
  const csrSubject: Record<string, unknown> | undefined = csr && isObject(csr.subjectFields) ? { ...csr.subjectFields } : undefined;
  const subject: DnFields = { commonName: "" };
  const subjectValues: Partial<Record<SubjectType, FieldValue>> = {};
  let subjectGiven = false;
  for (const [api, dnKey, type] of SUBJECT_FIELDS) {
    let chosen: [unknown, string] | undefined = a[api] !== undefined ? [a[api], `attributes.${api}`] : undefined;
    if (!chosen && csrSubject && typeof csrSubject[dnKey] === "string" && csrSubject[dnKey] !== "") chosen = [csrSubject[dnKey], `csr.subject.${api}`];
    chosen ??= d[api] !== undefined ? [d[api], `defaults.${api}`] : undefined;
    if (!chosen) continue;
    if (chosen[0] !== "") subjectGiven = true;
    const clean = subjectValue(dnKey, chosen[0], chosen[1], v);
    if (clean === undefined || clean === "") continue;
    subject[dnKey] = clean;
    subjectValues[type] = { field: chosen[1], value: clean };
  }

  // SANs: the request's altNames replace the CSR's SANs as a whole; defaults fill when neither has any.
  let sans: SanEntry[];
  let sansField = "attributes.altNames";
  if (a.altNames !== undefined) sans = sanEntriesFromList(a.altNames, "attributes.altNames", v);
  else if (csr?.sans && isObject(csr.sans)) [sans, sansField] = [sanEntriesFromCsr(csr.sans, v), "csr.sans"];
  else if (d.altNames !== undefined) [sans, sansField] = [sanEntriesFromList(d.altNames, "defaults.altNames", v), "defaults.altNames"];
  else sans = [];
  const sansGiven = sans.length > 0 || v.some((x) => x.field.startsWith(`${sansField}`) || x.field.startsWith("csr.sans") || x.field.startsWith("defaults.altNames"));
  sans = dedupeSans(sans);

  // EKU: attributes > CSR extensionRequest > defaults > the template's required EKUs.
  let eku: ExtendedKeyUsageName[];
  let ekuField = "attributes.extendedKeyUsages";
  const askedEku = pick(req, "extendedKeyUsages");
  if (a.extendedKeyUsages === undefined && csr?.requestedEku?.length) {
    ekuField = "csr.extendedKeyUsage";
    eku = [];
    for (const oid of csr.requestedEku) {
      const name = ekuFromOid(oid);
      if (!name) v.push({ field: ekuField, code: "unsupported_eku", message: `The CSR asks for extended key usage ${oid}, which Stamp does not issue (supported: ${EXTENDED_KEY_USAGES.join(", ")}).`, value: oid });
      else if (!eku.includes(name)) eku.push(name);
    }
  } else if (askedEku) {
    ekuField = askedEku[1];
    eku = enumList(askedEku[0], EXTENDED_KEY_USAGES, ekuField, v);
  } else eku = [...(template.extendedKeyUsages?.required ?? [])];
  v.push(...checkEnum(template.extendedKeyUsages, eku, "extended key usage", ekuField));
  const ekuOids = eku.map((e) => EKU_TO_OID[e]);

  // Key usage: attributes > CSR extensionRequest > defaults > defaultKeyUsage shaped by the template.
  let ku: KeyUsageName[];
  let kuField = "attributes.keyUsages";
  const askedKu = pick(req, "keyUsages");
  if (a.keyUsages === undefined && csr?.requestedKeyUsage?.length) {
    kuField = "csr.keyUsage";
    ku = [];
    for (const bit of csr.requestedKeyUsage) {
      if (CA_KEY_USAGE_BITS.includes(bit)) continue; // reported by csrRequestViolations
      const name = kuFromRfc(bit);
      if (!name) v.push({ field: kuField, code: "unsupported_key_usage", message: `The CSR asks for unknown key usage ${bit}.`, value: bit });
      else if (!ku.includes(name)) ku.push(name);
    }
  } else if (askedKu) {
    kuField = askedKu[1];
    ku = enumList(askedKu[0], KEY_USAGES, kuField, v);
  } else {
    kuField = "template.keyUsages";
    const rules = template.keyUsages;
    const derived = defaultKeyUsage(keyAlgorithm, ekuOids).map((b) => kuFromRfc(b)!);
    ku = [...new Set([...derived, ...(rules?.required ?? [])])].filter((k) => !rules?.denied?.includes(k) && (!rules?.allowed || rules.allowed.includes(k)));
  }
  v.push(...checkEnum(template.keyUsages, ku, "key usage", kuField));
  v.push(...keyUsageViolations(ku, keyAlgorithm, kuField));

  // CA/B BR §7.1.4.3: a TLS server certificate's CN must be one of its SANs, character for character.
  const cnField = subjectValues.common_name?.field ?? "attributes.commonName";
  if (subject.commonName && eku.includes("server_auth")) {
    const ip = parseIp(subject.commonName);
    const dns = ip ? null : normaliseDns(subject.commonName);
    if (ip && !sans.some((s) => s.type === "ip_address" && sanKey("ip_address", s.value) === sanKey("ip_address", subject.commonName))) {
      sans.push({ type: "ip_address", value: subject.commonName, field: cnField });
    } else if (dns) {
      subject.commonName = dns;
      subjectValues.common_name = { field: cnField, value: dns };
      if (!sans.some((s) => s.type === "dns_name" && s.value === dns)) sans.push({ type: "dns_name", value: dns, field: cnField });
    } else if (!ip) {
      v.push({ field: cnField, code: "common_name_not_dns_name", message: "With server_auth, the common name must be a DNS name or IP address, because it must also appear in the SANs (CA/B BR §7.1.4.3).", value: subject.commonName });
    }
  }
  const cn = subject.commonName;
  const commonNameInSans = cn !== "" && sans.some((s) => (s.type === "dns_name" && s.value === normaliseDns(cn)) || (s.type === "ip_address" && parseIp(cn) !== null && sanKey("ip_address", s.value) === sanKey("ip_address", cn)));
  if (sans.length > MAX_SANS) v.push({ field: sansField, code: "too_many_sans", message: `A certificate may carry at most ${MAX_SANS} subject alternative names; ${sans.length} were given.`, value: sans.length });
  // RFC 5280 §4.1.2.6: an empty subject needs a subjectAltName.
  if (!subjectGiven && !sansGiven) v.push({ field: "attributes.altNames", code: "empty_subject_without_sans", message: "Give a common name or at least one subject alternative name (RFC 5280 §4.1.2.6)." });

  v.push(...subjectTemplateViolations(template, subjectValues));
  v.push(...sanTemplateViolations(template, sans, sansField));

  // Validity (RFC 5280 §4.1.2.5): whole seconds; refused, never clamped, when it breaks a limit.
  const nowMs = input.now.getTime();
  const askedNotBefore = dateValue(a.notBefore, "attributes.notBefore", v);
  const askedNotAfter = dateValue(a.notAfter, "attributes.notAfter", v);
  if (a.ttl !== undefined && a.notAfter !== undefined) v.push({ field: "attributes.ttl", code: "ttl_and_not_after", message: "Give ttl or notAfter, not both.", value: a.ttl });
  const backdateMs = Number.isFinite(input.backdateSeconds) && input.backdateSeconds > 0 ? input.backdateSeconds * 1000 : 0;
  // The automatic backdate (for clock skew) never reaches before the CA's own notBefore; a requested notBefore is checked instead.
  const notBefore = askedNotBefore ?? new Date(Math.floor(Math.max(nowMs - backdateMs, issuer.notBefore.getTime()) / 1000) * 1000);
  let notAfter = askedNotAfter;
  let lifeField = "attributes.notAfter";
  if (!notAfter) {
    let ttlMs = template.validity.maxMs ?? input.maxTtlFallbackMs ?? DEFAULT_TTL_MS;
    const ttl = a.notAfter === undefined ? pick(req, "ttl") : undefined;
    if (ttl) {
      const parsed = parseDuration(ttl[0] as string);
      lifeField = ttl[1];
      if ("error" in parsed) v.push({ field: ttl[1], code: "invalid_duration", message: parsed.error, value: ttl[0] });
      else ttlMs = parsed.ms;
    } else lifeField = "attributes.ttl";
    notAfter = new Date(notBefore.getTime() + ttlMs);
  }
  const lifeMs = notAfter.getTime() - notBefore.getTime();
  if (lifeMs <= 0) v.push({ field: "attributes.notAfter", code: "validity_order", message: "notAfter must be later than notBefore.", value: a.notAfter });
  else if (notAfter.getTime() <= nowMs) v.push({ field: "attributes.notAfter", code: "in_the_past", message: "notAfter must be in the future.", value: a.notAfter });
  const maxMs = template.validity.maxMs;
  if (maxMs !== undefined && lifeMs > maxMs) v.push({ field: lifeField, code: "validity_too_long", message: `The certificate would be valid for ${formatDuration(lifeMs)}; the template allows at most ${template.validity.max}.`, value: formatDuration(lifeMs) });
  if (notBefore < issuer.notBefore) v.push({ field: "attributes.notBefore", code: "before_issuer", message: `Must not be before the CA's notBefore ${issuer.notBefore.toISOString()}.`, value: a.notBefore });
  if (notAfter > issuer.notAfter) v.push({ field: lifeField, code: "outlives_issuer", message: `The certificate would end ${notAfter.toISOString()}, after the CA's notAfter ${issuer.notAfter.toISOString()}; ask for a shorter validity.`, value: notAfter.toISOString() });

  if (v.length || !keyAlgorithm) return { violations: v };
  const byType = (t: SanType) => sans.filter((s) => s.type === t).map((s) => s.value);
  const out: SubjectAltNamesInput = {};
  if (byType("dns_name").length) out.dns = byType("dns_name");
  if (byType("ip_address").length) out.ip = byType("ip_address");
  if (byType("email").length) out.email = byType("email");
  if (byType("uri").length) out.uri = byType("uri");
  return {
    request: {
      subject, sans: out, keyUsage: ku.map((k) => KU_TO_RFC[k]), extendedKeyUsage: ekuOids,
      notBefore, notAfter, keyAlgorithm, signatureAlgorithm, commonNameInSans,
    },
  };
}
