import { errors, isStampError } from "../../../errors.js";
import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import { pemBlocks, toPem } from "../../../pki/pem.js";
import type { CertificateRow } from "../../store/cert.repo.js";
import { audit } from "../audit.js";
import type { RequestContext } from "../context.js";
import { requirePrivateKeyAccess } from "./access.js";
import type { CertDeps } from "./issue.js";
import type { CertificateLookup } from "./lookup.js";
import { certificatePem } from "./view.js";

/** Exports of a certificate with its server-held key: the bundle, the private key, PKCS#12 (each audited). */
export function createKeyExports(deps: Pick<CertDeps, "store" | "rt" | "leaf">, lookup: Pick<CertificateLookup, "load" | "view">) {
  const { store, rt } = deps;
  const what = (id: string) => ({ type: "Certificate", id });

  async function keyPem(ctx: RequestContext, c: CertificateRow, action: string) {
    if (!c.key_ref) throw errors.conflict(c.key_source === "imported" ? "This certificate was imported without its private key." : "Stamp does not hold this certificate's private key: it was issued from a CSR.");
    await requirePrivateKeyAccess(store, ctx, c.project_id, what(c.id));
    await audit(store, rt, ctx, { projectId: c.project_id, action, objectType: "certificate", objectId: c.id, outcome: "success" });
    return toPem(await deps.leaf.exportSubjectKey(c.key_ref, c.key_algorithm as KeyAlgorithm), "PRIVATE KEY");
  }

  return {
    /** Certificate, chain and — when the caller may read it — the private key (else null). */
    async bundle(ctx: RequestContext, id: string) {
      const c = await lookup.load(ctx, id);
      let privateKey: string | null = null;
      if (c.key_ref) {
        try {
          privateKey = await keyPem(ctx, c, "certificate.bundle-with-key");
        } catch (e) {
          if (!isStampError(e, "forbidden")) throw e;
        }
      }
      const blocks = pemBlocks(c.chain_pem);
      return {
        certificate: certificatePem(c),
        certificateChain: c.chain_pem,
        privateKey,
        serialNumber: c.serial,
        issuingCaCertificate: blocks.length ? toPem(blocks[0].der, "CERTIFICATE") : certificatePem(c),
        status: (await lookup.view(c)).lifecycleStatus,
      };
    },
    /** The private key (its own permission; audited). */
    async privateKey(ctx: RequestContext, id: string) {
      return { privateKey: await keyPem(ctx, await lookup.load(ctx, id), "certificate.private-key") };
    },
    /** A PKCS#12 file of certificate, chain and key, protected by the caller's password. */
    async pkcs12(ctx: RequestContext, id: string, password: string) {
      const c = await lookup.load(ctx, id);
      if (!c.key_ref) throw errors.conflict("Stamp does not hold this certificate's private key: it was issued from a CSR.");
      await requirePrivateKeyAccess(store, ctx, c.project_id, what(id));
      await audit(store, rt, ctx, { projectId: c.project_id, action: "certificate.pkcs12", objectType: "certificate", objectId: id, outcome: "success" });
      return deps.leaf.buildPkcs12(c.certificate, pemBlocks(c.chain_pem).map((b) => b.der), c.key_ref, c.key_algorithm as KeyAlgorithm, password);
    },
  };
}
