import { errors } from "../../../errors.js";
import { encodeName } from "../../../pki/name.js";
import { evaluateCaRequest, type CaRequest, type CaRequestInput } from "../../../policy/ca-request.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import type { CaDeps } from "./deps.js";
import type { CaCommit } from "./ports.js";

/** Input of POST /api/v1/cert-manager/ca/internal. */
export interface CreateCaInput {
  projectId: string;
  name: string;
  status: "active" | "disabled";
  keyBackend: "software" | "pkcs11";
  enableDirectIssuance?: boolean;
  configuration: CaRequestInput & { friendlyName?: string; crlDistributionPointUrls?: string[]; isOcspEnabled?: boolean };
}

/**
 * Creates a CA: a self-signed root, an intermediate signed in one step by a Stamp CA
 * (parentCaId), or an intermediate to be signed outside (no parentCaId: a key and a CSR,
 * status pending-certificate until import-certificate).
 */
export async function createCa(deps: CaDeps, ctx: RequestContext, input: CreateCaInput) {
  const { store, rt, ca } = deps;
  await requireRole(store, ctx, input.projectId, "admin", { type: "Project", id: input.projectId });
  const cfg = input.configuration;

  let parent = null;
  if (cfg.parentCaId) {
    const p = await store.ca.caById(cfg.parentCaId);
    // A parent in another project is as unknown as one that does not exist.
    if (!p || p.project_id !== input.projectId || !p.not_before || !p.not_after) {
      throw errors.validation("The CA request breaks the rules; see violations.", [
        { field: "configuration.parentCaId", code: "unknown_parent", message: "No CA with this id in the project.", value: cfg.parentCaId },
      ]);
    }
    parent = { id: p.id, status: p.status, maxPathLength: p.max_path_length, notBefore: new Date(p.not_before), notAfter: new Date(p.not_after) };
  }
  const decided = evaluateCaRequest(cfg, parent, rt.clock());
  const nameTaken = await store.ca.caByName(input.projectId, input.name);
  const violations = "violations" in decided ? [...decided.violations] : [];
  if (nameTaken) violations.push({ field: "name", code: "duplicate", message: "The project already has a CA with this name.", value: input.name });
  if (input.enableDirectIssuance) violations.push({ field: "enableDirectIssuance", code: "not_supported", message: "Stamp issues certificates through profiles only; create a profile on this CA instead.", value: true });
  if (violations.length || !("request" in decided)) {
    await audit(store, rt, ctx, { projectId: input.projectId, action: "ca.create", objectType: "ca", objectId: null, outcome: "failure", detail: { name: input.name, violations: violations.map((v) => v.code) } });
    throw errors.validation("The CA request breaks the rules; see violations.", violations);
  }
  const req: CaRequest = decided.request;
  const external = req.type === "intermediate" && !req.parentCaId;

  const caId = rt.uuid();
  const keyId = rt.uuid();
  // Key generation is slow (RSA 4096: seconds) and happens before any transaction.
  const key = await ca.generateKey(req.keyAlgorithm, `ca:${caId}:${keyId}`, input.keyBackend);
  const subject = encodeName(req.subject);
  await store
    .transaction(async (tx) => {
      await tx.ca.insertCa({ id: caId, projectId: input.projectId, name: input.name, type: req.type, status: "pending-certificate", parentCaId: req.parentCaId, subject: req.subject, maxPathLength: req.maxPathLength, keyAlgorithm: req.keyAlgorithm, crlDistributionPointUrls: cfg.crlDistributionPointUrls, ocspEnabled: cfg.isOcspEnabled });
      await tx.ca.insertKey({ id: keyId, caId, keyAlgorithm: req.keyAlgorithm, backend: input.keyBackend, keyRef: key.ref, spki: key.spki, pendingCsr: null });
    })
    .catch((e) => {
      // Two requests (perhaps on two servers) raced for one name: the database decided.
      if (store.isUniqueViolation(e)) throw errors.validation("The CA request breaks the rules; see violations.", [{ field: "name", code: "duplicate", message: "The project already has a CA with this name.", value: input.name }]);
      throw e;
    });

  try {
    if (external) {
      const csr = await ca.makeCsr(keyId, subject);
      await store.transaction(async (tx) => {
        await tx.ca.setPendingCsr(keyId, csr);
        await audit(tx, rt, ctx, { projectId: input.projectId, action: "ca.create", objectType: "ca", objectId: caId, outcome: "success", detail: { name: input.name, type: req.type, keyAlgorithm: req.keyAlgorithm, keyBackend: input.keyBackend, signedBy: "outside" } });
      });
    } else {
      const pathLength = req.maxPathLength < 0 ? null : req.maxPathLength;
      const certId = rt.uuid();
      const commit: CaCommit = async (tx, signed) => {
        await tx.ca.insertCertificate({ id: certId, caId, caKeyId: keyId, serial: signed.serial, issuerCaId: req.parentCaId ?? caId, certificate: signed.certificate, chainPem: signed.chainPem, notBefore: req.notBefore, notAfter: req.notAfter });
        await tx.ca.updateCa(caId, { status: input.status, active_key_id: keyId, active_certificate_id: certId, not_before: req.notBefore, not_after: req.notAfter });
        await audit(tx, rt, ctx, { projectId: input.projectId, action: "ca.create", objectType: "ca", objectId: caId, outcome: "success", detail: { name: input.name, type: req.type, keyAlgorithm: req.keyAlgorithm, keyBackend: input.keyBackend, serial: signed.serial, parentCaId: req.parentCaId } });
      };
      if (req.parentCaId) await ca.signCaCertificate(req.parentCaId, { subject, spki: key.spki, notBefore: req.notBefore, notAfter: req.notAfter, pathLength }, "intermediate-ca", caId, commit);
      else await ca.selfSign(caId, keyId, { subject, notBefore: req.notBefore, notAfter: req.notAfter, pathLength }, commit);
    }
  } catch (e) {
    // Nothing half-made stays behind: the CA row and its key go (a parent keeps its failed intent).
    await store.transaction(async (tx) => tx.ca.deleteCa(caId)).catch(() => {});
    throw e;
  }
  return caId;
}
