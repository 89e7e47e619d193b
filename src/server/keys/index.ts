/**
 * The keys module as the CA sees it: one generate/signer pair that dispatches to the software
 * backend or, when configured, the PKCS#11 backend, by the backend named in the KeyRef.
 */
import { errors } from "../../errors.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import type { KeyBackend, KeyRef, Signer } from "./signer.js";

export type { KeyBackend, KeyRef, Signer } from "./signer.js";
export type { Sealed } from "./envelope.js";
export { loadOrCreateRootKey } from "./root-key.js";
export { createSoftwareKeys } from "./software.js";
export { createPkcs11Keys } from "./pkcs11.js";

/** Where a new key is made. */
export type KeyBackendName = KeyRef["backend"];

/** The composed key service. */
export interface Keys {
  /** Makes a key pair in the named backend. */
  generate(alg: KeyAlgorithm, label: string, backend: KeyBackendName): Promise<{ ref: KeyRef; spki: Uint8Array }>;
  /** A signer for a stored reference, from the backend the reference names. */
  signer(ref: KeyRef, alg: KeyAlgorithm): Promise<Signer>;
}

const PKCS11_NOT_CONFIGURED =
  "PKCS#11 is not configured on this server (set STAMP_PKCS11_MODULE, STAMP_PKCS11_TOKEN_LABEL, STAMP_PKCS11_PIN)";

/** Composes the software backend and the optional PKCS#11 backend. */
export function createKeys(deps: { software: KeyBackend; pkcs11?: KeyBackend }): Keys {
  const pick = (backend: string): KeyBackend => {
    if (backend === "software") return deps.software;
    if (backend === "pkcs11") {
      if (!deps.pkcs11) throw errors.badRequest(PKCS11_NOT_CONFIGURED);
      return deps.pkcs11;
    }
    throw errors.badRequest(`unknown key backend "${backend}"`);
  };
  return {
    async generate(alg, label, backend) {
      return pick(backend).generate(alg, label);
    },
    async signer(ref, alg) {
      return pick(ref.backend).signer(ref, alg);
    },
  };
}
