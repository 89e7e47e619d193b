import { errors } from "../../errors.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { buildCaTbs } from "../../pki/ca-certificate.js";
import { lintCaTbs } from "../../pki/lint-ca.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { assembleCsr, buildCsrInfo } from "../../pki/csr.js";
import { toPem } from "../../pki/pem.js";
import { serialFromRandom } from "../../pki/serial.js";
import type { Keys, KeyBackendName, KeyRef } from "../keys/index.js";
import type { Runtime } from "../shared-types.js";
import type { CaKeyRow } from "../store/ca.repo.js";
import type { Repos } from "../store/store.js";
import type { CaCertRequest, CaCommit, CaCommitRepos, SignedCa } from "../shared-types.js";
import type { Signing, SigningTx } from "./signing.js";

/** What the issuer contributes to a certificate it signs. */
interface IssuerMaterial {
  caId: string;
  ocspEnabled: boolean;
  extraCrlUrls: string[];
  key: CaKeyRow;
  certificate: Uint8Array;
  chainPem: string;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  certificateId: string;
}

/** What the CA reads to sign a CA certificate or a CSR: the issuing CA, its keys and certificates. */
export interface CaReads {
  ca: Pick<Repos["ca"], "caById" | "keyById" | "certificateById">;
}

/**
 * The certificate authority: the ONLY module holding signers (ARCHITECTURE.md). Every CA
 * certificate goes through the signing chokepoint (signing.ts): prepare and lint → record
 * intent (committed) → sign outside any transaction → the caller's rows and the `signed`
 * outcome in one transaction, so no certificate exists that the database does not know about.
 */
export function createCa(deps: { store: CaReads; keys: Keys; rt: Runtime; revocationUrl: string; signing: Pick<Signing<CaCommitRepos & SigningTx>, "prepare" | "signOne"> }) {
  const { store, keys, rt, signing } = deps;
  const base = `${deps.revocationUrl}/api/v1/cert-manager`;

  const caIssuersUrl = (caCertificateId: string) => `${base}/ca-certificates/${caCertificateId}/der`;

  async function signer(key: CaKeyRow) {
    return keys.signer(key.key_ref as KeyRef, key.key_algorithm as KeyAlgorithm);
  }

  /** The active key and certificate of an issuing CA; refuses a CA that cannot sign. */
  async function issuer(caId: string): Promise<IssuerMaterial> {
    const ca = await store.ca.caById(caId);
    if (!ca || !ca.active_key_id || !ca.active_certificate_id) throw errors.conflict("The issuing CA has no active certificate yet.");
    const [key, cert] = await Promise.all([store.ca.keyById(ca.active_key_id), store.ca.certificateById(ca.active_certificate_id)]);
    if (!key || !cert) throw errors.internal("The issuing CA's key or certificate is missing.");
    const parsed = parseCertificate(cert.certificate);
    return { caId, ocspEnabled: ca.ocsp_enabled !== false, extraCrlUrls: ca.crl_distribution_point_urls ?? [], key, certificate: cert.certificate, chainPem: cert.chain_pem, subject: parsed.subject, notBefore: parsed.notBefore, notAfter: parsed.notAfter, certificateId: cert.id };
  }

  /** Signs a CA certificate with the issuing CA's active key (RFC 5280 §4.2.1.9 constraints set by the caller). */
  async function signCaCertificate(issuerCaId: string, req: CaCertRequest, kind: "intermediate-ca" | "external-ca", subjectCaId: string | null, commit: CaCommit): Promise<SignedCa> {
    const iss = await issuer(issuerCaId);
    // Re-checked here, whatever the RA decided: a CA certificate never outlives its issuer.
    if (req.notBefore < iss.notBefore || req.notAfter > iss.notAfter) {
      throw errors.validation("The certificate would not fit inside the issuing CA's validity.", [
        { field: "notAfter", code: "outlives_issuer", message: `Must lie between ${iss.notBefore.toISOString()} and ${iss.notAfter.toISOString()}, the issuing CA's validity.`, value: req.notAfter.toISOString() },
      ]);
    }
    const s = await signer(iss.key);
    const serialNumber = serialFromRandom(rt.random(20));
    const tbs = buildCaTbs({
      serialNumber,
      subject: req.subject,
      issuer: iss.subject,
      notBefore: req.notBefore,
      notAfter: req.notAfter,
      spki: req.spki,
      issuerSpki: iss.key.spki,
      signerAlgorithm: s.keyAlgorithm,
      pathLength: req.pathLength,
      selfSigned: false,
      // RFC 5280 §4.2.1.13, §4.2.2.1: the parent's CRL (of the key signing now) and OCSP
      // responder answer for this CA certificate, so relying parties can check it (issue 14).
      caIssuersUrl: caIssuersUrl(iss.certificateId),
      ocspUrl: iss.ocspEnabled ? `${base}/ocsp/${issuerCaId}` : undefined,
      crlUrls: [`${base}/crl/${iss.key.id}`, ...iss.extraCrlUrls],
    });
    const token = signing.prepare({ issuerCaId, kind, subjectId: subjectCaId, serialNumber, tbs, signer: s, lint: (t) => lintCaTbs(t, { issuerNotBefore: iss.notBefore, issuerNotAfter: iss.notAfter, selfSigned: false }) });
    const chainPem = toPem(iss.certificate, "CERTIFICATE") + iss.chainPem;
    const certificate = await signing.signOne(token, (tx, der) => commit(tx, { serial: token.serial, certificate: der, chainPem }));
    return { serial: token.serial, certificate, chainPem };
  }

  return {
    /** Makes a key pair for a CA in the chosen backend. */
    async generateKey(alg: KeyAlgorithm, label: string, backend: KeyBackendName) {
      return keys.generate(alg, label, backend);
    },

    /** Self-signs a root certificate for `caId` with its key `keyId`; `commit` writes its rows with the `signed` outcome. */
    async selfSign(caId: string, keyId: string, req: Omit<CaCertRequest, "spki">, commit: CaCommit): Promise<SignedCa> {
      const key = await store.ca.keyById(keyId);
      if (!key) throw errors.internal("CA key missing.");
      const s = await signer(key);
      const serialNumber = serialFromRandom(rt.random(20));
      const tbs = buildCaTbs({ ...req, serialNumber, issuer: req.subject, spki: key.spki, issuerSpki: key.spki, signerAlgorithm: s.keyAlgorithm, selfSigned: true });
      const token = signing.prepare({ issuerCaId: caId, kind: "root-ca", subjectId: caId, serialNumber, tbs, signer: s, lint: (t) => lintCaTbs(t, { issuerNotBefore: req.notBefore, issuerNotAfter: req.notAfter, selfSigned: true }) });
      const certificate = await signing.signOne(token, (tx, der) => commit(tx, { serial: token.serial, certificate: der, chainPem: "" }));
      return { serial: token.serial, certificate, chainPem: "" };
    },

    /** Signs a subordinate CA certificate (a Stamp CA's, or an outside CA's CSR). */
    signCaCertificate,

    /** A PKCS#10 request for the CA key `keyId` (for an intermediate signed outside Stamp); a CSR is not a certificate, so no signing record. */
    async makeCsr(keyId: string, subject: Uint8Array) {
      const key = await store.ca.keyById(keyId);
      if (!key) throw errors.internal("CA key missing.");
      const s = await signer(key);
      const info = buildCsrInfo(subject, key.spki);
      return assembleCsr(info, s.keyAlgorithm, await s.sign(info));
    },

    /** The URL of a CA certificate's DER download (the AIA caIssuers of what it signs). */
    caIssuersUrl,
  };
}

export type Ca = ReturnType<typeof createCa>;
