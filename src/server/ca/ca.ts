import { errors } from "../../errors.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { assembleCertificate, buildCaTbs } from "../../pki/ca-certificate.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { assembleCsr, buildCsrInfo } from "../../pki/csr.js";
import { toPem } from "../../pki/pem.js";
import { serialFromRandom, serialHex } from "../../pki/serial.js";
import type { Keys, KeyBackendName, KeyRef } from "../keys/index.js";
import type { Runtime } from "../ra/context.js";
import type { CaKeyRow } from "../store/ca.repo.js";
import type { Store } from "../store/store.js";

/** What the issuer contributes to a certificate it signs. */
interface IssuerMaterial {
  caId: string;
  key: CaKeyRow;
  certificate: Uint8Array;
  chainPem: string;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  certificateId: string;
}

/** A CA certificate to sign: subject, key, validity and path length. */
export interface CaCertificateRequest {
  subject: Uint8Array;
  spki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** null = unlimited. */
  pathLength: number | null;
}

/**
 * The certificate authority: the ONLY module holding signers (ARCHITECTURE.md). Each
 * signature follows prepare → record intent (committed) → sign outside any transaction →
 * record result, so no certificate exists that the database does not know about.
 */
export function createCa(deps: { store: Store; keys: Keys; rt: Runtime; revocationUrl: string }) {
  const { store, keys, rt } = deps;
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
    return { caId, key, certificate: cert.certificate, chainPem: cert.chain_pem, subject: parsed.subject, notBefore: parsed.notBefore, notAfter: parsed.notAfter, certificateId: cert.id };
  }

  /** Runs `sign` between a committed intent and its recorded outcome. */
  async function withIntent<T>(issuerCaId: string, kind: string, subjectId: string | null, sign: (serial: Uint8Array) => Promise<T>): Promise<{ serial: string; result: T }> {
    const serialBytes = serialFromRandom(rt.random(20));
    const serial = serialHex(serialBytes);
    await store.ca.recordIntent(issuerCaId, serial, kind, subjectId);
    try {
      const result = await sign(serialBytes);
      return { serial, result };
    } catch (e) {
      await store.ca.recordOutcome(issuerCaId, serial, "failed");
      throw e;
    }
  }

  /** Signs a CA certificate with the issuing CA's active key (RFC 5280 §4.2.1.9 constraints set by the caller). */
  async function signCaCertificate(issuerCaId: string, req: CaCertificateRequest, kind: string, subjectCaId: string | null) {
    const iss = await issuer(issuerCaId);
    // Re-checked here, whatever the RA decided: a CA certificate never outlives its issuer.
    if (req.notBefore < iss.notBefore || req.notAfter > iss.notAfter) {
      throw errors.validation("The certificate would not fit inside the issuing CA's validity.", [
        { field: "notAfter", code: "outlives_issuer", message: `Must lie between ${iss.notBefore.toISOString()} and ${iss.notAfter.toISOString()}, the issuing CA's validity.`, value: req.notAfter.toISOString() },
      ]);
    }
    const s = await signer(iss.key);
    const { serial, result } = await withIntent(issuerCaId, kind, subjectCaId, async (serialNumber) => {
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
        ocspUrl: `${base}/ocsp/${issuerCaId}`,
        crlUrls: [`${base}/crl/${iss.key.id}`],
      });
      return assembleCertificate(tbs, s.keyAlgorithm, await s.sign(tbs));
    });
    return { serial, certificate: result, chainPem: toPem(iss.certificate, "CERTIFICATE") + iss.chainPem };
  }

  return {
    /** Makes a key pair for a CA in the chosen backend. */
    async generateKey(alg: KeyAlgorithm, label: string, backend: KeyBackendName) {
      return keys.generate(alg, label, backend);
    },

    /** Self-signs a root certificate for `caId` with its key `keyId`. */
    async selfSign(caId: string, keyId: string, req: Omit<CaCertificateRequest, "spki">) {
      const key = await store.ca.keyById(keyId);
      if (!key) throw errors.internal("CA key missing.");
      const s = await signer(key);
      const { serial, result } = await withIntent(caId, "root-ca", caId, async (serialNumber) => {
        const tbs = buildCaTbs({ ...req, serialNumber, issuer: req.subject, spki: key.spki, issuerSpki: key.spki, signerAlgorithm: s.keyAlgorithm, selfSigned: true });
        return assembleCertificate(tbs, s.keyAlgorithm, await s.sign(tbs));
      });
      return { serial, certificate: result, chainPem: "" };
    },

    /** Signs a subordinate CA certificate (a Stamp CA's, or an outside CA's CSR). */
    signCaCertificate,

    /** A PKCS#10 request for the CA key `keyId` (for an intermediate signed outside Stamp). */
    async makeCsr(keyId: string, subject: Uint8Array) {
      const key = await store.ca.keyById(keyId);
      if (!key) throw errors.internal("CA key missing.");
      const s = await signer(key);
      const info = buildCsrInfo(subject, key.spki);
      return assembleCsr(info, s.keyAlgorithm, await s.sign(info));
    },

    /** Marks a recorded intent as signed once its certificate is committed. */
    markSigned: (issuerCaId: string, serial: string) => store.ca.recordOutcome(issuerCaId, serial, "signed"),

    /** The URL of a CA certificate's DER download (the AIA caIssuers of what it signs). */
    caIssuersUrl,
  };
}

export type Ca = ReturnType<typeof createCa>;
