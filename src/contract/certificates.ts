import { z } from "zod";
import { KEY_ALGORITHMS } from "../pki/algorithms.js";
import { isoDate, line, uuid } from "./common.js";

/** Templates, profiles and certificates: the public API's shapes (Infisical's names). */

import { EXTENDED_KEY_USAGES, KEY_USAGES, SIGNATURE_ALGORITHMS, SUBJECT_TYPES } from "../policy/vocabulary.js";
import { SAN_TYPES } from "../policy/san-syntax.js";
import { REVOCATION_REASON_CODES, type RevocationReason } from "../pki/revocation-reasons.js";
import { isEncodableTime } from "../pki/der-stream.js";
import { sanTypeInput } from "./san-types.js";
import { templateWarning } from "./policies.js";
import { certificateView, infisicalOnlyAttributes, metadataList, ttl } from "./certificate-shapes.js";

export { EXTENDED_KEY_USAGES, KEY_USAGES, SAN_TYPES, SIGNATURE_ALGORITHMS, SUBJECT_TYPES };
export { TEMPLATE_PRESET_NAMES, templateRules, templateRulesView, createTemplateBody, updateTemplateBody, template, templateWarning, templatePreset, listTemplatesQuery, getTemplateQuery } from "./policies.js";
export const REVOCATION_REASONS = Object.keys(REVOCATION_REASON_CODES) as [RevocationReason, ...RevocationReason[]];

const altName = z.strictObject({ type: sanTypeInput, value: z.string().min(1).max(1024) });
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
/**
 * Infisical's deprecated, hidden G2 variants (`POST /certificates/issue-certificate` and
 * `/sign-certificate`): the attributes flat beside profileId, read into the one issue body.
 */
const flatAttributes = issuanceAttributes.pick({ commonName: true, ttl: true, notBefore: true, notAfter: true, altNames: true, keyUsages: true, extendedKeyUsages: true, signatureAlgorithm: true, keyAlgorithm: true });
export const deprecatedIssueBody = flatAttributes.extend({ profileId: uuid, removeRootsFromChain: z.boolean().default(false) })
  .transform(({ profileId, removeRootsFromChain, ...attributes }) => ({ profileId, removeRootsFromChain, attributes }));
export const deprecatedSignBody = z.strictObject({ profileId: uuid, csr: z.string().min(1).max(64 * 1024), ttl: flatAttributes.shape.ttl, notBefore: flatAttributes.shape.notBefore, notAfter: flatAttributes.shape.notAfter, removeRootsFromChain: z.boolean().default(false) })
  .transform(({ profileId, csr, removeRootsFromChain, ...attributes }) => ({ profileId, csr, removeRootsFromChain, attributes }));
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
