/**
 * Templates built from a preset: the rules given with it NARROW the preset, never widen it
 * (docs/templates.md "Presets"). Also the warnings a template earns when it restricts the common
 * name but leaves subject alternative names open. Pure; used by the API, and so by the CLI.
 */
import type { Violation } from "../errors.js";
import type { ViolationCode } from "../violations.js";
import { parseMaxValidity } from "./duration.js";
import { compilePattern } from "./patterns.js";
import { SAN_TYPES, type SanType } from "./san-syntax.js";
import { PATTERN_KIND, type RuleLists, type TemplateInput } from "./template.js";
import type { SubjectType } from "./vocabulary.js";

/** Something a template allows that its author may not have meant; reported, not refused. */
export interface TemplateWarning {
  field: string;
  code: ViolationCode;
  message: string;
}

type PatternRule<T> = { type: T } & RuleLists<string>;
const union = <T>(a: T[] | undefined, b: T[] | undefined): T[] | undefined => (a || b ? [...new Set([...(a ?? []), ...(b ?? [])])] : undefined);
const widen = (field: string, message: string, value?: unknown): Violation => ({ field, code: "widens_preset", message: `${message} Rules given with a preset can only narrow it; leave out the preset to write the rule from scratch.`, value });

/** True when every value `pattern` matches is also matched by one of `outer` (decided for "*", equal patterns and literal values). */
function covered(type: SubjectType | SanType, pattern: string, outer: readonly string[]): boolean {
  if (outer.includes("*") || outer.includes(pattern)) return true;
  const m = compilePattern(PATTERN_KIND[type], pattern);
  if ("error" in m || !m.literal) return false;
  return outer.some((o) => {
    const om = compilePattern(PATTERN_KIND[type], o);
    return !("error" in om) && om.test(pattern);
  });
}

/** One subject or SAN section: per type, the given rule narrows the preset's; types not given keep the preset's rule. */
function narrowPatterns<T extends SubjectType | SanType>(section: "subject" | "sans", preset: PatternRule<T>[] | undefined, given: PatternRule<T>[] | undefined, presetName: string, v: Violation[]): PatternRule<T>[] | undefined {
  if (!given) return preset;
  const out = (preset ?? []).map((r) => ({ ...r }));
  given.forEach((g, i) => {
    const at = out.findIndex((r) => r.type === g.type);
    if (at < 0) return void out.push(g);
    const p = out[at];
    if (g.allowed && p.allowed) {
      g.allowed.forEach((pattern, j) => {
        if (covered(g.type, pattern, p.allowed!)) return;
        const what = p.allowed!.length === 0 ? `The preset ${presetName} forbids ${g.type} values, so "${pattern}" cannot be allowed.` : `The preset ${presetName} allows ${g.type} only as ${p.allowed!.join(", ")}; "${pattern}" is not within it.`;
        v.push(widen(`${section}[${i}].allowed[${j}]`, what, pattern));
      });
    }
    out[at] = { type: g.type, ...defined({ allowed: g.allowed ?? p.allowed, required: union(p.required, g.required), denied: union(p.denied, g.denied) }) };
  });
  return out;
}

/** Drops undefined fields, so the stored JSON has no `"allowed": undefined`. */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as T;
}

/** An enum rule (key usages, EKUs): given `allowed` must be a subset of the preset's; required and denied add up. */
function narrowEnum<T extends string>(field: string, preset: RuleLists<T> | undefined, given: RuleLists<T> | undefined, presetName: string, v: Violation[]): RuleLists<T> | undefined {
  if (!given) return preset;
  if (!preset) return given;
  if (given.allowed && preset.allowed) {
    given.allowed.forEach((x, j) => {
      if (!preset.allowed!.includes(x)) v.push(widen(`${field}.allowed[${j}]`, `The preset ${presetName} does not allow ${x} (it allows ${preset.allowed!.join(", ") || "none"}).`, x));
    });
  }
  return defined({ allowed: given.allowed ?? preset.allowed, required: union(preset.required, given.required), denied: union(preset.denied, given.denied) });
}

/** A list of algorithms: given must be a subset of the preset's. */
function narrowList<T extends string>(field: string, preset: T[] | undefined, given: T[] | undefined, presetName: string, v: Violation[]): T[] | undefined {
  if (given && preset) given.forEach((x, j) => preset.includes(x) || v.push(widen(`${field}[${j}]`, `The preset ${presetName} does not allow ${x} (it allows ${preset.join(", ")}).`, x)));
  return given ?? preset;
}

/**
 * The template made from `preset` and the rules given with it: each given field narrows the
 * preset's field of the same kind — SAN and subject rules per type (allowed patterns must lie
 * within the preset's, so a type the preset forbids stays forbidden; required and denied add up;
 * types not given keep the preset's rule), key usages, EKUs and algorithms as subsets, validity
 * no longer, isCA unchanged when the preset fixes it, a path length no longer. Every widening is
 * a violation.
 */
export function narrowPreset(presetName: string, preset: TemplateInput, given: TemplateInput): { rules: TemplateInput } | { violations: Violation[] } {
  const v: Violation[] = [];
  const rules: TemplateInput = {
    subject: narrowPatterns("subject", preset.subject, given.subject, presetName, v),
    sans: narrowPatterns("sans", preset.sans, given.sans, presetName, v),
    keyUsages: narrowEnum("keyUsages", preset.keyUsages, given.keyUsages, presetName, v),
    extendedKeyUsages: narrowEnum("extendedKeyUsages", preset.extendedKeyUsages, given.extendedKeyUsages, presetName, v),
  };
  if (preset.algorithms || given.algorithms) {
    rules.algorithms = defined({
      signature: narrowList("algorithms.signature", preset.algorithms?.signature, given.algorithms?.signature, presetName, v),
      keyAlgorithm: narrowList("algorithms.keyAlgorithm", preset.algorithms?.keyAlgorithm, given.algorithms?.keyAlgorithm, presetName, v),
    });
  }
  const pMax = preset.validity?.max;
  const gMax = given.validity?.max;
  if (pMax && gMax) {
    const [p, g] = [parseMaxValidity(pMax), parseMaxValidity(gMax)];
    if ("ms" in p && "ms" in g && g.ms > p.ms) v.push(widen("validity.max", `The preset ${presetName} allows at most ${pMax}; ${gMax} is longer.`, gMax));
  }
  if (preset.validity || given.validity) rules.validity = defined({ max: gMax ?? pMax });
  const pBc = preset.basicConstraints ?? {};
  const gBc = given.basicConstraints ?? {};
  if (gBc.isCA && pBc.isCA && pBc.isCA !== "allowed" && gBc.isCA !== pBc.isCA) v.push(widen("basicConstraints.isCA", `The preset ${presetName} has isCA "${pBc.isCA}".`, gBc.isCA));
  // -1 is "no limit" (Infisical's spelling), wider than any limit a preset sets.
  if (gBc.maxPathLength !== undefined && pBc.maxPathLength !== undefined && pBc.maxPathLength >= 0 && (gBc.maxPathLength === -1 || gBc.maxPathLength > pBc.maxPathLength)) v.push(widen("basicConstraints.maxPathLength", `The preset ${presetName} allows a path length of at most ${pBc.maxPathLength}.`, gBc.maxPathLength));
  if (preset.basicConstraints || given.basicConstraints) rules.basicConstraints = defined({ isCA: gBc.isCA ?? pBc.isCA, maxPathLength: gBc.maxPathLength ?? pBc.maxPathLength });
  return v.length ? { violations: v } : { rules: defined(rules) };
}

/**
 * Warnings for a template's rules: a common name restricted by `allowed` patterns while some SAN
 * type may be anything. TLS clients check SANs, not the CN (RFC 6125 §6.4.4), so such a template
 * restricts nothing that matters: a certificate for an allowed CN could name any host or identity.
 */
export function templateWarnings(rules: TemplateInput): TemplateWarning[] {
  const cn = rules.subject?.find((r) => r.type === "common_name");
  if (!cn?.allowed || cn.allowed.includes("*")) return [];
  const open = SAN_TYPES.filter((type) => {
    const r = rules.sans?.find((s) => s.type === type);
    return !r?.allowed || r.allowed.includes("*");
  });
  if (!open.length) return [];
  return [{
    field: "sans",
    code: "sans_unrestricted",
    message: `The common name is restricted, but SANs of type ${open.join(", ")} may be anything, and clients check SANs, not the common name. Restrict each type with allowed patterns (e.g. dns_name "${cn.allowed[0] ?? "*.example.com"}"), or forbid it with "allowed": [].`,
  }];
}
