import { z } from "zod";
import { uuid } from "./common.js";

/** A signing record: the intent to sign `serial`, recorded before the signature (house rule 2). */
export const signingRecord = z.object({
  id: z.string(),
  issuerCaId: uuid.nullable(),
  serial: z.string(),
  kind: z.string().describe("leaf, root-ca, intermediate-ca, external-ca or ocsp-responder"),
  subjectId: z.string().nullable().describe("the certificate (leaf), CA or OCSP responder the signature was for"),
  status: z.enum(["intended", "abandoned"]),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
});

/** A certificate committed and answered for, whose answer was never confirmed written to the client. */
export const unconfirmedCertificate = z.object({
  id: uuid,
  projectId: uuid,
  serial: z.string(),
  commonName: z.string(),
  keySource: z.enum(["server", "csr", "imported"]).describe("server: Stamp made the key, and the answer carried it"),
  status: z.enum(["active", "revoked"]),
  createdAt: z.string(),
});

/** What crash reconciliation knows (server admins). */
export const reconciliationView = z.object({
  graceSeconds: z.number().int().describe("an unfinished signing younger than this is never touched"),
  counts: z.object({
    intended: z.number().int().describe("signing records still open (signings in flight, or left by a crash and not yet past the grace period)"),
    intendedPastGrace: z.number().int().describe("open records older than the grace period: the next pass settles them"),
    abandoned: z.number().int().describe("records whose signing never produced a committed certificate"),
    unconfirmed: z.number().int().describe("certificates whose issuing answer was never confirmed written"),
  }),
  intended: z.array(signingRecord).describe("the oldest open records (at most 100)"),
  abandoned: z.array(signingRecord).describe("the newest abandoned records (at most 100)"),
  unconfirmedCertificates: z.array(unconfirmedCertificate).describe("the newest unconfirmed certificates (at most 100)"),
});
