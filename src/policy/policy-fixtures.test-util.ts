/** Shared fixtures of the policy tests. */
import type { Violation } from "../errors.js";
import { decideIssuance, type IssuanceAttributes, type IssuanceDecisionInput, type IssuanceRequest, type IssuerFacts } from "./issuance.js";
import { parseTemplate, type Template, type TemplateInput } from "./template.js";

export const NOW = new Date("2030-01-01T00:00:00Z");
export const DAY = 86_400_000;

/** An EC P-256 intermediate valid 2029–2035. */
export const ISSUER: IssuerFacts = { selfSigned: false, keyAlgorithm: "EC_prime256v1", notBefore: new Date("2029-01-01T00:00:00Z"), notAfter: new Date("2035-01-01T00:00:00Z") };

/** Parses a template or throws with its violations. */
export function tpl(input: TemplateInput): Template {
  const r = parseTemplate(input);
  if ("violations" in r) throw new Error(`template does not parse: ${JSON.stringify(r.violations)}`);
  return r.template;
}

/** Runs decideIssuance with the fixture issuer and clock. */
export function decide(template: TemplateInput, attributes: IssuanceAttributes, extra: Partial<IssuanceDecisionInput> = {}) {
  return decideIssuance({ template: tpl(template), defaults: {}, attributes, issuer: ISSUER, now: NOW, backdateSeconds: 60, ...extra });
}

/** "field:code" of each violation; [] when the request passed. */
export function codes(r: { request: IssuanceRequest } | { violations: Violation[] }): string[] {
  return "violations" in r ? r.violations.map((v) => `${v.field}:${v.code}`) : [];
}

/** The request, or a thrown error listing the violations. */
export function requestOf(r: { request: IssuanceRequest } | { violations: Violation[] }): IssuanceRequest {
  if ("violations" in r) throw new Error(`expected a request: ${JSON.stringify(r.violations)}`);
  return r.request;
}
