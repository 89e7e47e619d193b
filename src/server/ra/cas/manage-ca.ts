import { errors } from "../../../errors.js";
import { toPem } from "../../../pki/pem.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import type { CaDeps } from "./deps.js";
import { caCertificateView, caView } from "./view.js";
import { isEmptyPatch } from "../merge-patch.js";

/** Reading, updating and deleting CAs, and their certificates. */
export function manageCas(deps: CaDeps) {
  const { store, rt } = deps;

  async function load(ctx: RequestContext, caId: string, need: "viewer" | "admin") {
    const row = await store.ca.caById(caId);
    if (!row) throw errors.notFound("CA", caId);
    await requireRole(store, ctx, row.project_id, need, { type: "CA", id: caId });
    return row;
  }
  async function view(row: NonNullable<Awaited<ReturnType<typeof store.ca.caById>>>) {
    const [key, cert, nextUpdates] = await Promise.all([
      row.active_key_id ? store.ca.keyById(row.active_key_id) : store.ca.keysOf(row.id).then((k) => k[0]),
      row.active_certificate_id ? store.ca.certificateById(row.active_certificate_id) : undefined,
      store.revocation.crlNextUpdates(row.id),
    ]);
    return caView(row, key?.backend ?? "software", cert, { revocationUrl: deps.revocationUrl, nextUpdates, now: rt.clock() });
  }

  return {
    /** One CA. */
    async get(ctx: RequestContext, caId: string) {
      return view(await load(ctx, caId, "viewer"));
    },
    /** The CAs of a project. */
    async list(ctx: RequestContext, projectId: string) {
      await requireRole(store, ctx, projectId, "viewer", { type: "Project", id: projectId });
      return Promise.all((await store.ca.casOf(projectId)).map(view));
    },
    /** Renames a CA or sets it active/disabled. */
    async update(ctx: RequestContext, caId: string, input: { name?: string; status?: "active" | "disabled"; ocspSigner?: "delegated" | "ca"; crlValiditySeconds?: number; configuration?: { crlDistributionPointUrls?: string[]; isOcspEnabled?: boolean } }) {
      const row = await load(ctx, caId, "admin");
      if (isEmptyPatch(input)) return view(row);
      if (input.status && row.status === "pending-certificate") {
        throw errors.conflict("The CA is waiting for its certificate; import it before changing the status.");
      }
      if (input.name && input.name !== row.name && (await store.ca.caByName(row.project_id, input.name))) {
        throw errors.conflict("The project already has a CA with this name.", [{ field: "name", code: "duplicate", message: "The project already has a CA with this name.", value: input.name }]);
      }
      await store.transaction(async (tx) => {
        await tx.ca.updateCa(caId, {
          ...(input.name ? { name: input.name } : {}),
          ...(input.status ? { status: input.status } : {}),
          ...(input.ocspSigner ? { ocsp_signer: input.ocspSigner } : {}),
          ...(input.crlValiditySeconds ? { crl_validity_seconds: input.crlValiditySeconds } : {}),
          ...(input.configuration?.crlDistributionPointUrls ? { crl_distribution_point_urls: JSON.stringify(input.configuration.crlDistributionPointUrls) } : {}),
          ...(input.configuration?.isOcspEnabled !== undefined ? { ocsp_enabled: input.configuration.isOcspEnabled } : {}),
        });
        await audit(tx, rt, ctx, { projectId: row.project_id, action: "ca.update", objectType: "ca", objectId: caId, outcome: "success", detail: input });
      });
      deps.onCaChange?.(caId);
      return view((await store.ca.caById(caId))!);
    },
    /** Deletes a CA; refused while active child CAs depend on it, unless forced. */
    async remove(ctx: RequestContext, caId: string, force: boolean) {
      const row = await load(ctx, caId, "admin");
      const before = await view(row);
      const activeChildren = (await store.ca.childrenOf(caId)).filter((c) => c.status === "active");
      if (activeChildren.length && !force) {
        throw errors.conflict(`The CA has ${activeChildren.length} active child CA(s) (${activeChildren.map((c) => c.name).slice(0, 5).join(", ")}); disable or delete them first, or delete with ?force=true.`);
      }
      if (!force && (await store.cert.hasLiveCertificates(caId, rt.clock()))) {
        throw errors.conflict("The CA has issued certificates that are neither expired nor revoked; revoke them first, or delete with ?force=true.");
      }
      const profiles = await store.cert.profilesOfCa(caId);
      if (profiles.length && !force) {
        throw errors.conflict(`Profiles issue from this CA (${profiles.map((p) => p.slug).slice(0, 5).join(", ")}); point them at another CA first, or delete with ?force=true.`);
      }
      await store.transaction(async (tx) => {
        await tx.ca.deleteCa(caId);
        await audit(tx, rt, ctx, { projectId: row.project_id, action: "ca.delete", objectType: "ca", objectId: caId, outcome: "success", detail: { name: row.name, force, activeChildren: activeChildren.map((c) => c.id) } });
      });
      return before;
    },
    /** The active certificate and its chain, as PEM. */
    async certificate(ctx: RequestContext, caId: string) {
      const row = await load(ctx, caId, "viewer");
      const cert = row.active_certificate_id ? await store.ca.certificateById(row.active_certificate_id) : undefined;
      if (!cert) throw errors.conflict("The CA has no certificate yet; it is waiting for import-certificate.");
      return { certificate: toPem(cert.certificate, "CERTIFICATE"), certificateChain: cert.chain_pem, serialNumber: cert.serial };
    },
    /** Every certificate the CA has had, newest first. */
    async certificates(ctx: RequestContext, caId: string) {
      const row = await load(ctx, caId, "viewer");
      return (await store.ca.certificatesOf(caId)).map((c) => caCertificateView(c, row.active_certificate_id));
    },
    /** The CSR awaiting an outside CA's signature. */
    async csr(ctx: RequestContext, caId: string) {
      await load(ctx, caId, "viewer");
      const pending = (await store.ca.keysOf(caId)).find((k) => k.pending_csr);
      if (!pending?.pending_csr) throw errors.conflict("The CA has no pending CSR: it is not signed outside Stamp, or its certificate was already imported.");
      return { csr: toPem(pending.pending_csr, "CERTIFICATE REQUEST") };
    },
    /** Unauthenticated DER of one CA certificate: the AIA caIssuers target (RFC 5280 §4.2.2.1). */
    async publicDer(caCertificateId: string, caId?: string) {
      const cert = await store.ca.certificateById(caCertificateId);
      if (!cert || (caId !== undefined && cert.ca_id !== caId)) throw errors.notFound("CA certificate", caCertificateId);
      return cert.certificate;
    },
  };
}
