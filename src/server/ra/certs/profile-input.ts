import { errors, type Violation } from "../../../errors.js";
import type { AcmeConfig } from "../../store/schema.js";
import { checkBootstrapChain, type EstConfigInput } from "../est/settings.js";
import type { ScepConfigInput } from "../scep/settings.js";

/**
 * Infisical's names for profile fields, read into Stamp's model (issue 15): certificatePolicyId
 * is templateId; enrollmentType with its config object is enrollmentMethods; skipEabBinding is
 * the opposite of eabRequired; defaults.ttlDays and defaultTtlDays are defaults.ttl in days.
 * Empty strings and empty lists in defaults mean "no default". What Stamp cannot do (external
 * CAs, skipping challenge validation, CA certificates from a profile) is refused by name, never
 * dropped.
 */

/** A profile body as the API's schema let it through (create or PATCH). */
export interface ProfileBody {
  templateId?: string;
  certificatePolicyId?: string;
  enrollmentMethods?: ("api" | "acme" | "est" | "scep")[];
  enrollmentType?: "api" | "est" | "acme";
  apiConfig?: { autoRenew?: boolean; renewBeforeDays?: number | null };
  acmeConfig?: { eabRequired?: boolean; skipEabBinding?: boolean; skipDnsOwnershipVerification?: boolean; challengeTypes?: AcmeConfig["challengeTypes"]; orderLifetimeSeconds?: number; authorizationLifetimeSeconds?: number };
  estConfig?: { disableBootstrapCaValidation?: boolean; passphrase?: string | null; caChain?: string | null };
  scepConfig?: ScepConfigInput;
  externalConfigs?: Record<string, unknown> | null;
  defaultTtlDays?: number | null;
  defaults?: Record<string, unknown>;
}

/** The same body in Stamp's model only. */
export interface ReadProfile {
  templateId?: string;
  enrollmentMethods?: string[];
  apiConfig?: { autoRenew?: boolean; renewBeforeDays?: number | null };
  acmeConfig?: Partial<AcmeConfig>;
  /** EST settings to apply (ra/est/settings.ts); null removes the passphrase or the chain. */
  estConfig?: EstConfigInput;
  /** null members remove a default (PATCH). */
  defaults?: Record<string, unknown>;
}

const isEmpty = (v: unknown) => v === "" || (Array.isArray(v) && v.length === 0);

/** Reads a profile body's Infisical aliases into Stamp's fields; every conflict and unsupported setting at once (400). */
export function readProfileAliases(body: ProfileBody, mode: "create" | "update"): ReadProfile {
  const v: Violation[] = [];
  const out: ReadProfile = {};

  if (body.templateId && body.certificatePolicyId && body.templateId !== body.certificatePolicyId) {
    v.push({ field: "certificatePolicyId", code: "conflicting_alias", message: "certificatePolicyId is another name for templateId; give one, or the same id in both.", value: body.certificatePolicyId });
  }
  const templateId = body.templateId ?? body.certificatePolicyId;
  if (templateId) out.templateId = templateId;
  else if (mode === "create") v.push({ field: "certificatePolicyId", code: "required", message: "Name the profile's certificate policy: certificatePolicyId (or templateId)." });

  const type = body.enrollmentType;
  if (body.estConfig !== undefined) {
    const { disableBootstrapCaValidation, passphrase, caChain } = body.estConfig;
    if (disableBootstrapCaValidation) v.push({ field: "estConfig.disableBootstrapCaValidation", code: "not_supported", message: "Stamp always checks EST client certificates against the bootstrap CA chain or its own CAs.", value: true });
    if (caChain) v.push(...checkBootstrapChain(caChain));
    out.estConfig = { ...(passphrase !== undefined ? { passphrase } : {}), ...(caChain !== undefined ? { caChain } : {}) };
  }
  if (type) {
    if (body.enrollmentMethods && (body.enrollmentMethods.length !== 1 || body.enrollmentMethods[0] !== type)) {
      v.push({ field: "enrollmentMethods", code: "conflicting_alias", message: `enrollmentType ${type} means enrollmentMethods ["${type}"]; give one of the two.`, value: body.enrollmentMethods });
    }
    // Infisical: each enrollment type takes its own config and forbids the others'.
    if (type === "api" && body.acmeConfig) v.push({ field: "acmeConfig", code: "not_allowed", message: "acmeConfig belongs to enrollmentType acme.", value: body.acmeConfig });
    if (type === "est" && body.acmeConfig) v.push({ field: "acmeConfig", code: "not_allowed", message: "acmeConfig belongs to enrollmentType acme.", value: body.acmeConfig });
    if (type === "acme" && body.apiConfig) v.push({ field: "apiConfig", code: "not_allowed", message: "apiConfig belongs to enrollmentType api.", value: body.apiConfig });
    out.enrollmentMethods = [type];
  } else if (body.enrollmentMethods) out.enrollmentMethods = body.enrollmentMethods;

  if (body.apiConfig) out.apiConfig = body.apiConfig;
  if (body.acmeConfig) {
    const { skipEabBinding, skipDnsOwnershipVerification, ...rest } = body.acmeConfig;
    if (skipEabBinding !== undefined && rest.eabRequired !== undefined && skipEabBinding === rest.eabRequired) {
      v.push({ field: "acmeConfig.skipEabBinding", code: "conflicting_alias", message: "skipEabBinding is the opposite of eabRequired; give one, or both agreeing.", value: skipEabBinding });
    }
    if (skipEabBinding && skipDnsOwnershipVerification) {
      v.push({ field: "acmeConfig.skipDnsOwnershipVerification", code: "not_allowed", message: "skipEabBinding and skipDnsOwnershipVerification may not both be set: the ACME server would then issue to anyone.", value: true });
    } else if (skipDnsOwnershipVerification) {
      v.push({ field: "acmeConfig.skipDnsOwnershipVerification", code: "not_supported", message: "Stamp always validates ACME challenges (RFC 8555 §8); it cannot skip domain ownership checks.", value: true });
    }
    out.acmeConfig = { ...rest, ...(skipEabBinding !== undefined ? { eabRequired: !skipEabBinding } : {}) };
  }
  if (body.externalConfigs && Object.keys(body.externalConfigs).length) {
    v.push({ field: "externalConfigs", code: "not_supported", message: "Stamp signs with its own CAs only; external CA settings do not apply.", value: body.externalConfigs });
  }

  if (body.defaults !== undefined || body.defaultTtlDays !== undefined) {
    const d: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(body.defaults ?? {})) if (x !== undefined && !isEmpty(x)) d[k] = x;
    const bc = d.basicConstraints as { isCA?: boolean } | null | undefined;
    if (bc?.isCA) v.push({ field: "defaults.basicConstraints.isCA", code: "not_supported", message: "A profile issues leaf certificates; CA certificates come from the CA endpoints (sign-intermediate).", value: true });
    delete d.basicConstraints;
    const ttls: [string, unknown][] = [["defaults.ttl", d.ttl], ["defaults.ttlDays", d.ttlDays], ["defaultTtlDays", body.defaultTtlDays]];
    const given = ttls.filter(([, x]) => x !== undefined).map(([f, x]): [string, string | null] => [f, x === null ? null : typeof x === "number" ? `${x}d` : String(x)]);
    if (new Set(given.map(([, x]) => x)).size > 1) v.push({ field: given[1][0], code: "conflicting_alias", message: `${given.map(([f]) => f).join(", ")} all set the default lifetime; give one.`, value: given[1][1] });
    delete d.ttlDays;
    if (given.length) d.ttl = given[0][1];
    if (mode === "create" && d.ttl === null) delete d.ttl;
    out.defaults = d;
  }

  if (v.length) throw errors.badRequest("The profile's fields contradict each other or ask for what Stamp does not do; see violations.", v);
  return out;
}
