import { toPem } from "../../../pki/pem.js";
import { decodeName, encodeName } from "../../../pki/name.js";
import type { CaCertificateRow, CaRow } from "../../store/ca.repo.js";
import type { KeyAlgorithm } from "../../../pki/algorithms.js";

/** PEM of several DER certificates, one after another. */
export const pemChain = (ders: Uint8Array[]) => ders.map((d) => toPem(d, "CERTIFICATE")).join("");

/** The API's view of a CA (Infisical's shape, plus keyBackend). */
export function caView(ca: CaRow, backend: "software" | "pkcs11", active: CaCertificateRow | undefined) {
  const s = ca.subject;
  return {
    id: ca.id,
    type: "internal" as const,
    status: ca.status,
    name: ca.name,
    projectId: ca.project_id,
    keyBackend: backend,
    configuration: {
      type: ca.type,
      commonName: s.commonName,
      organization: s.organization,
      ou: s.ou,
      country: s.country,
      province: s.province,
      locality: s.locality,
      dn: decodeName(encodeName(s)).text,
      serialNumber: active?.serial ?? null,
      notBefore: ca.not_before ? new Date(ca.not_before).toISOString() : null,
      notAfter: ca.not_after ? new Date(ca.not_after).toISOString() : null,
      maxPathLength: ca.max_path_length,
      keyAlgorithm: ca.key_algorithm as KeyAlgorithm,
      parentCaId: ca.parent_ca_id,
      activeCaCertId: ca.active_certificate_id,
      ocspSigner: ca.ocsp_signer,
      crlValiditySeconds: ca.crl_validity_seconds,
    },
    createdAt: new Date(ca.created_at).toISOString(),
    updatedAt: new Date(ca.updated_at).toISOString(),
  };
}

/** One CA certificate version as PEM. */
export function caCertificateView(c: CaCertificateRow, activeId: string | null) {
  return {
    id: c.id,
    version: c.version,
    serialNumber: c.serial,
    certificate: toPem(c.certificate, "CERTIFICATE"),
    certificateChain: c.chain_pem,
    notBefore: new Date(c.not_before).toISOString(),
    notAfter: new Date(c.not_after).toISOString(),
    active: c.id === activeId,
  };
}
