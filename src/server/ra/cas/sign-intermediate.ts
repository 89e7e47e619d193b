import { errors, type Violation } from "../../../errors.js";
import { parseCsr } from "../../../pki/csr.js";
import { toPem } from "../../../pki/pem.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import type { CaDeps } from "./deps.js";
import { parsingField } from "./field-errors.js";

/**
 * POST …/:id/sign-intermediate: signs another CA's CSR (an outside CA, or a Stamp CA created
 * without parentCaId) as a subordinate of this CA.
 */
export async function signIntermediate(deps: CaDeps, ctx: RequestContext, caId: string, input: { csr: string; notBefore?: string; notAfter: string; maxPathLength: number }) {
  const { store, rt, ca } = deps;
  const row = await store.ca.caById(caId);
  if (!row) throw errors.notFound("CA", caId);
  await requireRole(store, ctx, row.project_id, "admin", { type: "CA", id: caId });
  if (row.status !== "active") throw errors.conflict(`The CA is ${row.status}; only an active CA can sign.`);
  const csr = parsingField("csr", () => parseCsr(input.csr));

  const v: Violation[] = [];
  if (!csr.signatureValid) v.push({ field: "csr", code: "bad_signature", message: "The CSR's signature does not verify with the key it carries.", value: csr.subjectText });
  if (!csr.keyAlgorithm) v.push({ field: "csr", code: "unsupported_key", message: `The CSR's key (${csr.keyDescription}) is not one Stamp accepts for a CA: RSA 2048/3072/4096, EC P-256/P-384/P-521 or Ed25519.`, value: csr.keyDescription });
  if (!csr.subjectFields.commonName) v.push({ field: "csr", code: "missing_common_name", message: "The CSR's subject has no commonName.", value: csr.subjectText });
  const now = rt.clock();
  const notBefore = input.notBefore ? new Date(input.notBefore) : new Date(Math.floor(now.getTime() / 1000) * 1000);
  const notAfter = new Date(input.notAfter);
  if (notAfter <= notBefore) v.push({ field: "notAfter", code: "validity_order", message: "notAfter must be later than notBefore.", value: input.notAfter });
  if (row.not_after && notAfter > new Date(row.not_after)) v.push({ field: "notAfter", code: "outlives_issuer", message: `Must not be after this CA's notAfter ${new Date(row.not_after).toISOString()}.`, value: input.notAfter });
  if (row.not_before && notBefore < new Date(row.not_before)) v.push({ field: "notBefore", code: "before_issuer", message: `Must not be before this CA's notBefore ${new Date(row.not_before).toISOString()}.`, value: input.notBefore });
  // RFC 5280 §4.2.1.9: the subordinate's constraint must sit below ours.
  if (row.max_path_length === 0) v.push({ field: "maxPathLength", code: "issuer_path_length", message: "This CA has maxPathLength 0 and cannot sign CA certificates.", value: input.maxPathLength });
  else if (row.max_path_length > 0 && (input.maxPathLength < 0 || input.maxPathLength >= row.max_path_length)) {
    v.push({ field: "maxPathLength", code: "path_length_exceeds_issuer", message: `Must be from 0 to ${row.max_path_length - 1}, below this CA's maxPathLength ${row.max_path_length}.`, value: input.maxPathLength });
  }
  if (v.length) {
    await audit(store, rt, ctx, { projectId: row.project_id, action: "ca.sign-intermediate", objectType: "ca", objectId: caId, outcome: "failure", detail: { subject: csr.subjectText, violations: v.map((x) => x.code) } });
    throw errors.validation("The CSR cannot be signed; see violations.", v);
  }
  const signed = await ca.signCaCertificate(caId, { subject: csr.subject, spki: csr.spki, notBefore, notAfter, pathLength: input.maxPathLength < 0 ? null : input.maxPathLength }, "external-ca", null, (tx, s) =>
    audit(tx, rt, ctx, { projectId: row.project_id, action: "ca.sign-intermediate", objectType: "ca", objectId: caId, outcome: "success", detail: { serial: s.serial, subject: csr.subjectText } }),
  );
  const issuing = await store.ca.certificateById(row.active_certificate_id!);
  return {
    certificate: toPem(signed.certificate, "CERTIFICATE"),
    issuingCaCertificate: toPem(issuing!.certificate, "CERTIFICATE"),
    certificateChain: signed.chainPem,
    serialNumber: signed.serial,
  };
}
