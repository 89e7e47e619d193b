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
    /** Imports the certificate an outside CA issued; returns the CA. */
    async importCertificate(ctx: RequestContext, caId: string, input: { certificate: string; certificateChain: string }) {
      await importCaCertificate(deps, ctx, caId, input);
      return manage.get(ctx, caId);
    },
    /** Signs an intermediate CA's CSR. */
    signIntermediate: (ctx: RequestContext, caId: string, input: { csr: string; notBefore?: string; notAfter: string; maxPathLength: number }) => signIntermediate(deps, ctx, caId, input),
    /** Renews (same key) or rolls over (new key); returns the CA. */
    async renew(ctx: RequestContext, caId: string, input: { type: "existing" | "new"; notAfter?: string }) {
      await renewCa(deps, ctx, caId, input);
      return manage.get(ctx, caId);
    },
  };
}
