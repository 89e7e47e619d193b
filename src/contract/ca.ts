import { z } from "zod";
import { KEY_ALGORITHMS } from "../pki/algorithms.js";
import { isoDate, name, uuid } from "./common.js";

const pem = (max: number) => z.string().min(1).max(max);
const dnField = z.string().max(64).optional();
/** Extra CRL distribution points (Infisical's configuration.crlDistributionPointUrls): written after Stamp's own in what the CA signs. */
const crlUrls = z
  .array(z.url({ protocol: /^https?$/, message: "must be an http or https URL" }).max(1000))
  .max(10)
  .describe("extra CRL distribution point URLs (http/https), written after Stamp's own into every certificate the CA signs (RFC 5280 §4.2.1.13)");

/** The `configuration` of an internal CA, as Infisical names it. */
export const caConfigurationInput = z.strictObject({
  type: z.enum(["root", "intermediate"]),
  friendlyName: z.string().max(100).optional(),
  commonName: z.string().min(1).max(64),
  organization: dnField,
  ou: dnField,
  country: z.string().max(2).optional(),
  province: dnField,
  locality: dnField,
  notBefore: isoDate.optional(),
  notAfter: isoDate.optional(),
  maxPathLength: z.number().int().min(-1).max(32).optional().describe("-1 = unlimited"),
  keyAlgorithm: z.enum(KEY_ALGORITHMS),
  parentCaId: uuid.optional().describe("sign by this Stamp CA in one step; omit for an intermediate signed outside (CSR + import)"),
  crlDistributionPointUrls: crlUrls.optional(),
  isOcspEnabled: z.boolean().optional().describe("Stamp's default is true: the OCSP responder answers for this CA and its certificates name it"),
});

export const createCaBody = z.strictObject({
  projectId: uuid,
  name,
  status: z.enum(["active", "disabled"]).default("active"),
  keyBackend: z.enum(["software", "pkcs11"]).default("software").describe("where the CA key lives"),
  enableDirectIssuance: z.boolean().optional().describe("Infisical's flag; Stamp issues through profiles only, so only false is accepted"),
  configuration: caConfigurationInput,
});

export const caResponse = z.object({
  id: uuid,
  type: z.literal("internal"),
  status: z.enum(["active", "disabled", "pending-certificate"]),
  name: z.string(),
  projectId: uuid,
  enableDirectIssuance: z.boolean().describe("always false: Stamp issues through profiles"),
  keyBackend: z.enum(["software", "pkcs11"]),
  configuration: z.object({
    type: z.enum(["root", "intermediate"]),
    friendlyName: z.string().optional(),
    commonName: z.string(),
    organization: z.string().optional(),
    ou: z.string().optional(),
    country: z.string().optional(),
    province: z.string().optional(),
    locality: z.string().optional(),
    dn: z.string(),
    serialNumber: z.string().nullable(),
    notBefore: z.string().nullable(),
    notAfter: z.string().nullable(),
    maxPathLength: z.number().int(),
    keyAlgorithm: z.enum(KEY_ALGORITHMS),
    parentCaId: uuid.nullable(),
    activeCaCertId: uuid.nullable(),
    ocspSigner: z.enum(["delegated", "ca"]),
    crlValiditySeconds: z.number().int(),
    crlDistributionPointUrls: z.array(z.string()),
    isOcspEnabled: z.boolean(),
  }),
  ocspUrl: z.string().nullable().describe("the OCSP responder named in the certificates this CA signs (plain HTTP when --http-listen is on)"),
  crl: z.object({
    url: z.string().nullable().describe("the CRL distribution point of the active key"),
    lastPublishedAt: z.string().nullable(),
    nextUpdate: z.string().nullable().describe("nextUpdate of the active key's newest full CRL"),
    stale: z.boolean().describe("true when the newest CRL is past its nextUpdate (relying parties then reject this CA's certificates)"),
    error: z.string().nullable().describe("why the last CRL build failed; null when it succeeded"),
    failingSince: z.string().nullable(),
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
});

/** PATCH configuration: what can change after creation (the subject, key and validity cannot). */
export const updateCaConfiguration = z.strictObject({
  crlDistributionPointUrls: crlUrls.optional(),
  isOcspEnabled: z.boolean().optional(),
});
export const updateCaBody = z.strictObject({
  name: name.optional(),
  status: z.enum(["active", "disabled"]).optional(),
  configuration: updateCaConfiguration.optional(),
  ocspSigner: z.enum(["delegated", "ca"]).optional().describe("who signs OCSP answers: a delegated responder certificate (default) or the CA key"),
  crlValiditySeconds: z.number().int().min(3600).max(90 * 86400).optional().describe("CRL validity (thisUpdate to nextUpdate); default 7 days"),
});

export const listCasQuery = z.strictObject({ projectId: uuid });
/** The CA types Infisical names; Stamp runs internal CAs only, so the others list nothing. */
export const CA_TYPES = ["internal", "acme", "azure-ad-cs", "aws-pca", "digicert", "aws-acm-public-ca", "venafi-tpp", "adcs", "godaddy"] as const;
export const deleteCaQuery = z.strictObject({ force: z.enum(["true", "false"]).default("false").transform((v) => v === "true") });

export const caCertificateResponse = z.object({
  certificate: z.string(),
  certificateChain: z.string(),
  serialNumber: z.string(),
});
export const caCertificateVersion = z.object({
  id: uuid,
  version: z.number().int(),
  serialNumber: z.string(),
  certificate: z.string(),
  certificateChain: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  active: z.boolean(),
});

export const importCertificateBody = z.strictObject({
  certificate: pem(64 * 1024),
  certificateChain: z.string().max(256 * 1024).default("").describe("PEM, issuer first up to the root"),
});
export const signIntermediateBody = z.strictObject({
  csr: pem(64 * 1024),
  notBefore: isoDate.optional(),
  notAfter: isoDate,
  maxPathLength: z.number().int().min(-1).max(32).default(-1),
});
export const signIntermediateResponse = z.object({
  certificate: z.string(),
  certificateChain: z.string(),
  issuingCaCertificate: z.string(),
  serialNumber: z.string(),
});
/** Infisical's import-certificate answer, with the CA beside it. */
export const importCertificateResponse = z.object({ message: z.string(), caId: uuid, certificateAuthority: caResponse });
/** Infisical's renew answer (the new active certificate), with the CA beside it; `csr` when a CA signed outside Stamp awaits its new certificate. */
export const renewCaResponse = caCertificateResponse.extend({ certificateAuthority: caResponse, csr: z.string().optional().describe("a rollover of a CA signed outside Stamp: have this signed, then import-certificate") });
/** One CRL as Infisical lists them: the latest full CRL of each CA key (`id` is the key's CRL id, as in /crl/{id}/der). */
export const caCrl = z.object({
  id: z.string(),
  crl: z.string().describe("PEM"),
  caKeyId: z.string(),
  crlNumber: z.string(),
  thisUpdate: z.string(),
  nextUpdate: z.string(),
  entries: z.number().int(),
  url: z.string(),
  archiveId: z.string(),
});
export const renewCaBody = z.strictObject({
  type: z.enum(["existing", "new"]).default("existing").describe("'existing' keeps the key; 'new' rolls over to a new key"),
  notAfter: isoDate.optional(),
});
