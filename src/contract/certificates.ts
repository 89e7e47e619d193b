import { z } from "zod";
import { KEY_ALGORITHMS } from "../pki/algorithms.js";
import { isoDate, name, uuid } from "./common.js";

/** Templates, profiles and certificates: the public API's shapes (Infisical's names). */

import { EXTENDED_KEY_USAGES, KEY_USAGES, SIGNATURE_ALGORITHMS, SUBJECT_TYPES } from "../policy/vocabulary.js";
import { SAN_TYPES } from "../policy/san-syntax.js";
import { REVOCATION_REASON_CODES, type RevocationReason } from "../pki/revocation-reasons.js";

export { EXTENDED_KEY_USAGES, KEY_USAGES, SAN_TYPES, SIGNATURE_ALGORITHMS, SUBJECT_TYPES };
export const TEMPLATE_PRESET_NAMES = ["tls-server", "tls-client", "dual-purpose-server", "code-signing", "email-protection", "device", "user", "intermediate-ca"] as const;
export const REVOCATION_REASONS = Object.keys(REVOCATION_REASON_CODES) as [RevocationReason, ...RevocationReason[]];

const pattern = z.string().max(253);
const patterns = z.array(pattern).max(100);
const ruleLists = { allowed: patterns.optional(), required: patterns.optional(), denied: patterns.optional() };
const usageRule = <T extends readonly [string, ...string[]]>(values: T) =>
  z.object({ allowed: z.array(z.enum(values)).max(20).optional(), required: z.array(z.enum(values)).max(20).optional(), denied: z.array(z.enum(values)).max(20).optional() });
const duration = z.string().max(16).describe('a duration: a number and a unit s, h, d, w or y (365 days), e.g. "90d", "12h", "1y"');

/** A template's rules (Infisical's certificate policy). */
export const templateRules = z.object({
  subject: z.array(z.object({ type: z.enum(SUBJECT_TYPES), ...ruleLists })).max(20).optional(),
  sans: z.array(z.object({ type: z.enum(SAN_TYPES), ...ruleLists })).max(20).optional(),
  keyUsages: usageRule(KEY_USAGES).optional(),
  extendedKeyUsages: usageRule(EXTENDED_KEY_USAGES).optional(),
  algorithms: z.object({ signature: z.array(z.enum(SIGNATURE_ALGORITHMS)).max(10).optional(), keyAlgorithm: z.array(z.enum(KEY_ALGORITHMS)).max(10).optional() }).optional(),
  validity: z.object({ max: duration.optional() }).optional(),
  basicConstraints: z.object({ isCA: z.enum(["allowed", "required", "denied"]).optional(), maxPathLength: z.number().int().min(-1).max(32).optional() }).optional(),
});

export const createTemplateBody = templateRules.extend({
  projectId: uuid,
  name,
  description: z.string().max(1000).optional(),
  preset: z.enum(TEMPLATE_PRESET_NAMES).optional().describe("start from a preset; rules given here narrow the preset's (per SAN/subject type, subsets of usages and algorithms, no longer validity), never widen them"),
});
export const updateTemplateBody = templateRules.extend({ name: name.optional(), description: z.string().max(1000).optional() });
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

const altName = z.object({ type: z.enum(SAN_TYPES), value: z.string().min(1).max(1024) });
const subjectFields = {
  commonName: z.string().max(256).optional(),
  organization: z.string().max(256).optional(),
  organizationalUnit: z.string().max(256).optional(),
  country: z.string().max(16).optional(),
  state: z.string().max(256).optional(),
  locality: z.string().max(256).optional(),
};

/** What a certificate request may set (and what profile defaults may fill in). */
export const issuanceAttributes = z.object({
  ...subjectFields,
  altNames: z.array(altName).max(1000).optional(),
  ttl: duration.optional(),
  notBefore: isoDate.optional(),
  notAfter: isoDate.optional(),
  keyAlgorithm: z.enum(KEY_ALGORITHMS).optional(),
  signatureAlgorithm: z.enum(SIGNATURE_ALGORITHMS).optional(),
  keyUsages: z.array(z.enum(KEY_USAGES)).max(9).optional(),
  extendedKeyUsages: z.array(z.enum(EXTENDED_KEY_USAGES)).max(6).optional(),
});

export const acmeConfig = z.object({
  eabRequired: z.boolean().default(true).describe("new accounts must bind an External Account Binding key (RFC 8555 §7.3.4)"),
  challengeTypes: z.array(z.enum(["http-01", "dns-01", "tls-alpn-01"])).min(1).max(3).default(["http-01", "dns-01", "tls-alpn-01"]),
  orderLifetimeSeconds: z.number().int().min(300).max(30 * 86400).default(86400),
  authorizationLifetimeSeconds: z.number().int().min(300).max(30 * 86400).default(86400),
});
const apiConfig = z.object({
  autoRenew: z.boolean().default(false),
  renewBeforeDays: z.number().int().min(1).max(3650).nullable().default(null),
});
export const createProfileBody = z.object({
  projectId: uuid,
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes, 1-63 characters"),
  description: z.string().max(1000).optional(),
  templateId: uuid,
  issuerType: z.enum(["ca", "self-signed"]).default("ca"),
  caId: uuid.optional(),
  enrollmentMethods: z.array(z.enum(["api", "acme"])).min(1).max(4).default(["api"]),
  defaults: issuanceAttributes.omit({ notBefore: true, notAfter: true }).default({}),
  apiConfig: apiConfig.default({ autoRenew: false, renewBeforeDays: null }),
  acmeConfig: acmeConfig.optional().describe("settings of the acme enrollment method (defaults apply when acme is enabled)"),
});
export const updateProfileBody = createProfileBody.omit({ projectId: true, issuerType: true }).partial();
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

export const issueBody = z.object({
  profileId: uuid,
  csr: z.string().min(1).max(64 * 1024).optional(),
  attributes: issuanceAttributes.default({}),
  removeRootsFromChain: z.boolean().default(false),
});
export const issuedCertificate = z.object({
  certificate: z.string(),
  issuingCaCertificate: z.string(),
  certificateChain: z.string(),
  privateKey: z.string().optional(),
  serialNumber: z.string(),
  certificateId: uuid,
});
export const previewResponse = z.object({
  tbsCertificate: z.string().describe("base64 DER of the TBSCertificate that would be signed"),
  text: z.record(z.string(), z.unknown()),
  warnings: z.array(templateWarning).optional().describe("what the profile's template leaves open (e.g. a restricted CN with open SANs)"),
});

export const certificateStatus = z.enum(["active", "expired", "revoked", "renewed"]);
export const certificateView = z.object({
  id: uuid,
  projectId: uuid,
  profileId: uuid.nullable(),
  caId: uuid.nullable(),
  serialNumber: z.string(),
  status: certificateStatus,
  commonName: z.string(),
  altNames: z.array(z.object({ type: z.string(), value: z.string() })),
  notBefore: z.string(),
  notAfter: z.string(),
  keyAlgorithm: z.string(),
  keyUsages: z.array(z.string()),
  extendedKeyUsages: z.array(z.string()),
  keySource: z.enum(["server", "csr"]),
  renewedFromCertificateId: uuid.nullable(),
  renewedByCertificateId: uuid.nullable(),
  revokedAt: z.string().nullable(),
  revocationReason: z.string().nullable(),
  autoRenew: z.boolean().nullable().describe("this certificate's own setting; null follows the profile's apiConfig"),
  renewBeforeDays: z.number().int().nullable(),
  renewalFailure: z.string().nullable().describe("why the last server-driven renewal failed"),
  renewalFailedAt: z.string().nullable(),
  createdAt: z.string(),
});
export const autoRenewBody = z.object({
  autoRenew: z.boolean().nullable().optional(),
  renewBeforeDays: z.number().int().min(1).max(3650).nullable().optional(),
});
export const listCertificatesQuery = z.object({
  projectId: uuid,
  status: certificateStatus.optional(),
  profileId: uuid.optional(),
  caId: uuid.optional(),
  search: z.string().min(1).max(253).optional().describe("substring of the common name or a SAN, case-insensitive"),
  expiresBefore: z.iso.datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().max(200).optional(),
});
export const renewBody = z.object({
  renewalKeySource: z.enum(["new", "reuse"]).default("new"),
  csr: z.string().min(1).max(64 * 1024).optional(),
});
export const revokeBody = z.object({
  revocationReason: z.enum(REVOCATION_REASONS),
  invalidityDate: z.iso.datetime({ offset: true }).optional(),
});
export const createEabBody = z.object({ description: z.string().max(200).optional() });
export const eabKey = z.object({ keyId: z.string(), description: z.string(), createdAt: z.string(), revokedAt: z.string().nullable(), accountId: z.string().nullable() });
export const pkcs12Body = z.object({ password: z.string().min(4).max(256) });
