/** Building blocks of the issuance decision: validate one kind of input, report violations, return the clean value. */
import type { Violation } from "../errors.js";
import type { KeyAlgorithm } from "../pki/algorithms.js";
import { validateDnFields, type DnFields } from "../pki/name.js";
import { normaliseSan, sanKey, SAN_TYPES, type SanType } from "./san-syntax.js";
import { checkPatterns, type FieldValue } from "./template-check.js";
import type { Template } from "./template.js";
import { isOneOf, KU_TO_RFC, type KeyUsageName, type SubjectType } from "./vocabulary.js";

/** API attribute name, DnFields key, template subject type. */
export const SUBJECT_FIELDS = [
  ["commonName", "commonName", "common_name"],
  ["organization", "organization", "organization"],
  ["organizationalUnit", "ou", "organizational_unit"],
  ["country", "country", "country"],
  ["state", "province", "state"],
  ["locality", "locality", "locality"],
] as const satisfies readonly (readonly [string, keyof DnFields, SubjectType])[];

/** The API attribute names of subject fields. */
export type SubjectAttribute = (typeof SUBJECT_FIELDS)[number][0];

/** RFC 5280 §4.2.1.6 gives no limit; Stamp caps SANs per certificate to keep certificates and checks bounded. */
export const MAX_SANS = 100;
/** Entries beyond this are not even looked at (the schema at the edge bounds lists far lower). */
const MAX_INSPECTED = 1000;

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Validates one subject attribute value (validateDnFields rules: ≤ 64 characters, no control characters, country 2 letters); the clean value or undefined. */
export function subjectValue(dnKey: keyof DnFields, raw: unknown, field: string, v: Violation[]): string | undefined {
  if (typeof raw !== "string") {
    v.push({ field, code: "invalid_type", message: "Must be a string.", value: raw });
    return undefined;
  }
  if (dnKey === "commonName" && raw === "") return ""; // no CN: allowed when SANs name the subject (RFC 5280 §4.1.2.6)
  const probe: DnFields = dnKey === "commonName" ? { commonName: raw } : { commonName: "x", [dnKey]: raw };
  const problems = validateDnFields(probe, "").filter((p) => p.field === dnKey);
  for (const p of problems) v.push({ ...p, field });
  if (problems.length) return undefined;
  // RFC 5280 Appendix A: countryName is PrintableString of ISO 3166 alpha-2 codes, written upper-case.
  return dnKey === "country" ? raw.toUpperCase() : raw;
}

/** One SAN after validation: its type, canonical value and the field it came from. */
export interface SanEntry {
  type: SanType;
  value: string;
  field: string;
}

/** Validates a SAN list given as [{ type, value }] (attributes or defaults); invalid entries become violations. */
export function sanEntriesFromList(raw: unknown, listField: string, v: Violation[]): SanEntry[] {
  if (!Array.isArray(raw)) {
    v.push({ field: listField, code: "invalid_type", message: "Must be a list of { type, value } entries.", value: raw });
    return [];
  }
  const out: SanEntry[] = [];
  raw.slice(0, MAX_INSPECTED).forEach((e, i) => {
    const field = `${listField}[${i}]`;
    if (!isObject(e)) return void v.push({ field, code: "invalid_type", message: "Must be an object { type, value }.", value: e });
    if (!isOneOf(SAN_TYPES, e.type)) return void v.push({ field, code: "invalid_san_type", message: `type must be one of ${SAN_TYPES.join(", ")}.`, value: e.type });
    const n = normaliseSan(e.type, e.value);
    if ("error" in n) v.push({ field, code: `invalid_${e.type}`, message: n.error, value: e.value });
    else out.push({ type: e.type, value: n.value, field });
  });
  return out;
}

const CSR_SAN_KEYS: Record<SanType, "dns" | "ip" | "email" | "uri"> = { dns_name: "dns", ip_address: "ip", email: "email", uri: "uri" };

/** Validates the SANs a CSR carries; fields read `csr.sans.dns[0]`. */
export function sanEntriesFromCsr(sans: Record<string, unknown>, v: Violation[]): SanEntry[] {
  const out: SanEntry[] = [];
  for (const type of SAN_TYPES) {
    const key = CSR_SAN_KEYS[type];
    const list = Array.isArray(sans[key]) ? (sans[key] as unknown[]) : [];
    list.slice(0, MAX_INSPECTED).forEach((value, i) => {
      const field = `csr.sans.${key}[${i}]`;
      const n = normaliseSan(type, value);
      if ("error" in n) v.push({ field, code: `invalid_${type}`, message: n.error, value });
      else out.push({ type, value: n.value, field });
    });
  }
  return out;
}

/** Drops repeated SANs (same type and same name; IPs compared as octets), keeping the first. */
export function dedupeSans(entries: SanEntry[]): SanEntry[] {
  const seen = new Set<string>();
  return entries.filter((e) => {
    const k = `${e.type} ${sanKey(e.type, e.value)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const SAN_LABEL: Record<SanType, string> = { dns_name: "DNS name", ip_address: "IP address", email: "email address", uri: "URI" };

/** Template violations of SAN values; a required SAN no value satisfies is reported at `requiredField`. */
export function sanTemplateViolations(template: Template, entries: SanEntry[], requiredField: string): Violation[] {
  return SAN_TYPES.flatMap((t) => checkPatterns(template.sans[t], entries.filter((e) => e.type === t), SAN_LABEL[t], requiredField));
}

/** Template violations of subject values; a missing required attribute is reported at `attributes.<name>`. */
export function subjectTemplateViolations(template: Template, values: Partial<Record<SubjectType, FieldValue>>, only?: SubjectType[]): Violation[] {
  return SUBJECT_FIELDS.flatMap(([api, , type]) => {
    if (only && !only.includes(type)) return [];
    const fv = values[type];
    return checkPatterns(template.subject[type], fv ? [fv] : [], type.replace(/_/g, " "), fv?.field ?? `attributes.${api}`);
  });
}

/** Validates a list of enum names (key usages, EKUs); unknown entries become violations. Duplicates are dropped. */
export function enumList<T extends string>(raw: unknown, values: readonly T[], field: string, v: Violation[]): T[] {
  if (!Array.isArray(raw)) {
    v.push({ field, code: "invalid_type", message: `Must be a list of: ${values.join(", ")}.`, value: raw });
    return [];
  }
  const out: T[] = [];
  raw.slice(0, MAX_INSPECTED).forEach((x, i) => {
    if (!isOneOf(values, x)) v.push({ field: `${field}[${i}]`, code: "invalid_value", message: `Must be one of ${values.join(", ")}.`, value: x });
    else if (!out.includes(x)) out.push(x);
  });
  return out;
}

/** Key usages each key type may carry in a leaf: RFC 3279 §2.3.1 (RSA), RFC 5480 §3 (EC), RFC 8410 §5 (Ed25519); mirrors src/pki/leaf-certificate.ts. */
const USAGES_BY_KEY_TYPE: Record<"rsa" | "ec" | "ed25519", readonly string[]> = {
  rsa: ["digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "cRLSign"],
  ec: ["digitalSignature", "nonRepudiation", "keyAgreement", "encipherOnly", "decipherOnly", "cRLSign"],
  ed25519: ["digitalSignature", "nonRepudiation", "cRLSign"],
};

/** The key type family of a key algorithm. */
export function keyType(alg: KeyAlgorithm): "rsa" | "ec" | "ed25519" {
  return alg.startsWith("RSA_") ? "rsa" : alg.startsWith("EC_") ? "ec" : "ed25519";
}

/** Violations of RFC 5280 §4.2.1.3 and the key-type rules for a leaf's key usages. */
export function keyUsageViolations(kus: readonly KeyUsageName[], alg: KeyAlgorithm | null, field: string): Violation[] {
  const out: Violation[] = [];
  if (kus.length === 0) out.push({ field, code: "empty_key_usage", message: "A certificate needs at least one key usage (RFC 5280 §4.2.1.3).", value: [] });
  // RFC 5280 §4.2.1.3: keyCertSign needs cA TRUE, which a leaf never has.
  if (kus.includes("key_cert_sign")) out.push({ field, code: "key_cert_sign_in_leaf", message: "key_cert_sign is only for CA certificates (RFC 5280 §4.2.1.3).", value: "key_cert_sign" });
  if ((kus.includes("encipher_only") || kus.includes("decipher_only")) && !kus.includes("key_agreement")) {
    out.push({ field, code: "encipher_decipher_without_key_agreement", message: "encipher_only and decipher_only need key_agreement (RFC 5280 §4.2.1.3).", value: kus });
  }
  if (alg) {
    const family = keyType(alg);
    for (const k of kus) {
      if (k === "key_cert_sign" || USAGES_BY_KEY_TYPE[family].includes(KU_TO_RFC[k])) continue;
      out.push({ field, code: "key_usage_not_allowed_for_key", message: `A ${alg} key may not carry ${k} (RFC 3279 §2.3.1, RFC 5480 §3, RFC 8410 §5).`, value: k });
    }
  }
  return out;
}

// RFC 5280 §4.1.2.5: GeneralizedTime reaches 9999; before 1950 UTCTime cannot say it.
const MIN_TIME = Date.UTC(1950, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59);
const ISO = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

/** An ISO 8601 date (date only, or date-time with Z or an offset), truncated to whole seconds (RFC 5280 §4.1.2.5); undefined when absent or invalid. */
export function dateValue(raw: unknown, field: string, v: Violation[]): Date | undefined {
  if (raw === undefined) return undefined;
  const t = typeof raw === "string" && raw.length <= 40 && ISO.test(raw) ? new Date(raw).getTime() : NaN;
  if (Number.isNaN(t) || t < MIN_TIME || t > MAX_TIME) {
    v.push({ field, code: "invalid_date", message: "Must be an ISO 8601 date such as 2030-01-31T00:00:00Z, between 1950 and 9999.", value: raw });
    return undefined;
  }
  return new Date(Math.floor(t / 1000) * 1000);
}
