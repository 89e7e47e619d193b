import { errors } from "../../../errors.js";
import { audit } from "../audit.js";
import type { RequestContext } from "../context.js";
import { isEmptyPatch } from "../merge-patch.js";
import type { CertDeps } from "./issue.js";
import type { CertificateLookup } from "./lookup.js";

/** PATCH body: the metadata, and the certificate's own server-driven renewal (null: follow the profile's apiConfig). */
export type CertificateUpdate = {
  metadata?: { key: string; value: string }[];
  autoRenew?: boolean | null;
  renewBeforeDays?: number | null;
};

/** PATCH: replaces the metadata, and sets the certificate's own server-driven renewal. */
export async function updateCertificate(deps: Pick<CertDeps, "store" | "rt">, lookup: Pick<CertificateLookup, "loadForChange" | "view">, ctx: RequestContext, id: string, body: CertificateUpdate) {
  const { store, rt } = deps;
  const { c } = await lookup.loadForChange(ctx, id);
  // An empty PATCH changes nothing (and must not become an UPDATE with an empty SET).
  if (isEmptyPatch(body)) return lookup.view(c);
  const { metadata, ...renewal } = body;
  if (renewal.autoRenew && c.key_source !== "server") throw errors.conflict("Stamp can renew only certificates whose key it made; this one was issued from a CSR or imported (use the agent, or ACME).");
  const lifetimeDays = (new Date(c.not_after).getTime() - new Date(c.not_before).getTime()) / 86_400_000;
  if (renewal.renewBeforeDays && renewal.renewBeforeDays >= lifetimeDays) {
    throw errors.validation("The renewal window must be shorter than the certificate's lifetime.", [{ field: "renewBeforeDays", code: "window_too_long", message: `Must be below ${Math.floor(lifetimeDays)} days, the certificate's lifetime.`, value: renewal.renewBeforeDays }]);
  }
  await store.transaction(async (tx) => {
    if (metadata) await tx.certInventory.setMetadata(id, metadata);
    await tx.cert.setAutoRenew(id, renewal);
    await audit(tx, rt, ctx, { projectId: c.project_id, action: metadata ? "certificate.update" : "certificate.auto-renew", objectType: "certificate", objectId: id, outcome: "success", detail: { ...renewal, ...(metadata ? { metadataKeys: metadata.map((m) => m.key).slice(0, 50) } : {}) } });
  });
  return lookup.view((await store.cert.certificateById(id))!);
}
