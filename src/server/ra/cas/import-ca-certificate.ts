import { errors, type Violation } from "../../../errors.js";
import { parseCertificate, type ParsedCertificate } from "../../../pki/certificate-parse.js";
import { orderChain, verifyChain } from "../../../pki/chain.js";
import { pemBlocks } from "../../../pki/pem.js";
import { spkiEquals } from "../../../pki/spki.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import type { CaDeps } from "./deps.js";
import { parsingField } from "./field-errors.js";
import { pemChain } from "./view.js";

function parseAll(text: string, field: string): ParsedCertificate[] {
  const bad = (at: string, message: string) => errors.badRequest(message, [{ field: at, code: "unparseable", message }]);
  const blocks = parsingField(field, () => pemBlocks(text));
  if (text.trim() && !blocks.length) throw bad(field, `${field} must be PEM certificates (-----BEGIN CERTIFICATE-----).`);
  if (blocks.length > 10) throw bad(field, `${field} has ${blocks.length} certificates; at most 10 are accepted.`);
  return blocks.map((b, i) => {
    // Field names as verifyChain reports them: "certificate", "certificateChain[i]".
    const at = field === "certificate" ? field : `${field}[${i}]`;
    if (b.label !== "CERTIFICATE") throw bad(at, `${field}[${i}] is a ${b.label}, not a CERTIFICATE.`);
    return parsingField(at, () => parseCertificate(b.der));
  });
}

/**
 * POST …/:id/import-certificate: installs the certificate an outside CA issued for this
 * CA's pending CSR. The key must match, the certificate must be a CA (RFC 5280 §4.2.1.9) and
 * the chain must build and verify up to a self-signed root.
 */
export async function importCaCertificate(deps: CaDeps, ctx: RequestContext, caId: string, input: { certificate: string; certificateChain: string }) {
  const { store, rt } = deps;
  const row = await store.ca.caById(caId);
  if (!row) throw errors.notFound("CA", caId);
  await requireRole(store, ctx, row.project_id, "admin", { type: "CA", id: caId });
  if (row.parent_ca_id || row.type !== "intermediate") {
    throw errors.conflict("Only an intermediate CA created without parentCaId (signed outside Stamp) takes an imported certificate.");
  }
  // A key awaiting a certificate (new CA, or a rollover) first; else a renewed certificate for the active key.
  const keys = await store.ca.keysOf(caId);
  const key = keys.find((k) => k.pending_csr) ?? keys.find((k) => k.id === row.active_key_id);
  if (!key) throw errors.conflict("This CA has no key awaiting a certificate.");

  const blocks = parseAll(input.certificate, "certificate");
  if (blocks.length !== 1) {
    const message = "certificate must hold exactly one PEM certificate; put the issuers in certificateChain.";
    throw errors.badRequest(message, [{ field: "certificate", code: "not_one_certificate", message, value: blocks.length }]);
  }
  const cert = blocks[0];
  const chain = orderChain(parseAll(input.certificateChain, "certificateChain"), cert);

  const v: Violation[] = [];
  if (!spkiEquals(cert.spki, key.spki)) v.push({ field: "certificate", code: "key_mismatch", message: "The certificate's public key is not this CA's key; it was issued for another CSR.", value: cert.subjectText });
  if (!cert.isCa) v.push({ field: "certificate", code: "not_a_ca", message: "The certificate is not a CA certificate (basicConstraints CA:TRUE is missing).", value: cert.subjectText });
  if (cert.keyUsagePresent && !cert.keyUsage.includes("keyCertSign")) v.push({ field: "certificate", code: "missing_key_cert_sign", message: "The certificate's key usage lacks keyCertSign.", value: cert.keyUsage.join(",") });
  if (!chain.length) v.push({ field: "certificateChain", code: "chain_missing", message: "Give the issuing CA's certificate and its chain up to the root.", value: "" });
  else v.push(...verifyChain(cert, chain, rt.clock()));
  if (v.length) {
    await audit(store, rt, ctx, { projectId: row.project_id, action: "ca.import-certificate", objectType: "ca", objectId: caId, outcome: "failure", detail: { violations: v.map((x) => x.code) } });
    throw errors.validation("The certificate cannot be imported; see violations.", v);
  }

  const certId = rt.uuid();
  await store.transaction(async (tx) => {
    // Serialises versions when two servers renew or import for one CA at once.
    await tx.ca.caByIdForUpdate(caId);
    await tx.ca.insertCertificate({ id: certId, caId, caKeyId: key.id, serial: cert.serialHex, issuerCaId: null, certificate: cert.der, chainPem: pemChain(chain.map((c) => c.der)), notBefore: cert.notBefore, notAfter: cert.notAfter });
    await tx.ca.clearPendingCsr(key.id);
    await tx.ca.updateCa(caId, {
      status: row.status === "pending-certificate" ? "active" : row.status,
      active_key_id: key.id,
      active_certificate_id: certId,
      not_before: cert.notBefore,
      not_after: cert.notAfter,
      max_path_length: cert.pathLength ?? -1,
    });
    await audit(tx, rt, ctx, { projectId: row.project_id, action: "ca.import-certificate", objectType: "ca", objectId: caId, outcome: "success", detail: { serial: cert.serialHex, issuer: cert.issuerText } });
  });
}
