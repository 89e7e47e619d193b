/** Checks values against a compiled template's allowed / required / denied rules (semantics in template.ts). */
import type { Violation } from "../errors.js";
import type { EnumRules, PatternRules } from "./template.js";

/** A value and the API field it came from. */
export interface FieldValue {
  field: string;
  value: string;
}

const show = (list: readonly { source: string }[] | readonly string[]) => {
  const names = list.map((x) => (typeof x === "string" ? x : `"${x.source}"`));
  return names.length > 10 ? `${names.slice(0, 10).join(", ")} and ${names.length - 10} more` : names.join(", ");
};

/**
 * Every violation of one subject attribute's or SAN type's rules: a denied value (denied wins,
 * so it is not also reported as not allowed), a value outside allowed, a required pattern no value
 * matches (reported at `requiredField`). `label` names the kind for messages ("DNS name").
 */
export function checkPatterns(rules: PatternRules | undefined, values: readonly FieldValue[], label: string, requiredField: string): Violation[] {
  if (!rules) return [];
  const out: Violation[] = [];
  for (const { field, value } of values) {
    const denied = rules.denied?.find((m) => m.test(value));
    if (denied) out.push({ field, code: "denied", message: `The template denies ${label} "${value}" (pattern "${denied.source}").`, value });
    else if (rules.allowed && rules.allowed.length === 0) out.push({ field, code: "forbidden", message: `The template allows no ${label}.`, value });
    else if (rules.allowed && !rules.allowed.some((m) => m.test(value))) out.push({ field, code: "not_allowed", message: `${label} "${value}" matches none of the template's allowed patterns: ${show(rules.allowed)}.`, value });
  }
  for (const m of rules.required ?? []) {
    if (values.some(({ value }) => m.test(value))) continue;
    const message = m.source === "*" ? `The template requires a ${label}.` : `The template requires a ${label} matching "${m.source}".`;
    out.push({ field: requiredField, code: "required_missing", message, value: m.source });
  }
  return out;
}

/** Every violation of a closed-enum rule set (key usages, EKUs): one per offending value and one per missing required value. */
export function checkEnum<T extends string>(rules: EnumRules<T> | undefined, values: readonly T[], label: string, field: string): Violation[] {
  if (!rules) return [];
  const out: Violation[] = [];
  for (const x of values) {
    if (rules.denied?.includes(x)) out.push({ field, code: "denied", message: `The template denies ${label} ${x}.`, value: x });
    else if (rules.allowed && !rules.allowed.includes(x)) {
      const allowed = rules.allowed.length ? `allowed: ${show(rules.allowed)}` : "it allows none";
      out.push({ field, code: "not_allowed", message: `The template does not allow ${label} ${x} (${allowed}).`, value: x });
    }
  }
  for (const x of rules.required ?? []) {
    if (!values.includes(x)) out.push({ field, code: "required_missing", message: `The template requires ${label} ${x}.`, value: x });
  }
  return out;
}
