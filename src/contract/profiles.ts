import { z } from "zod";
import { line, removableMembers, uuid } from "./common.js";
import { issuanceAttributes } from "./certificates.js";
import { estConfigView, estPassphrase } from "./est.js";

/**
 * Certificate profiles: Stamp's fields and Infisical's (G2) side by side. Infisical's names are
 * aliases parsed into the same model (ra/certs/profile-input.ts): certificatePolicyId =
 * templateId, enrollmentType + apiConfig/estConfig/acmeConfig = enrollmentMethods,
 * acmeConfig.skipEabBinding = !eabRequired, defaults.ttlDays / defaultTtlDays = defaults.ttl.
 */

export const ENROLLMENT_TYPES = ["api", "est", "acme"] as const;
const challengeTypes = z.array(z.enum(["http-01", "dns-01", "tls-alpn-01"])).min(1).max(3);
const lifetime = z.number().int().min(300).max(30 * 86400);

/** apiConfig: server-driven renewal of the certificates Stamp holds the key of. */
export const apiConfigInput = z.strictObject({
  autoRenew: z.boolean().optional(),
  renewBeforeDays: z.number().int().min(1).max(3650).nullable().optional().describe("days before expiry (Infisical allows 1-30; Stamp up to 3650)"),
});
/** acmeConfig: Stamp's settings and Infisical's two flags. */
export const acmeConfigInput = z.strictObject({
  eabRequired: z.boolean().optional().describe("new accounts must bind an External Account Binding key (RFC 8555 §7.3.4); default true"),
  skipEabBinding: z.boolean().optional().describe("Infisical's name: the opposite of eabRequired"),
  skipDnsOwnershipVerification: z.boolean().optional().describe("Infisical's flag; Stamp always validates challenges, so only false is accepted"),
  challengeTypes: challengeTypes.optional(),
  orderLifetimeSeconds: lifetime.optional(),
  authorizationLifetimeSeconds: lifetime.optional(),
});
/** estConfig: the EST (RFC 7030) settings, in Infisical's names; null removes the passphrase or the chain. */
export const estConfigInput = z.strictObject({
  disableBootstrapCaValidation: z.boolean().optional().describe("Infisical's flag; Stamp always checks client certificates, so only false is accepted"),
  passphrase: estPassphrase.nullable().optional().describe("the HTTP Basic passphrase to set (stored hashed, never shown); POST …/est/passphrase makes a random one"),
  caChain: z.string().max(256 * 1024).nullable().optional().describe("PEM bootstrap CA chain: client certificates under it may enroll (RFC 7030 §3.3.2)"),
});

/** scepConfig (RFC 8894): the static challenge (stored as an argon2id hash, never shown again), the RA certificate's life, one-time challenges. */
export const scepConfigInput = z.strictObject({
  challengePassword: z.string().min(8).max(255).regex(/^[\x20-\x7e]+$/, "printable ASCII").nullable().optional().describe("the static challenge password clients put in their CSR; null removes it (then only one-time challenges work)"),
  raCertificateLifetimeDays: z.number().int().min(1).max(3650).optional().describe("lifetime of the RA certificate the profile's CA issues (default 365)"),
  raRenewBeforeDays: z.number().int().min(1).max(365).optional().describe("a new RA certificate is issued this many days before the current one expires (default 30)"),
  challengeLifetimeSeconds: z.number().int().min(60).max(30 * 86400).optional().describe("how long a one-time challenge from POST /scep/<profile>/challenge stays usable (default 3600)"),
  maxPendingChallenges: z.number().int().min(1).max(100_000).optional().describe("unused one-time challenges a profile may have at once (default 1000)"),
});

/** Defaults a profile fills into requests that leave a field out; "" and [] mean "no default". */
export const profileDefaultsInput = issuanceAttributes.omit({ notBefore: true, notAfter: true }).extend({
  ttlDays: z.number().int().min(1).max(36500).optional().describe('Infisical\'s name: ttl in days ("90" = "90d")'),
  basicConstraints: z.strictObject({ isCA: z.boolean(), pathLength: z.number().int().min(-1).max(32).optional() }).optional().describe("Infisical's field; Stamp profiles issue leaf certificates, so only isCA false is accepted"),
});

const common = {
  slug: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "lowercase letters, digits and dashes, 1-63 characters"),
  description: z.string().max(1000),
  templateId: uuid,
  certificatePolicyId: uuid.describe("Infisical's name for templateId"),
  caId: uuid,
  enrollmentMethods: z.array(z.enum(["api", "acme", "est", "scep"])).min(1).max(4),
  enrollmentType: z.enum(ENROLLMENT_TYPES).describe("Infisical's single enrollment method; with its config object"),
  apiConfig: apiConfigInput,
  acmeConfig: acmeConfigInput,
  estConfig: estConfigInput,
  scepConfig: scepConfigInput.describe("SCEP settings (with \"scep\" in enrollmentMethods)"),
  externalConfigs: z.record(z.string().max(100), z.unknown()).nullable().describe("external CA settings: Stamp has none, so only null or {} is accepted"),
  defaultTtlDays: z.number().int().min(1).max(36500).nullable().describe("Infisical's name for defaults.ttl in days"),
};
const optionalFields = Object.fromEntries(Object.entries(common).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof common]: z.ZodOptional<(typeof common)[K]> };

export const createProfileBody = z.strictObject({
  ...optionalFields,
  projectId: uuid,
  slug: common.slug,
  issuerType: z.enum(["ca", "self-signed"]).default("ca"),
  defaults: profileDefaultsInput.optional(),
});
/**
 * PATCH: an absent field is unchanged. `apiConfig` and `acmeConfig` merge member by member into
 * the stored ones; `defaults` merges too, and a default set to null is removed (RFC 7396).
 */
export const updateProfileBody = z.strictObject({
  ...optionalFields,
  defaults: z.strictObject(removableMembers(profileDefaultsInput.shape)).optional().describe("merged into the stored defaults; null removes one"),
});

/** A profile as every answer carries it: Infisical's columns, and Stamp's beside them. */
export const profile = z.object({
  id: uuid,
  projectId: uuid,
  slug: z.string(),
  description: z.string(),
  caId: uuid.nullable(),
  certificatePolicyId: uuid,
  templateId: uuid,
  enrollmentType: z.enum(["api", "acme", "est"]).describe("acme when the profile enables ACME, else est when it enables EST, else api"),
  enrollmentMethods: z.array(z.string()),
  issuerType: z.enum(["ca", "self-signed"]),
  estConfigId: z.null(),
  apiConfigId: z.null(),
  acmeConfigId: z.null(),
  externalConfigs: z.null(),
  defaultTtlDays: z.number().int().nullable().describe("defaults.ttl in whole days, when it is one"),
  defaults: z.record(z.string(), z.unknown()),
  apiConfig: z.object({ autoRenew: z.boolean(), renewBeforeDays: z.number().nullable() }),
  acmeConfig: z
    .object({ directoryUrl: z.string(), skipDnsOwnershipVerification: z.boolean(), skipEabBinding: z.boolean(), eabRequired: z.boolean(), challengeTypes: z.array(z.string()), orderLifetimeSeconds: z.number(), authorizationLifetimeSeconds: z.number() })
    .nullable(),
  estConfig: estConfigView,
  createdAt: z.string(),
  updatedAt: z.string(),
});
/** GET …/:id and …/slug/:slug: the profile with its CA and policy. */
export const profileDetail = profile.extend({
  scepConfig: z
    .object({ url: z.string(), challengePasswordSet: z.boolean(), raCertificateLifetimeDays: z.number(), raRenewBeforeDays: z.number(), challengeLifetimeSeconds: z.number(), maxPendingChallenges: z.number() })
    .nullable()
    .describe("SCEP settings when the profile allows SCEP; the challenge password itself is never shown"),
  certificateAuthority: z.object({ id: uuid, projectId: uuid, status: z.string(), name: z.string(), isExternal: z.boolean(), externalType: z.string().nullable() }).nullable(),
  certificatePolicy: z.object({ id: uuid, projectId: uuid, name: z.string(), description: z.string() }).nullable(),
});
/** Per-profile certificate counts (Infisical's list metrics); expiring = active and ending within 30 days. */
export const profileMetrics = z.object({
  totalCertificates: z.number().int(),
  activeCertificates: z.number().int(),
  expiredCertificates: z.number().int(),
  expiringCertificates: z.number().int(),
  revokedCertificates: z.number().int(),
});
export const listProfilesQuery = z.strictObject({
  projectId: uuid,
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  search: line(100).min(1).optional().describe("a substring of the slug or description, case-insensitive"),
  enrollmentType: z.enum(ENROLLMENT_TYPES).optional(),
  issuerType: z.enum(["ca", "self-signed"]).optional(),
  caId: uuid.optional(),
});
export const slugParams = z.object({ slug: z.string().min(1).max(63) });
export const slugQuery = z.strictObject({ projectId: uuid });
/** GET …/:id/certificates. */
export const profileCertificatesQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  status: z.enum(["active", "expired", "revoked", "renewed"]).optional().describe("renewed: replaced by a renewal (Stamp's extra filter)"),
  search: line(253).min(1).optional().describe("a substring of the common name or a SAN, or a serial number prefix"),
});
export const profileCertificate = z.object({
  id: uuid,
  serialNumber: z.string(),
  cn: z.string(),
  status: z.enum(["active", "expired", "revoked"]).describe("Infisical's status: a renewed certificate is active until it expires"),
  notBefore: z.string(),
  notAfter: z.string(),
  revokedAt: z.string().nullable(),
  createdAt: z.string(),
  commonName: z.string(),
  altNames: z.array(z.object({ type: z.string(), value: z.string() })),
  renewedByCertificateId: uuid.nullable(),
});
export const latestActiveBundle = z.object({ certificate: z.string().nullable(), certificateChain: z.string().nullable(), privateKey: z.string().nullable(), serialNumber: z.string().nullable(), certificateId: uuid.nullable() });
export const scepChallengePassword = z.object({ challengePassword: z.string().describe("the new static SCEP challenge password: shown this once") });
export const scepChallenge = z.object({ challenge: z.string().describe("a one-time challenge password: put it in one CSR's challengePassword"), expiresAt: z.string() });
export const eabSecret = z.object({ eabKid: z.string(), eabSecret: z.string(), directoryUrl: z.string() });
