/** A profile's defaults checked against its template, so a bad default is refused when the profile is saved, not at every issuance. */
import type { Violation } from "../errors.js";
import { isKeyAlgorithm, KEY_ALGORITHMS } from "../pki/algorithms.js";
import { parseDuration } from "./duration.js";
import {
  enumList, isObject, keyUsageViolations, sanEntriesFromList, sanTemplateViolations, subjectTemplateViolations, subjectValue, SUBJECT_FIELDS,
} from "./issuance-parts.js";
import { checkEnum, type FieldValue } from "./template-check.js";
import type { Template } from "./template.js";
import { EXTENDED_KEY_USAGES, isOneOf, KEY_USAGES, SIGNATURE_ALGORITHMS, type SubjectType } from "./vocabulary.js";

/** Every way the fields a profile's defaults set break the template (fields the defaults leave unset are not judged). */
export function checkDefaults(template: Template, defaults: unknown): Violation[] {
  const v: Violation[] = [];
  if (!isObject(defaults)) return [{ field: "defaults", code: "invalid_type", message: "Must be an object.", value: defaults }];
  const d: Record<string, unknown> = defaults;

  const values: Partial<Record<SubjectType, FieldValue>> = {};
  const set: SubjectType[] = [];
  for (const [api, dnKey, type] of SUBJECT_FIELDS) {
    if (d[api] === undefined) continue;
    set.push(type);
    const clean = subjectValue(dnKey, d[api], `defaults.${api}`, v);
    if (clean) values[type] = { field: `defaults.${api}`, value: clean };
  }
  v.push(...subjectTemplateViolations(template, values, set).map((x) => ({ ...x, field: x.field.replace(/^attributes\./, "defaults.") })));

  // The default SAN list is used as a whole, so it is judged as a whole (required SANs included).
  if (d.altNames !== undefined) v.push(...sanTemplateViolations(template, sanEntriesFromList(d.altNames, "defaults.altNames", v), "defaults.altNames"));

  let keyAlgorithm = null;
  if (d.keyAlgorithm !== undefined) {
    if (!isKeyAlgorithm(d.keyAlgorithm as string)) v.push({ field: "defaults.keyAlgorithm", code: "invalid_value", message: `Must be one of ${KEY_ALGORITHMS.join(", ")}.`, value: d.keyAlgorithm });
    else {
      keyAlgorithm = d.keyAlgorithm as (typeof KEY_ALGORITHMS)[number];
      const allowed = template.algorithms.keyAlgorithm;
      if (allowed && !allowed.includes(keyAlgorithm)) v.push({ field: "defaults.keyAlgorithm", code: "key_algorithm_not_allowed", message: `The template does not allow ${keyAlgorithm} keys (allowed: ${allowed.join(", ")}).`, value: keyAlgorithm });
    }
  }
  if (d.signatureAlgorithm !== undefined) {
    const allowed = template.algorithms.signature;
    if (!isOneOf(SIGNATURE_ALGORITHMS, d.signatureAlgorithm)) v.push({ field: "defaults.signatureAlgorithm", code: "invalid_value", message: `Must be one of ${SIGNATURE_ALGORITHMS.join(", ")}.`, value: d.signatureAlgorithm });
    else if (allowed && !allowed.includes(d.signatureAlgorithm)) v.push({ field: "defaults.signatureAlgorithm", code: "signature_algorithm_not_allowed", message: `The template does not allow ${d.signatureAlgorithm} (allowed: ${allowed.join(", ")}).`, value: d.signatureAlgorithm });
  }
  if (d.keyUsages !== undefined) {
    const ku = enumList(d.keyUsages, KEY_USAGES, "defaults.keyUsages", v);
    v.push(...checkEnum(template.keyUsages, ku, "key usage", "defaults.keyUsages"), ...keyUsageViolations(ku, keyAlgorithm, "defaults.keyUsages"));
  }
  if (d.extendedKeyUsages !== undefined) {
    const eku = enumList(d.extendedKeyUsages, EXTENDED_KEY_USAGES, "defaults.extendedKeyUsages", v);
    v.push(...checkEnum(template.extendedKeyUsages, eku, "extended key usage", "defaults.extendedKeyUsages"));
  }
  if (d.ttl !== undefined) {
    const ttl = parseDuration(d.ttl as string);
    if ("error" in ttl) v.push({ field: "defaults.ttl", code: "invalid_duration", message: ttl.error, value: d.ttl });
    else if (template.validity.maxMs !== undefined && ttl.ms > template.validity.maxMs) v.push({ field: "defaults.ttl", code: "validity_too_long", message: `The default ttl ${String(d.ttl)} exceeds the template's maximum ${template.validity.max}.`, value: d.ttl });
  }
  // Fixed dates would go stale; a profile sets a ttl instead.
  for (const k of ["notBefore", "notAfter"] as const) {
    if (d[k] !== undefined) v.push({ field: `defaults.${k}`, code: "not_defaultable", message: `A profile cannot default ${k}; set a ttl instead.`, value: d[k] });
  }
  return v;
}
