import { toPem } from "../../../pki/pem.js";
import { decodeName, encodeName } from "../../../pki/name.js";
import type { CaCertificateRow, CaRow } from "../../store/ca.repo.js";
import type { KeyAlgorithm } from "../../../pki/algorithms.js";

/** PEM of several DER certificates, one after another. */
export const pemChain = (ders: Uint8Array[]) => ders.map((d) => toPem(d, "CERTIFICATE")).join("");

/** Where a CA's CRLs stand: the active key's CRL URL, the last build, and the current failure. */
export interface CaCrlFacts {
  revocationUrl: string;
  /** The newest full CRL's nextUpdate of each key. */
  nextUpdates: { ca_key_id: string; next_update: Date }[];
  now: Date;
}

/** The API's view of a CA (Infisical's shape, plus keyBackend, revocation URLs and CRL health). */
export function caView(ca: CaRow, backend: "software" | "pkcs11", active: CaCertificateRow | undefined, crl: CaCrlFacts) {
  const base = `${crl.revocationUrl}/api/v1/cert-manager`;
  const next = crl.nextUpdates.find((n) => n.ca_key_id === active?.ca_key_id)?.next_update;
  const s = ca.subject;
  return {
    id: ca.id,
    type: "internal" as const,
    status: ca.status,
    name: ca.name,
    projectId: ca.project_id,
    // Stamp issues through profiles only (Infisical's direct issuance from a CA is not offered).
    enableDirectIssuance: false,
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
      crlDistributionPointUrls: ca.crl_distribution_point_urls ?? [],
      isOcspEnabled: ca.ocsp_enabled !== false,
    },
    // What the certificates this CA signs point at (RFC 5280 §4.2.1.13, §4.2.2.1).
    ocspUrl: active && ca.ocsp_enabled !== false ? `${base}/ocsp/${ca.id}` : null,
    crl: {
      url: active ? `${base}/crl/${active.ca_key_id}` : null,
      lastPublishedAt: ca.crl_published_at ? new Date(ca.crl_published_at).toISOString() : null,
      nextUpdate: next ? new Date(next).toISOString() : null,
      /** Past its nextUpdate: relying parties that check CRLs reject this CA's certificates. */
      stale: !!active && (!next || new Date(next) <= crl.now),
      error: ca.crl_error,
      failingSince: ca.crl_failing_since ? new Date(ca.crl_failing_since).toISOString() : null,
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
