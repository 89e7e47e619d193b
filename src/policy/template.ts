/**
 * Certificate templates: the constraints a certificate must meet (JSON shape after Infisical's
 * certificate policy), parsed once into an immutable, compiled `Template`.
 *
 * Three states per list:
 * - not configured (undefined): anything goes;
 * - configured and empty (`allowed: []`): forbidden, no value of that kind may appear;
 * - a list: the values must satisfy it.
 * `allowed`: every value of that kind must match at least one pattern.
 * `denied`: no value may match any pattern; denied wins over allowed.
 * `required`: every required pattern must be matched by at least one value, so `required: ["*"]`
 * means "must be present" (for a subject attribute: the attribute is mandatory).
 * Pattern syntax per kind is in patterns.ts (dns one-label wildcards, CIDR, email and URI globs).
 * Key usages, EKUs and algorithms are closed enums compared exactly.
 * Lists every leaf certificate must draw from (keyUsages.allowed, algorithms.*) may not be
 * empty: an empty list would forbid every certificate, so it is rejected as a mistake.
 * `validity.max` bounds notAfter − notBefore. `basicConstraints.isCA` "required" makes a CA
 * template, which leaf issuance refuses.
 * parseTemplate reports every problem at once, with paths like `sans[0].allowed[2]`.
 */
import type { Violation } from "../errors.js";
import { KEY_ALGORITHMS, type KeyAlgorithm } from "../pki/algorithms.js";
import { parseMaxValidity } from "./duration.js";
import { compilePattern, type Matcher, type PatternKind } from "./patterns.js";
import { SAN_TYPES, type SanType } from "./san-syntax.js";
import {
  EXTENDED_KEY_USAGES, KEY_USAGES, SIGNATURE_ALGORITHMS, SUBJECT_TYPES, isOneOf,
  type ExtendedKeyUsageName, type KeyUsageName, type SignatureAlgorithm, type SubjectType,
} from "./vocabulary.js";

/** allowed / required / denied lists of one kind. */
export interface RuleLists<T> { allowed?: T[]; required?: T[]; denied?: T[] }

/** A template as the API and storage carry it. */
export interface TemplateInput {
  subject?: ({ type: SubjectType } & RuleLists<string>)[];
  sans?: ({ type: SanType } & RuleLists<string>)[];
  keyUsages?: RuleLists<KeyUsageName>;
  extendedKeyUsages?: RuleLists<ExtendedKeyUsageName>;
  algorithms?: { signature?: SignatureAlgorithm[]; keyAlgorithm?: KeyAlgorithm[] };
  validity?: { max?: string };
  basicConstraints?: { isCA?: "allowed" | "required" | "denied"; maxPathLength?: number };
}

/** Compiled allowed / required / denied patterns of one subject attribute or SAN type. */
export interface PatternRules {
  /** Where the rule sits in the input, e.g. "sans[0]". */
  readonly path: string;
  readonly allowed?: readonly Matcher[];
  readonly required?: readonly Matcher[];
  readonly denied?: readonly Matcher[];
}

/** Immutable allowed / required / denied lists of an enum. */
export interface EnumRules<T> { readonly allowed?: readonly T[]; readonly required?: readonly T[]; readonly denied?: readonly T[] }

declare const compiled: unique symbol;

/** A parsed, compiled, frozen template; only parseTemplate makes one. */
export interface Template {
  readonly [compiled]: true;
  readonly subject: Readonly<Partial<Record<SubjectType, PatternRules>>>;
  readonly sans: Readonly<Partial<Record<SanType, PatternRules>>>;
  readonly keyUsages?: EnumRules<KeyUsageName>;
  readonly extendedKeyUsages?: EnumRules<ExtendedKeyUsageName>;
  readonly algorithms: { readonly signature?: readonly SignatureAlgorithm[]; readonly keyAlgorithm?: readonly KeyAlgorithm[] };
  readonly validity: { readonly maxMs?: number; readonly max?: string };
  readonly basicConstraints: { readonly isCA?: "allowed" | "required" | "denied"; readonly maxPathLength?: number };
}

const MAX_LIST = 500;
const LISTS = ["allowed", "required", "denied"] as const;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

function unknownKeys(obj: Record<string, unknown>, known: readonly string[], path: string, v: Violation[]): void {
  for (const k of Object.keys(obj)) {
    if (!known.includes(k)) v.push({ field: path ? `${path}.${k}` : k, code: "unknown_field", message: `Unknown template field "${k}"; expected one of ${known.join(", ")}.`, value: k });
  }
}

/** Reads an optional array of at most MAX_LIST entries; undefined when absent, null when invalid. */
function list(raw: unknown, path: string, v: Violation[]): unknown[] | undefined | null {
  if (raw === undefined) return undefined;
  if (!Array.isArray(raw) || raw.length > MAX_LIST) {
    v.push({ field: path, code: "invalid_list", message: `Must be a list of at most ${MAX_LIST} entries.`, value: raw });
    return null;
  }
  return raw;
}

/** The pattern syntax of each subject attribute and SAN type. */
export const PATTERN_KIND: Readonly<Record<SubjectType | SanType, PatternKind>> = {
  common_name: "common_name", organization: "subject", organizational_unit: "subject", country: "country", state: "subject", locality: "subject",
  dns_name: "dns", ip_address: "ip", email: "email", uri: "uri",
};

/** Parses one `subject` or `sans` array into rules keyed by type. */
function patternSection<T extends SubjectType | SanType>(raw: unknown, section: "subject" | "sans", types: readonly T[], v: Violation[]): Partial<Record<T, PatternRules>> {
  const out: Partial<Record<T, PatternRules>> = {};
  const entries = list(raw, section, v);
  (entries ?? []).forEach((entry, i) => {
    const path = `${section}[${i}]`;
    if (!isObject(entry)) return void v.push({ field: path, code: "invalid_rule", message: "Must be an object with a type and allowed / required / denied lists.", value: entry });
    unknownKeys(entry, ["type", ...LISTS], path, v);
    const type = entry.type;
    if (!isOneOf(types, type)) return void v.push({ field: `${path}.type`, code: "invalid_type", message: `Must be one of ${types.join(", ")}.`, value: type });
    if (out[type]) return void v.push({ field: `${path}.type`, code: "duplicate_rule", message: `${type} is configured twice in ${section}; merge the two entries.`, value: type });
    const rules: { path: string; allowed?: Matcher[]; required?: Matcher[]; denied?: Matcher[] } = { path };
    for (const name of LISTS) {
      const items = list(entry[name], `${path}.${name}`, v);
      if (!items) continue;
      const matchers: Matcher[] = [];
      items.forEach((p, j) => {
        const m = compilePattern(PATTERN_KIND[type], p);
        if ("error" in m) v.push({ field: `${path}.${name}[${j}]`, code: "invalid_pattern", message: m.error, value: p });
        else matchers.push(m);
      });
      rules[name] = matchers;
    }
    contradictions(rules, v);
    out[type] = Object.freeze({ ...rules, allowed: freeze(rules.allowed), required: freeze(rules.required), denied: freeze(rules.denied) });
  });
  return out;
}

/** Flags required patterns that allowed / denied make impossible to meet (only where that is decidable: literal values and "*"). */
function contradictions(r: { path: string; allowed?: Matcher[]; required?: Matcher[]; denied?: Matcher[] }, v: Violation[]): void {
  (r.required ?? []).forEach((m, j) => {
    const field = `${r.path}.required[${j}]`;
    if (r.allowed && r.allowed.length === 0) v.push({ field, code: "contradiction", message: "Required, but allowed is empty (nothing may appear).", value: m.source });
    else if (m.literal && r.denied?.some((d) => d.test(m.source))) v.push({ field, code: "contradiction", message: "Required, but also denied.", value: m.source });
    else if (m.literal && r.allowed && !r.allowed.some((a) => a.test(m.source))) v.push({ field, code: "contradiction", message: "Required, but not allowed.", value: m.source });
    else if (m.source === "*" && r.denied?.some((d) => d.source === "*")) v.push({ field, code: "contradiction", message: "Required, but every value is denied.", value: m.source });
  });
}

function freeze<T>(a: T[] | undefined): readonly T[] | undefined {
  return a === undefined ? undefined : Object.freeze([...a]);
}

/** Parses allowed / required / denied lists of a closed enum, with contradiction checks. */
function enumRules<T extends string>(raw: unknown, path: string, values: readonly T[], v: Violation[]): EnumRules<T> | undefined {
  if (raw === undefined) return undefined;
  if (!isObject(raw)) return void v.push({ field: path, code: "invalid_rule", message: "Must be an object with allowed / required / denied lists.", value: raw });
  unknownKeys(raw, LISTS, path, v);
  const out: { allowed?: T[]; required?: T[]; denied?: T[] } = {};
  for (const name of LISTS) {
    const items = list(raw[name], `${path}.${name}`, v);
    if (!items) continue;
    out[name] = [];
    items.forEach((x, j) => {
      if (isOneOf(values, x)) out[name]!.push(x);
      else v.push({ field: `${path}.${name}[${j}]`, code: "invalid_value", message: `Must be one of ${values.join(", ")}.`, value: x });
    });
  }
  (out.required ?? []).forEach((x) => {
    if (out.denied?.includes(x)) v.push({ field: `${path}.required`, code: "contradiction", message: `${x} is both required and denied.`, value: x });
    else if (out.allowed && !out.allowed.includes(x)) v.push({ field: `${path}.required`, code: "contradiction", message: `${x} is required but not allowed.`, value: x });
  });
  return Object.freeze({ allowed: freeze(out.allowed), required: freeze(out.required), denied: freeze(out.denied) });
}

/** Parses an algorithm list; an empty list would refuse every certificate and is rejected. */
function algorithmList<T extends string>(raw: unknown, path: string, values: readonly T[], v: Violation[]): readonly T[] | undefined {
  const items = list(raw, path, v);
  if (!items) return undefined;
  if (items.length === 0) v.push({ field: path, code: "empty_list", message: "An empty list would forbid every certificate; remove the field to allow any." });
  const out: T[] = [];
  items.forEach((x, j) => (isOneOf(values, x) ? out.push(x) : v.push({ field: `${path}[${j}]`, code: "invalid_value", message: `Must be one of ${values.join(", ")}.`, value: x })));
  return Object.freeze(out);
}

/** Parses and compiles a template; every violation at once, or the frozen Template. */
export function parseTemplate(input: TemplateInput): { template: Template } | { violations: Violation[] } {
  const v: Violation[] = [];
  const raw: unknown = input;
  if (!isObject(raw)) return { violations: [{ field: "template", code: "invalid_template", message: "A template must be an object.", value: raw }] };
  unknownKeys(raw, ["subject", "sans", "keyUsages", "extendedKeyUsages", "algorithms", "validity", "basicConstraints"], "", v);

  const subject = patternSection(raw.subject, "subject", SUBJECT_TYPES, v);
  const sans = patternSection(raw.sans, "sans", SAN_TYPES, v);
  const keyUsages = enumRules(raw.keyUsages, "keyUsages", KEY_USAGES, v);
  // RFC 5280 §4.2.1.3: a keyUsage extension has at least one bit, and Stamp always writes one.
  if (isObject(raw.keyUsages) && Array.isArray(raw.keyUsages.allowed) && raw.keyUsages.allowed.length === 0) v.push({ field: "keyUsages.allowed", code: "empty_list", message: "A certificate needs at least one key usage (RFC 5280 §4.2.1.3); an empty allowed list would forbid every certificate." });
  const extendedKeyUsages = enumRules(raw.extendedKeyUsages, "extendedKeyUsages", EXTENDED_KEY_USAGES, v);

  const algorithms: { signature?: readonly SignatureAlgorithm[]; keyAlgorithm?: readonly KeyAlgorithm[] } = {};
  if (raw.algorithms !== undefined) {
    if (!isObject(raw.algorithms)) v.push({ field: "algorithms", code: "invalid_rule", message: "Must be an object with signature and keyAlgorithm lists.", value: raw.algorithms });
    else {
      unknownKeys(raw.algorithms, ["signature", "keyAlgorithm"], "algorithms", v);
      algorithms.signature = algorithmList(raw.algorithms.signature, "algorithms.signature", SIGNATURE_ALGORITHMS, v);
      algorithms.keyAlgorithm = algorithmList(raw.algorithms.keyAlgorithm, "algorithms.keyAlgorithm", KEY_ALGORITHMS, v);
    }
  }

  const validity: { maxMs?: number; max?: string } = {};
  if (raw.validity !== undefined) {
    if (!isObject(raw.validity)) v.push({ field: "validity", code: "invalid_rule", message: "Must be an object such as { \"max\": \"90d\" }.", value: raw.validity });
    else {
      unknownKeys(raw.validity, ["max"], "validity", v);
      if (raw.validity.max !== undefined) {
        const d = parseMaxValidity(raw.validity.max as string);
        if ("error" in d) v.push({ field: "validity.max", code: "invalid_duration", message: d.error, value: raw.validity.max });
        else Object.assign(validity, { maxMs: d.ms, max: raw.validity.max });
      }
    }
  }

  const basicConstraints: { isCA?: "allowed" | "required" | "denied"; maxPathLength?: number } = {};
  const bc = raw.basicConstraints;
  if (bc !== undefined) {
    if (!isObject(bc)) v.push({ field: "basicConstraints", code: "invalid_rule", message: "Must be an object with isCA and maxPathLength.", value: bc });
    else {
      unknownKeys(bc, ["isCA", "maxPathLength"], "basicConstraints", v);
      if (bc.isCA !== undefined) {
        if (isOneOf(["allowed", "required", "denied"] as const, bc.isCA)) basicConstraints.isCA = bc.isCA;
        else v.push({ field: "basicConstraints.isCA", code: "invalid_value", message: "Must be allowed, required or denied.", value: bc.isCA });
      }
      if (bc.maxPathLength !== undefined) {
        // RFC 5280 §4.2.1.9: pathLenConstraint is a non-negative INTEGER; -1 is Infisical's "no limit" (as if absent).
        if (bc.maxPathLength === -1) { /* no limit */ }
        else if (typeof bc.maxPathLength === "number" && Number.isInteger(bc.maxPathLength) && bc.maxPathLength >= 0 && bc.maxPathLength <= 255) basicConstraints.maxPathLength = bc.maxPathLength;
        else v.push({ field: "basicConstraints.maxPathLength", code: "invalid_value", message: "Must be -1 (no limit) or a whole number from 0 to 255 (RFC 5280 §4.2.1.9).", value: bc.maxPathLength });
        if (basicConstraints.isCA === "denied" && bc.maxPathLength !== -1) v.push({ field: "basicConstraints.maxPathLength", code: "contradiction", message: "maxPathLength only applies to CA certificates, which isCA \"denied\" forbids.", value: bc.maxPathLength });
      }
    }
  }

  if (v.length) return { violations: v };
  const template = {
    subject: Object.freeze(subject),
    sans: Object.freeze(sans),
    keyUsages,
    extendedKeyUsages,
    algorithms: Object.freeze(algorithms),
    validity: Object.freeze(validity),
    basicConstraints: Object.freeze(basicConstraints),
  };
  return { template: Object.freeze(template) as unknown as Template };
}
