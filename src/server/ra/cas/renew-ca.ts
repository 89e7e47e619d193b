import { errors } from "../../../errors.js";
import { encodeName } from "../../../pki/name.js";
import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import type { CaDeps } from "./deps.js";
import type { CaCommit } from "./ports.js";

/**
 * POST …/:id/renew: a new CA certificate with the same key ("existing") or a new key ("new",
 * a rollover). Older certificates stay stored and downloadable, so what they signed keeps
 * verifying. A CA signed outside Stamp rolls over by a new key and CSR (GET …/csr), then
 * import-certificate.
 */
export async function renewCa(deps: CaDeps, ctx: RequestContext, caId: string, input: { type: "existing" | "new"; notAfter?: string }) {
  const { store, rt, ca } = deps;
  const row = await store.ca.caById(caId);
  if (!row) throw errors.notFound("CA", caId);
  await requireRole(store, ctx, row.project_id, "admin", { type: "CA", id: caId });
  if (!row.active_key_id || !row.active_certificate_id || !row.not_before || !row.not_after) {
    throw errors.conflict("The CA has no certificate yet; import one first.");
  }
  const external = row.type === "intermediate" && !row.parent_ca_id;
  if (external && input.type === "existing") {
    throw errors.conflict("This CA is signed outside Stamp: have its issuer sign GET …/csr again and import the result, or renew with type 'new' for a new key and CSR.");
  }
  const now = rt.clock();
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const lifetime = new Date(row.not_after).getTime() - new Date(row.not_before).getTime();
  let notAfter = input.notAfter ? new Date(input.notAfter) : new Date(notBefore.getTime() + lifetime);
  const parent = row.parent_ca_id ? await store.ca.caById(row.parent_ca_id) : undefined;
  if (parent) {
    if (parent.status !== "active") throw errors.conflict(`The parent CA is ${parent.status}; only an active CA can sign.`);
    if (!input.notAfter && parent.not_after && notAfter > new Date(parent.not_after)) notAfter = new Date(parent.not_after);
  }
  if (notAfter <= notBefore) {
    throw errors.validation("The renewal breaks the rules; see violations.", [{ field: "notAfter", code: "validity_order", message: "notAfter must be later than now.", value: input.notAfter }]);
  }

  let keyId = row.active_key_id;
  const subject = encodeName(row.subject);
  if (input.type === "new") {
    keyId = rt.uuid();
    const backend = (await store.ca.keyById(row.active_key_id))!.backend;
    const key = await ca.generateKey(row.key_algorithm as KeyAlgorithm, `ca:${caId}:${keyId}`, backend);
    await store.ca.insertKey({ id: keyId, caId, keyAlgorithm: row.key_algorithm, backend, keyRef: key.ref, spki: key.spki, pendingCsr: null });
    if (external) {
      const csr = await ca.makeCsr(keyId, subject);
      await store.transaction(async (tx) => {
        await tx.ca.setPendingCsr(keyId, csr);
        await audit(tx, rt, ctx, { projectId: row.project_id, action: "ca.renew", objectType: "ca", objectId: caId, outcome: "success", detail: { type: "new", pending: "csr" } });
      });
      return;
    }
  }
  const spki = (await store.ca.keyById(keyId))!.spki;
  const pathLength = row.max_path_length < 0 ? null : row.max_path_length;
  const certId = rt.uuid();
  const commit: CaCommit = async (tx, signed) => {
    // Serialises versions when two servers renew or import for one CA at once.
    await tx.ca.caByIdForUpdate(caId);
    await tx.ca.insertCertificate({ id: certId, caId, caKeyId: keyId, serial: signed.serial, issuerCaId: parent?.id ?? caId, certificate: signed.certificate, chainPem: signed.chainPem, notBefore, notAfter });
    await tx.ca.updateCa(caId, { active_key_id: keyId, active_certificate_id: certId, not_before: notBefore, not_after: notAfter });
    await audit(tx, rt, ctx, { projectId: row.project_id, action: "ca.renew", objectType: "ca", objectId: caId, outcome: "success", detail: { type: input.type, serial: signed.serial } });
  };
  if (parent) await ca.signCaCertificate(parent.id, { subject, spki, notBefore, notAfter, pathLength }, "intermediate-ca", caId, commit);
  else await ca.selfSign(caId, keyId, { subject, notBefore, notAfter, pathLength }, commit);
  deps.onCaChange?.(caId);
}
