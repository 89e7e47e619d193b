import { z } from "zod";
import { line, uuid } from "./common.js";

/**
 * Infisical's certificate shapes (issue 15): the spellings its scripts send (altName types,
 * `ttl` as ms() writes it, metadata), and the certificate and certificate-request objects
 * Stamp answers with, Infisical's fields first and Stamp's extras beside them.
 */

const TTL_UNITS: Record<string, [number, string]> = {
  s: [1, "s"], sec: [1, "s"], secs: [1, "s"], second: [1, "s"], seconds: [1, "s"],
  m: [60, "s"], min: [60, "s"], mins: [60, "s"], minute: [60, "s"], minutes: [60, "s"],
  h: [1, "h"], hr: [1, "h"], hrs: [1, "h"], hour: [1, "h"], hours: [1, "h"],
  d: [1, "d"], day: [1, "d"], days: [1, "d"],
  w: [1, "w"], week: [1, "w"], weeks: [1, "w"],
  y: [1, "y"], yr: [1, "y"], yrs: [1, "y"], year: [1, "y"], years: [1, "y"],
};
/**
 * A certificate's `ttl` as Infisical reads it (the `ms` package): "90d", "1y", "12h", and "30m"
 * is thirty MINUTES there, so here too; long forms ("90 days") as well. Normalised to Stamp's
 * units (minutes become seconds); anything else reaches policy, which names the problem.
 */
export function normalizeTtl(s: string): string {
  const m = /^\s*(\d{1,9})\s*([A-Za-z]+)\s*$/.exec(s);
  const unit = m ? TTL_UNITS[m[2].toLowerCase()] : undefined;
  if (!m || !unit || (m[2] === "M")) return s;
  return `${Number(m[1]) * unit[0]}${unit[1]}`;
}
export const ttl = z.string().max(32).transform(normalizeTtl).describe('a lifetime as Infisical writes it: "90d", "12h", "30m" (minutes), "1y", "2w", "3600s"');

/**
 * Members of Infisical's issue `attributes` that Stamp's end-entity certificates already satisfy,
 * accepted in their neutral form only: `basicConstraints` with `isCA: false` (Stamp writes
 * CA:FALSE), and empty `domainComponents` and `customExtensions`. Anything else is a violation.
 */
export const infisicalOnlyAttributes = {
  basicConstraints: z
    .strictObject({ isCA: z.literal(false, { message: "Stamp issues end-entity certificates only (CA:FALSE); make CAs with /ca/internal" }), pathLength: z.number().int().min(-1).max(32).optional() })
    .optional(),
  domainComponents: z.array(z.string().max(64)).max(0, { message: "Stamp does not put domainComponent attributes in subjects" }).optional(),
  customExtensions: z.array(z.unknown()).max(0, { message: "Stamp adds only the extensions its templates allow; no custom extensions" }).optional(),
};

/** One metadata pair. */
export const metadataPair = z.strictObject({ key: line(128).min(1), value: line(1024) });
/** A certificate's metadata: key/value pairs (keys may repeat, as in Infisical). */
export const metadataList = z.array(metadataPair).max(50);

export const CERTIFICATE_REQUEST_STATUSES = ["pending_approval", "pending", "pending_validation", "issued", "failed", "rejected", "cancelled"] as const;

/** A certificate as GET /certificates/:id shows it: Infisical's §1.5 fields, then Stamp's. */
export const certificateView = z.object({
  id: uuid,
  createdAt: z.string(),
  updatedAt: z.string(),
  status: z.enum(["active", "expired", "revoked"]),
  serialNumber: z.string(),
  friendlyName: z.string(),
  commonName: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  projectId: uuid,
  caId: uuid.nullable(),
  caCertId: uuid.nullable(),
  certificateTemplateId: uuid.nullable(),
  pkiSubscriberId: z.null(),
  profileId: uuid.nullable(),
  revokedAt: z.string().nullable(),
  revocationReason: z.number().int().nullable().describe("RFC 5280 §5.3.1 CRLReason code"),
  altNames: z.string().describe("the SAN values, comma-separated (Infisical's form); subjectAlternativeNames has them typed"),
  keyUsages: z.array(z.string()),
  extendedKeyUsages: z.array(z.string()),
  renewBeforeDays: z.number().int().nullable(),
  renewedFromCertificateId: uuid.nullable(),
  renewedByCertificateId: uuid.nullable(),
  renewalError: z.string().nullable(),
  keyAlgorithm: z.string(),
  signatureAlgorithm: z.string(),
  fingerprintSha256: z.string(),
  fingerprintSha1: z.string(),
  isCA: z.boolean(),
  pathLength: z.number().int().nullable(),
  subjectOrganization: z.string().nullable(),
  subjectOrganizationalUnit: z.string().nullable(),
  subjectCountry: z.string().nullable(),
  subjectState: z.string().nullable(),
  subjectLocality: z.string().nullable(),
  subject: z.object({ commonName: z.string(), organization: z.string().nullable(), organizationalUnit: z.string().nullable(), country: z.string().nullable(), state: z.string().nullable(), locality: z.string().nullable(), domainComponents: z.array(z.string()) }),
  fingerprints: z.object({ sha256: z.string(), sha1: z.string() }),
  basicConstraints: z.object({ isCA: z.boolean(), pathLength: z.number().int().nullable() }),
  caName: z.string().nullable(),
  caType: z.enum(["internal", "external"]).nullable(),
  externalMetadata: z.null(),
  profileName: z.string().nullable(),
  applicationName: z.null(),
  hasPrivateKey: z.boolean(),
  latestRenewalCertificateId: uuid.nullable().describe("the certificate that renewed this one (the newest of the chain: GET …/:id/latest)"),
  metadata: z.array(z.object({ key: z.string(), value: z.string() })),
  // Stamp's extras.
  lifecycleStatus: z.enum(["active", "expired", "revoked", "renewed"]).describe("status, with `renewed` for a certificate a newer one replaced"),
  subjectAlternativeNames: z.array(z.object({ type: z.string(), value: z.string() })),
  revocationReasonName: z.string().nullable(),
  keySource: z.enum(["server", "csr", "imported"]),
  autoRenew: z.boolean().nullable().describe("this certificate's own setting; null follows the profile's apiConfig"),
  renewalFailedAt: z.string().nullable(),
});

/** A certificate request (GET /certificate-requests/:id): Infisical's fields, then Stamp's. */
export const certificateRequest = z.object({
  id: uuid,
  status: z.enum(CERTIFICATE_REQUEST_STATUSES),
  certificate: z.string().nullable(),
  certificateId: uuid.nullable(),
  privateKey: z.null().describe("a server-made key is answered once, by the issue call; read it later with GET …/certificates/:id/private-key"),
  serialNumber: z.string().nullable(),
  problem: z.record(z.string(), z.unknown()).nullable().optional().describe("Stamp: an external CA's RFC 8555 §6.7 problem document when it refused the request"),
  errorMessage: z.string().nullable(),
  pendingMessage: z.string().nullable(),
  commonName: z.string(),
  organization: z.string().nullable(),
  organizationalUnit: z.string().nullable(),
  country: z.string().nullable(),
  state: z.string().nullable(),
  locality: z.string().nullable(),
  domainComponents: z.array(z.string()),
  basicConstraints: z.object({ isCA: z.boolean(), pathLength: z.number().int().nullable() }).nullable(),
  metadata: z.array(z.object({ key: z.string(), value: z.string() })),
  customExtensions: z.array(z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
  projectId: uuid,
  profileId: uuid.nullable(),
});

/** POST /certificate-requests/search (Infisical's filters; `projectId` is Stamp's). */
export const searchRequestsBody = z.strictObject({
  projectId: uuid.optional().describe("defaults to the profiles' project, or the caller's only project"),
  offset: z.number().int().min(0).max(1_000_000).default(0),
  limit: z.number().int().min(1).max(100).default(20),
  search: line(253).optional(),
  status: z.enum(CERTIFICATE_REQUEST_STATUSES).optional(),
  fromDate: z.iso.datetime({ offset: true }).optional(),
  toDate: z.iso.datetime({ offset: true }).optional(),
  profileIds: z.array(uuid).max(100).optional(),
  sortBy: z.enum(["createdAt"]).optional(),
  sortOrder: z.enum(["asc", "desc"]).default("desc"),
  metadata: z.array(z.strictObject({ key: line(128).min(1), value: line(1024).optional() })).max(20).optional(),
});

/** POST /certificates/import-certificate. */
export const importCertificateBody = z.strictObject({
  projectId: uuid.optional().describe("required unless profileId names the project"),
  certificatePem: z.string().min(1).max(64 * 1024),
  privateKeyPem: z.string().min(1).max(64 * 1024).optional(),
  chainPem: z.string().min(1).max(256 * 1024).optional(),
  friendlyName: line(256).optional(),
  profileId: uuid.optional(),
  metadata: metadataList.optional(),
});

/** PATCH /certificates/:id/config. */
export const certificateConfigBody = z
  .strictObject({ renewBeforeDays: z.number().int().min(1).max(30).optional(), enableAutoRenewal: z.boolean().optional() })
  .refine((b) => !(b.enableAutoRenewal === false && b.renewBeforeDays !== undefined), { message: "renewBeforeDays cannot be set while turning auto-renewal off", path: ["renewBeforeDays"] });

/** `:id` of revoke and reads: a UUID, or a certificate's SHA-1 / SHA-256 thumbprint (hex, colons allowed). */
export const idOrThumbprintParams = z.object({
  id: z
    .string()
    .regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$|^([0-9a-fA-F]{2}:?){19}[0-9a-fA-F]{2}$|^([0-9a-fA-F]{2}:?){31}[0-9a-fA-F]{2}$/, "must be a certificate UUID, or its SHA-1 (40 hex digits) or SHA-256 (64 hex digits) thumbprint"),
});
/** `:serialNumber` of the G1 routes (hex, colons allowed). */
export const serialParams = z.object({ serialNumber: z.string().regex(/^(0x)?[0-9a-fA-F:]{1,128}$/, "must be a hexadecimal serial number") });

/** POST /certificate-requests/:id/cancel. */
export const cancelResponse = z.object({ status: z.enum(CERTIFICATE_REQUEST_STATUSES), cancelled: z.boolean(), errorMessage: z.string().nullable() });
/** POST /certificate-requests/:id/trigger-validation (no order while every request ends when made). */
export const triggerValidationResponse = z.object({ status: z.enum(CERTIFICATE_REQUEST_STATUSES), orderStatus: z.string().nullable() });
/** GET /certificate-requests (deprecated): the search filters as query parameters (profileIds comma-separated). */
export const searchRequestsQuery = searchRequestsBody
  .omit({ offset: true, limit: true, profileIds: true, metadata: true })
  .extend({
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    profileIds: z.string().max(4000).transform((v) => v.split(",").filter(Boolean)).pipe(z.array(uuid).max(100)).optional(),
  });
