import { z } from "zod";

/**
 * Infisical's documented certificate shapes (/work/shared/infisical-api.md §2.4, §1.5), as zod
 * schemas: every documented field with its documented type. Objects are not strict: Stamp's
 * extras sit beside Infisical's fields.
 */
const uuid = z.uuid();
const iso = z.iso.datetime({ offset: true });
const pem = z.string().regex(/^-----BEGIN CERTIFICATE-----\n[\s\S]+-----END CERTIFICATE-----\n?$/);
const keyPem = z.string().regex(/^-----BEGIN (EC |RSA )?PRIVATE KEY-----\n[\s\S]+-----END (EC |RSA )?PRIVATE KEY-----\n?$/);
const hexSerial = z.string().regex(/^[0-9a-f]+$/);
const chain = z.string().regex(/^(-----BEGIN CERTIFICATE-----\n[\s\S]+?-----END CERTIFICATE-----\n?)*$/);
export const REQUEST_STATUSES = ["issued", "pending", "pending_approval", "pending_validation", "failed", "rejected"] as const;

/** POST /certificates and the inner certificate of its answer. */
export const issuedCertificate = z.object({ certificate: pem, issuingCaCertificate: pem, certificateChain: chain, privateKey: keyPem.optional(), serialNumber: hexSerial, certificateId: uuid });
export const issueResponse = z.object({ certificate: issuedCertificate.nullable(), certificateRequestId: uuid, status: z.enum(REQUEST_STATUSES), message: z.string().optional() });
/** POST /certificates/:id/renew. */
export const renewResponse = issuedCertificate.extend({ certificateRequestId: uuid });
/** POST /certificates/:id/revoke. */
export const revokeResponse = z.object({ message: z.literal("Successfully revoked certificate"), serialNumber: hexSerial, revokedAt: iso });
/** GET /certificates/:id/certificate. */
export const certificateBody = z.object({ certificate: pem, certificateChain: chain, serialNumber: hexSerial });
/** GET /certificates/:id/bundle. */
export const bundle = z.object({ certificate: pem, certificateChain: chain, privateKey: keyPem.nullable(), serialNumber: hexSerial });
/** PATCH /certificates/:id/config. */
export const configResponse = z.object({ message: z.string().min(1), renewBeforeDays: z.number().int().min(1).max(30).optional() });
/** PATCH /certificates/:id. */
const metadata = z.array(z.object({ key: z.string(), value: z.string() }));
export const metadataResponse = z.object({ metadata });
/** POST /certificates/import-certificate. */
export const importResponse = z.object({ certificateId: uuid, certificate: pem, certificateChain: chain.nullable().optional(), privateKey: keyPem.nullable().optional(), serialNumber: hexSerial });

const nstr = z.string().nullable();
/** The certificate object, §1.5. */
export const certificate = z.object({
  id: uuid, createdAt: iso, updatedAt: iso, status: z.enum(["active", "expired", "revoked"]), serialNumber: hexSerial, friendlyName: z.string(), commonName: z.string(), notBefore: iso, notAfter: iso, projectId: uuid,
  caId: uuid.nullable(), caCertId: uuid.nullable(), certificateTemplateId: uuid.nullable(), pkiSubscriberId: uuid.nullable(), profileId: uuid.nullable(),
  revokedAt: iso.nullable(), revocationReason: z.number().int().min(0).max(10).nullable(),
  altNames: z.string(), keyUsages: z.array(z.string()), extendedKeyUsages: z.array(z.string()),
  renewBeforeDays: z.number().int().nullable(), renewedFromCertificateId: uuid.nullable(), renewedByCertificateId: uuid.nullable(), renewalError: nstr,
  keyAlgorithm: z.string(), signatureAlgorithm: z.string(), fingerprintSha256: z.string().regex(/^[0-9a-f]{64}$/), fingerprintSha1: z.string().regex(/^[0-9a-f]{40}$/), isCA: z.boolean(), pathLength: z.number().int().nullable(),
  subjectOrganization: nstr, subjectOrganizationalUnit: nstr, subjectCountry: nstr, subjectState: nstr, subjectLocality: nstr,
  subject: z.object({ commonName: z.string(), organization: nstr, organizationalUnit: nstr, country: nstr, state: nstr, locality: nstr, domainComponents: z.array(z.string()) }),
  fingerprints: z.object({ sha256: z.string().regex(/^[0-9a-f]{64}$/), sha1: z.string().regex(/^[0-9a-f]{40}$/) }),
  basicConstraints: z.object({ isCA: z.boolean(), pathLength: z.number().int().nullable() }),
  caName: nstr, caType: z.enum(["internal", "external"]).nullable(), externalMetadata: z.unknown(), profileName: nstr, applicationName: nstr, hasPrivateKey: z.boolean(), latestRenewalCertificateId: uuid.nullable(), metadata,
});
export const certificateEnvelope = z.object({ certificate });

/** GET /certificate-requests/:id. */
export const certificateRequest = z.object({
  status: z.enum(REQUEST_STATUSES), certificate: pem.nullable(), certificateId: uuid.nullable(), privateKey: keyPem.nullable(), serialNumber: hexSerial.nullable(), errorMessage: nstr, pendingMessage: nstr,
  commonName: z.string(), organization: nstr, organizationalUnit: nstr, country: nstr, state: nstr, locality: nstr, domainComponents: z.array(z.string()),
  basicConstraints: z.object({ isCA: z.boolean(), pathLength: z.number().int().nullable() }).nullable(), metadata, customExtensions: z.array(z.unknown()), createdAt: iso, updatedAt: iso,
});
/** POST /certificate-requests/search. */
export const requestSearch = z.object({ certificateRequests: z.array(certificateRequest), totalCount: z.number().int().min(0) });

/** A problem+json answer with its violations. */
export const problem = z.object({ type: z.string(), title: z.string(), status: z.number().int(), detail: z.string(), violations: z.array(z.object({ field: z.string(), code: z.string(), message: z.string() })).optional() });

/** Parses `body` with `schema`, failing with every issue (a test reads them). */
export function expectShape<T>(schema: z.ZodType<T>, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw new Error(`shape mismatch: ${JSON.stringify(r.error.issues.slice(0, 10))}\nbody: ${JSON.stringify(body).slice(0, 1500)}`);
  return r.data;
}
