import { z } from "zod";
import { KEY_ALGORITHMS } from "../pki/algorithms.js";
import { EXTENDED_KEY_USAGES, KEY_USAGES, SIGNATURE_ALGORITHMS, SUBJECT_TYPES } from "../policy/vocabulary.js";
import { SAN_TYPES } from "../policy/san-syntax.js";
import { line, name, removableMembers, uuid, violationCode } from "./common.js";
import { sanTypeInput } from "./san-types.js";

/** Certificate templates, which Infisical calls certificate policies: one shape under both names. */

export const TEMPLATE_PRESET_NAMES = ["tls-server", "tls-client", "dual-purpose-server", "code-signing", "email-protection", "device", "user", "intermediate-ca"] as const;

const pattern = z.string().max(253);
const patterns = z.array(pattern).max(100);
const ruleLists = { allowed: patterns.optional(), required: patterns.optional(), denied: patterns.optional() };
const usageRule = <T extends readonly [string, ...string[]]>(values: T) =>
  z.strictObject({ allowed: z.array(z.enum(values)).max(20).optional(), required: z.array(z.enum(values)).max(20).optional(), denied: z.array(z.enum(values)).max(20).optional() });
const maxValidity = z.string().max(16).describe('the longest lifetime: a number and a unit s, h, d, w, m (a month, 1/12 of a year, as Infisical means it) or y (365 days), e.g. "90d", "12m", "1y"');

/** The rule fields, with the SAN type schema of requests (aliases read) or of answers (Stamp's names). */
function ruleFields<S extends z.ZodType>(sanType: S) {
  return {
    subject: z.array(z.strictObject({ type: z.enum(SUBJECT_TYPES), ...ruleLists })).max(20),
    sans: z.array(z.strictObject({ type: sanType, ...ruleLists })).max(20),
    keyUsages: usageRule(KEY_USAGES),
    extendedKeyUsages: usageRule(EXTENDED_KEY_USAGES),
    algorithms: z.strictObject({ signature: z.array(z.enum(SIGNATURE_ALGORITHMS)).max(10).optional(), keyAlgorithm: z.array(z.enum(KEY_ALGORITHMS)).max(10).optional() }),
    validity: z.strictObject({ max: maxValidity.optional() }),
    basicConstraints: z.strictObject({ isCA: z.enum(["allowed", "required", "denied"]).optional(), maxPathLength: z.number().int().min(-1).max(32).optional().describe("-1 = no limit") }),
  };
}
const inputFields = ruleFields(sanTypeInput);
const outputFields = ruleFields(z.enum(SAN_TYPES));

/** A template's rules as requests write them (every rule optional: not configured allows anything). */
export const templateRules = z.strictObject(Object.fromEntries(Object.entries(inputFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof inputFields]: z.ZodOptional<(typeof inputFields)[K]> });
/** The same rules as answers carry them. */
export const templateRulesView = z.object(Object.fromEntries(Object.entries(outputFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof outputFields]: z.ZodOptional<(typeof outputFields)[K]> });

export const createTemplateBody = templateRules.extend({
  projectId: uuid,
  name,
  description: z.string().max(1000).optional(),
  preset: z.enum(TEMPLATE_PRESET_NAMES).optional().describe("start from a preset; rules given here narrow the preset's (per SAN/subject type, subsets of usages and algorithms, no longer validity), never widen them"),
});
/** PATCH: absent rules stay; a rule given merges into the stored one (its lists replace); null removes a rule. */
export const updateTemplateBody = z.strictObject({ ...removableMembers(templateRules.shape), name: name.optional(), description: z.string().max(1000).optional() });
/** A template (certificate policy) as answers carry it: every rule present, `[]`/`{}` when not configured (which allows anything). */
export const template = z.object({
  id: uuid,
  projectId: uuid,
  name: z.string(),
  description: z.string(),
  ...outputFields,
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** Something a template allows that its author may not have meant (e.g. a restricted CN with open SANs); reported, not refused. */
export const templateWarning = z.object({ field: z.string(), code: violationCode, message: z.string() });
export const templatePreset = z.object({ preset: z.enum(TEMPLATE_PRESET_NAMES), name: z.string(), description: z.string(), rules: templateRulesView });

/** GET …/certificate-policies (and -templates): Infisical's offset pagination and name search. */
export const listTemplatesQuery = z.strictObject({
  projectId: uuid,
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  search: line(100).min(1).optional().describe("a substring of the name, case-insensitive"),
});
/** GET …/certificate-policies/:id: Infisical's G3 `applicationId` (Stamp has no Applications; refused when given). */
export const getTemplateQuery = z.strictObject({ applicationId: uuid.optional() });
