import type { Violation } from "../errors.js";
import type { KeyAlgorithm } from "../pki/algorithms.js";
import { validateDnFields, type DnFields } from "../pki/name.js";

/** A CA creation request as the API gives it (dates as ISO strings). */
export interface CaRequestInput {
  type: "root" | "intermediate";
  commonName: string;
  organization?: string;
  ou?: string;
  country?: string;
  province?: string;
  locality?: string;
  notBefore?: string;
  notAfter?: string;
  maxPathLength?: number;
  keyAlgorithm: KeyAlgorithm;
  parentCaId?: string;
}

/** What the policy needs to know about the parent CA, when there is one. */
export interface ParentFacts {
  id: string;
  status: string;
  maxPathLength: number;
  notBefore: Date;
  notAfter: Date;
}

/** A CA request that passed every rule. */
export interface CaRequest {
  type: "root" | "intermediate";
  subject: DnFields;
  notBefore: Date;
  notAfter: Date;
  maxPathLength: number;
  keyAlgorithm: KeyAlgorithm;
  parentCaId: string | null;
}

const YEAR_MS = 365 * 86_400_000;
export const DEFAULT_ROOT_LIFETIME_MS = 10 * YEAR_MS;
export const DEFAULT_INTERMEDIATE_LIFETIME_MS = 5 * YEAR_MS;
// RFC 5280 §4.1.2.5: GeneralizedTime up to 9999; before 1950 UTCTime cannot say it.
const MIN_TIME = Date.UTC(1950, 0, 1);
const MAX_TIME = Date.UTC(9999, 11, 31, 23, 59, 59);

function date(v: string | undefined, field: string, out: Violation[]): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (Number.isNaN(d.getTime()) || d.getTime() < MIN_TIME || d.getTime() > MAX_TIME) {
    out.push({ field, code: "invalid_date", message: "Must be an ISO 8601 date between 1950 and 9999.", value: v });
    return undefined;
  }
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

/**
 * Checks a CA request against RFC 5280 and the parent CA; returns every violation at once.
 * `parent` is null for roots and for intermediates that an outside CA will sign.
 * RFC 5280 §4.2.1.9: a CA with pathLenConstraint n may only sign CAs whose own constraint is
 * below n; n = 0 signs no CA at all. -1 stands for "no constraint".
 */
export function evaluateCaRequest(input: CaRequestInput, parent: ParentFacts | null, now: Date): { request: CaRequest } | { violations: Violation[] } {
  const v: Violation[] = [];
  const subject: DnFields = { commonName: input.commonName, organization: input.organization, ou: input.ou, country: input.country, province: input.province, locality: input.locality };
  for (const k of Object.keys(subject) as (keyof DnFields)[]) if (subject[k] === undefined || subject[k] === "") delete subject[k];
  v.push(...validateDnFields(subject, "configuration"));

  if (input.type === "root" && input.parentCaId) {
    v.push({ field: "configuration.parentCaId", code: "root_has_parent", message: "A root CA signs itself; remove parentCaId or use type intermediate.", value: input.parentCaId });
  }

  const nowS = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const notBefore = date(input.notBefore, "configuration.notBefore", v) ?? nowS;
  let notAfter = date(input.notAfter, "configuration.notAfter", v);
  const lifetime = input.type === "root" ? DEFAULT_ROOT_LIFETIME_MS : DEFAULT_INTERMEDIATE_LIFETIME_MS;
  if (!notAfter) {
    notAfter = new Date(notBefore.getTime() + lifetime);
    if (parent && notAfter > parent.notAfter) notAfter = parent.notAfter;
  }
  if (notAfter <= notBefore) {
    v.push({ field: "configuration.notAfter", code: "validity_order", message: "notAfter must be later than notBefore.", value: input.notAfter ?? notAfter.toISOString() });
  }
  if (notAfter <= now) {
    v.push({ field: "configuration.notAfter", code: "in_the_past", message: "notAfter must be in the future.", value: input.notAfter });
  }

  const maxPathLength = input.maxPathLength ?? (parent && parent.maxPathLength >= 0 ? parent.maxPathLength - 1 : -1);
  if (parent) {
    if (parent.status !== "active") {
      v.push({ field: "configuration.parentCaId", code: "parent_not_active", message: `The parent CA is ${parent.status}; only an active CA can sign.`, value: parent.id });
    }
    if (parent.maxPathLength === 0) {
      v.push({ field: "configuration.parentCaId", code: "parent_path_length", message: "The parent CA has maxPathLength 0 and cannot sign CA certificates.", value: parent.id });
    } else if (parent.maxPathLength > 0 && (maxPathLength < 0 || maxPathLength >= parent.maxPathLength)) {
      v.push({ field: "configuration.maxPathLength", code: "path_length_exceeds_parent", message: `Must be from 0 to ${parent.maxPathLength - 1}, below the parent's maxPathLength ${parent.maxPathLength}.`, value: maxPathLength });
    }
    if (notBefore < parent.notBefore) {
      v.push({ field: "configuration.notBefore", code: "before_parent", message: `Must not be before the parent CA's notBefore ${parent.notBefore.toISOString()}.`, value: input.notBefore });
    }
    if (notAfter > parent.notAfter) {
      v.push({ field: "configuration.notAfter", code: "outlives_parent", message: `Must not be after the parent CA's notAfter ${parent.notAfter.toISOString()}.`, value: input.notAfter });
    }
  }
  if (v.length) return { violations: v };
  return { request: { type: input.type, subject, notBefore, notAfter, maxPathLength, keyAlgorithm: input.keyAlgorithm, parentCaId: parent?.id ?? null } };
}
