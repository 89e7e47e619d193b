import { z } from "zod";
import { KEY_ALGORITHMS } from "../pki/algorithms.js";
import { isoDate, line, name, removableMembers, uuid } from "./common.js";

/** Templates, profiles and certificates: the public API's shapes (Infisical's names). */

import { EXTENDED_KEY_USAGES, KEY_USAGES, SIGNATURE_ALGORITHMS, SUBJECT_TYPES } from "../policy/vocabulary.js";
import { SAN_TYPES } from "../policy/san-syntax.js";
import { REVOCATION_REASON_CODES, type RevocationReason } from "../pki/revocation-reasons.js";
import { isEncodableTime } from "../pki/der-extra.js";
import { certificateView, infisicalOnlyAttributes, metadataList, sanType, ttl } from "./certificate-shapes.js";

export { EXTENDED_KEY_USAGES, KEY_USAGES, SAN_TYPES, SIGNATURE_ALGORITHMS, SUBJECT_TYPES };
export const TEMPLATE_PRESET_NAMES = ["tls-server", "tls-client", "dual-purpose-server", "code-signing", "email-protection", "device", "user", "intermediate-ca"] as const;
export const REVOCATION_REASONS = Object.keys(REVOCATION_REASON_CODES) as [RevocationReason, ...RevocationReason[]];

const pattern = z.string().max(253);
const patterns = z.array(pattern).max(100);
const ruleLists = { allowed: patterns.optional(), required: patterns.optional(), denied: patterns.optional() };
const usageRule = <T extends readonly [string, ...string[]]>(values: T) =>
  z.strictObject({ allowed: z.array(z.enum(values)).max(20).optional(), required: z.array(z.enum(values)).max(20).optional(), denied: z.array(z.enum(values)).max(20).optional() });
const duration = z.string().max(16).describe('a duration: a number and a unit s, h, d, w or y (365 days), e.g. "90d", "12h", "1y"');

/** A template's rules (Infisical's certificate policy). */
export const templateRules = z.strictObject({
  subject: z.array(z.strictObject({ type: z.enum(SUBJECT_TYPES), ...ruleLists })).max(20).optional(),
  sans: z.array(z.strictObject({ type: z.enum(SAN_TYPES), ...ruleLists })).max(20).optional(),
  keyUsages: usageRule(KEY_USAGES).optional(),
  extendedKeyUsages: usageRule(EXTENDED_KEY_USAGES).optional(),
  algorithms: z.strictObject({ signature: z.array(z.enum(SIGNATURE_ALGORITHMS)).max(10).optional(), keyAlgorithm: z.array(z.enum(KEY_ALGORITHMS)).max(10).optional() }).optional(),
  validity: z.strictObject({ max: duration.optional() }).optional(),
  basicConstraints: z.strictObject({ isCA: z.enum(["allowed", "required", "denied"]).optional(), maxPathLength: z.number().int().min(-1).max(32).optional() }).optional(),
});

export const createTemplateBody = templateRules.extend({
  projectId: uuid,
  name,
  description: z.string().max(1000).optional(),
  preset: z.enum(TEMPLATE_PRESET_NAMES).optional().describe("start from a preset; rules given here narrow the preset's (per SAN/subject type, subsets of usages and algorithms, no longer validity), never widen them"),
});
/** PATCH: absent rules stay; a rule given merges into the stored one (its lists replace); null removes a rule. */
export const updateTemplateBody = z.strictObject({ ...removableMembers(templateRules.shape), name: name.optional(), description: z.string().max(1000).optional() });
export const template = templateRules.extend({
  id: uuid,
  projectId: uuid,
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** Something a template allows that its author may not have meant (e.g. a restricted CN with open SANs); reported, not refused. */
export const templateWarning = z.object({ field: z.string(), code: z.string(), message: z.string() });
export const templatePreset = z.object({ preset: z.enum(TEMPLATE_PRESET_NAMES), name: z.string(), description: z.string(), rules: templateRules });

const altName = z.strictObject({ type: sanType, value: z.string().min(1).max(1024) });
const subjectFields = {
  commonName: z.string().max(256).optional(),
  organization: z.string().max(256).optional(),
  organizationalUnit: z.string().max(256).optional(),
  country: z.string().max(16).optional(),
  state: z.string().max(256).optional(),
  locality: z.string().max(256).optional(),
};

/** What a certificate request may set (and what profile defaults may fill in). */
export const issuanceAttributes = z.strictObject({
  ...subjectFields,
  altNames: z.array(altName).max(1000).optional(),
  ttl: ttl.optional(),
  notBefore: isoDate.optional(),
  notAfter: isoDate.optional(),
  keyAlgorithm: z.enum(KEY_ALGORITHMS).optional(),
  signatureAlgorithm: z.enum(SIGNATURE_ALGORITHMS).optional(),
  keyUsages: z.array(z.enum(KEY_USAGES)).max(9).optional(),
  extendedKeyUsages: z.array(z.enum(EXTENDED_KEY_USAGES)).max(6).optional(),
});

// Profile fields without default values: POST fills the defaults in, PATCH must not (an absent
// field there means "unchanged").
const acmeConfigFields = z.strictObject({
  eabRequired: z.boolean().describe("new accounts must bind an External Account Binding key (RFC 8555 §7.3.4)"),
  challengeTypes: z.array(z.enum(["http-01", "dns-01", "tls-alpn-01"])).min(1).max(3),
  orderLifetimeSeconds: z.number().int().min(300).max(30 * 86400),
  authorizationLifetimeSeconds: z.number().int().min(300).max(30 * 86400),
});
export const acmeConfig = z.strictObject({
  eabRequired: acmeConfigFields.shape.eabRequired.default(true),
  challengeTypes: acmeConfigFields.shape.challengeTypes.default(["http-01", "dns-01", "tls-alpn-01"]),
  orderLifetimeSeconds: acmeConfigFields.shape.orderLifetimeSeconds.default(86400),
  authorizationLifetimeSeconds: acmeConfigFields.shape.authorizationLifetimeSeconds.default(86400),
});
const apiConfigFields = z.strictObject({
  autoRenew: z.boolean(),
  renewBeforeDays: z.number().int().min(1).max(3650).nullable(),
});
const profileDefaults = issuanceAttributes.omit({ notBefore: true, notAfter: true });
const profileFields = z.strictObject({
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes, 1-63 characters"),
  description: z.string().max(1000),
  templateId: uuid,
  caId: uuid,
  enrollmentMethods: z.array(z.enum(["api", "acme"])).min(1).max(4),
});
export const createProfileBody = profileFields.extend({
  projectId: uuid,
  description: profileFields.shape.description.optional(),
  issuerType: z.enum(["ca", "self-signed"]).default("ca"),
  caId: uuid.optional(),
  enrollmentMethods: profileFields.shape.enrollmentMethods.default(["api"]),
  defaults: profileDefaults.default({}),
  apiConfig: z.strictObject({ autoRenew: apiConfigFields.shape.autoRenew.default(false), renewBeforeDays: apiConfigFields.shape.renewBeforeDays.default(null) }).default({ autoRenew: false, renewBeforeDays: null }),
  acmeConfig: acmeConfig.optional().describe("settings of the acme enrollment method (defaults apply when acme is enabled)"),
});
/**
 * PATCH: an absent field is unchanged. `apiConfig` and `acmeConfig` merge member by member into
 * the stored ones; `defaults` merges too, and a default set to null is removed (RFC 7396).
 */
export const updateProfileBody = profileFields.partial().extend({
  defaults: z.strictObject(removableMembers(profileDefaults.shape)).optional().describe("merged into the stored defaults; null removes one"),
  apiConfig: apiConfigFields.partial().optional().describe("merged into the stored apiConfig"),
  acmeConfig: acmeConfigFields.partial().optional().describe("merged into the stored acmeConfig (defaults apply when acme is enabled)"),
});
export const profile = z.object({
  id: uuid,
  projectId: uuid,
  slug: z.string(),
  description: z.string(),
  templateId: uuid,
  issuerType: z.enum(["ca", "self-signed"]),
  caId: uuid.nullable(),
  enrollmentMethods: z.array(z.string()),
  defaults: z.record(z.string(), z.unknown()),
  apiConfig: z.object({ autoRenew: z.boolean(), renewBeforeDays: z.number().nullable() }),
  acmeConfig: z.object({ eabRequired: z.boolean(), challengeTypes: z.array(z.string()), orderLifetimeSeconds: z.number(), authorizationLifetimeSeconds: z.number(), directoryUrl: z.string() }).nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const issueBody = z.strictObject({
  profileId: uuid,
  csr: z.string().min(1).max(64 * 1024).optional(),
  // Infisical's neutral extras are read, then dropped: the certificate is the same with or without them.
  attributes: issuanceAttributes
    .extend(infisicalOnlyAttributes)
    .transform(({ basicConstraints: _b, domainComponents: _d, customExtensions: _c, ...rest }) => rest)
    .default({}),
  removeRootsFromChain: z.boolean().default(false),
  metadata: metadataList.optional().describe("key/value pairs kept with the certificate (shown, searchable, PATCH-able)"),
});
export const issuedCertificate = z.object({
  certificate: z.string(),
  issuingCaCertificate: z.string(),
  certificateChain: z.string(),
  privateKey: z.string().optional(),
  serialNumber: z.string(),
  certificateId: uuid,
});
/** POST /certificates: Infisical's answer (a synchronous request is `issued` at once; its id is the certificate's). */
export const issueResponse = z.object({
  certificate: issuedCertificate.nullable(),
  certificateRequestId: uuid,
  status: z.enum(["issued", "pending", "pending_approval", "pending_validation", "failed", "rejected"]),
  message: z.string().optional(),
});
/** POST /certificates/:id/renew: Infisical's flat answer. */
export const renewResponse = issuedCertificate.extend({ certificateRequestId: uuid });
export const previewResponse = z.object({
  tbsCertificate: z.string().describe("base64 DER of the TBSCertificate that would be signed"),
  text: z.record(z.string(), z.unknown()),
  warnings: z.array(templateWarning).optional().describe("what the profile's template leaves open (e.g. a restricted CN with open SANs)"),
});

export const certificateStatus = z.enum(["active", "expired", "revoked", "renewed"]).describe("the list filter and lifecycleStatus: Infisical's three, and renewed");
/** The certificate object (Infisical's §1.5 fields and Stamp's): certificate-shapes.ts. */
export { certificateView };
/** PATCH /certificates/:id: Infisical's `metadata` (replaces the list), and Stamp's renewal settings. */
export const autoRenewBody = z.strictObject({
  metadata: metadataList.optional(),
  autoRenew: z.boolean().nullable().optional(),
  renewBeforeDays: z.number().int().min(1).max(3650).nullable().optional(),
});
export const listCertificatesQuery = z.strictObject({
  projectId: uuid,
  status: certificateStatus.optional(),
  profileId: uuid.optional(),
  caId: uuid.optional(),
  search: line(253).min(1).optional().describe("substring of the common name or a SAN, case-insensitive; or, from 8 hex digits on (colons, 0x and a leading 00 allowed), a prefix of the serial number"),
  expiresBefore: z.iso.datetime({ offset: true }).optional(),
  metadata: z
    .union([line(1200), z.array(line(1200)).max(20)])
    .optional()
    .describe('"key=value" (or "key" alone) a certificate\'s metadata must hold; repeat for several'),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});
/** Renew: the body may be empty or null (Infisical's nullable body); `csr` goes with renewalKeySource "csr" (or alone). */
export const renewBody = z.preprocess(
  (v) => v ?? {},
  z
    .strictObject({
      renewalKeySource: z.enum(["new", "reuse", "csr"]).optional(),
      csr: z.string().min(1).max(64 * 1024).optional(),
      removeRootsFromChain: z.boolean().optional(),
    })
    .superRefine((b, ctx) => {
      if (b.renewalKeySource === "csr" && !b.csr) ctx.addIssue({ code: "custom", path: ["csr"], message: 'renewalKeySource "csr" needs the csr' });
      if (b.csr && b.renewalKeySource && b.renewalKeySource !== "csr") ctx.addIssue({ code: "custom", path: ["renewalKeySource"], message: `a csr goes with renewalKeySource "csr", not "${b.renewalKeySource}"` });
    }),
);
/**
 * RFC 5280 §5.3.2: a CRL carries the invalidity date as GeneralizedTime with seconds; Stamp
 * writes 1950 to 9999 (the range §4.1.2.5 gives X.509 times), so any other instant is refused
 * here rather than breaking the CA's CRL later (issue 14).
 */
export const invalidityDate = z.iso
  .datetime({ offset: true })
  .refine((s) => isEncodableTime(new Date(s)), { message: "The invalidity date must lie between 1950-01-01T00:00:00Z and 9999-12-31T23:59:59Z (the times a CRL can carry, RFC 5280 §5.3.2), and not after the revocation." });
export const revokeBody = z.strictObject({
  revocationReason: z.enum(REVOCATION_REASONS),
  invalidityDate: invalidityDate.optional().describe("when the key was (or is suspected to have been) compromised: 1950-01-01 to now"),
});
export const createEabBody = z.strictObject({ description: z.string().max(200).optional() });
export const eabKey = z.object({ keyId: z.string(), description: z.string(), createdAt: z.string(), revokedAt: z.string().nullable(), accountId: z.string().nullable() });
export const pkcs12Body = z.strictObject({ password: z.string().min(4).max(256) });
