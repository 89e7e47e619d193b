import type { RequestContext } from "../context.js";
import { createCa, type CreateCaInput } from "./create-ca.js";
import type { CaDeps } from "./deps.js";
import { importCaCertificate } from "./import-ca-certificate.js";
import { manageCas } from "./manage-ca.js";
import { renewCa } from "./renew-ca.js";
import { signIntermediate } from "./sign-intermediate.js";

/** The CA use cases, bound to their dependencies. */
export function createCaService(deps: CaDeps) {
  const manage = manageCas(deps);
  return {
    ...manage,
    /** Creates a CA and returns its view. */
    async create(ctx: RequestContext, input: CreateCaInput) {
      const id = await createCa(deps, ctx, input);
      return manage.get(ctx, id);
    },
    /** Imports the certificate an outside CA issued; Infisical's `{message, caId}` with the CA beside. */
    async importCertificate(ctx: RequestContext, caId: string, input: { certificate: string; certificateChain: string }) {
      await importCaCertificate(deps, ctx, caId, input);
      return { message: "Successfully imported certificate to CA", caId, certificateAuthority: await manage.get(ctx, caId) };
    },
    /** Signs an intermediate CA's CSR. */
    signIntermediate: (ctx: RequestContext, caId: string, input: { csr: string; notBefore?: string; notAfter: string; maxPathLength: number }) => signIntermediate(deps, ctx, caId, input),
    /**
     * Renews (same key) or rolls over (new key): Infisical's `{certificate, certificateChain,
     * serialNumber}` of the active certificate, with the CA beside (and the CSR to have signed
     * when a CA signed outside Stamp rolls over).
     */
    async renew(ctx: RequestContext, caId: string, input: { type: "existing" | "new"; notAfter?: string }) {
      await renewCa(deps, ctx, caId, input);
      const [active, certificateAuthority] = await Promise.all([manage.certificate(ctx, caId), manage.get(ctx, caId)]);
      const pending = (await deps.store.ca.keysOf(caId)).find((k) => k.pending_csr);
      return { ...active, certificateAuthority, ...(pending?.pending_csr ? { csr: (await manage.csr(ctx, caId)).csr } : {}) };
    },
  };
}
