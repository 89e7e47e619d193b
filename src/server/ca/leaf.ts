import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { errors } from "../../errors.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { buildLeafTbs } from "../../pki/leaf-certificate.js";
import { lintLeafTbs } from "../../pki/lint.js";
import { encodeName } from "../../pki/name.js";
import { toPem } from "../../pki/pem.js";
import { serialFromRandom } from "../../pki/serial.js";
import type { Keys, KeyRef, Signer } from "../keys/index.js";
import type { SoftwareKeys } from "../keys/software.js";
import type { Runtime } from "../shared-types.js";
import type { CryptoPool } from "../keys/crypto-pool.js";
import type { CaCertificateRow, CaKeyRow } from "../store/ca.repo.js";
import type { LeafRecord, LeafSigner, PreparedLeaf as LeafReady } from "../shared-types.js";
import type { CaReads } from "./ca.js";
import type { Signing, SigningToken } from "./signing.js";
import type { LeafSpec } from "../../policy/issuance.js";

/** Who signs: a Stamp CA, or the subject's own (server-held) key for a self-signed leaf. */
export type LeafIssuer = LeafSigner<KeyRef>;

/** A leaf ready to sign: the TBS that passed lint, its single-use signing token, and what goes with it. */
export type PreparedLeaf = LeafReady<SigningToken>;

/** What an issuing CA key contributes to every leaf, computed once per (key, certificate): both rows never change. */
interface IssuerParts {
  parsed: ReturnType<typeof parseCertificate>;
  signer: Signer;
  keyAlgorithm: KeyAlgorithm;
  issuerSpki: Uint8Array;
  urls: { caIssuersUrl: string; ocspUrl: string; crlUrls: string[]; freshestCrlUrls: string[] };
  chainPem: string;
  caPem: string;
}

/**
 * Leaf issuance in the CA: re-check against the issuer, build the TBS, and hand it to the
 * signing chokepoint (signing.ts), which lints it, records the intent, signs, and commits the
 * certificate with its outcome and audit entry. Server-generated subject keys are made and
 * sealed here, since only this module touches private keys.
 */
export function createLeafIssuer(deps: { store: CaReads; keys: Keys; software: SoftwareKeys; crypto: Pick<CryptoPool, "generateKeyPair" | "buildPkcs12">; rt: Runtime; revocationUrl: string; signing: Pick<Signing, "prepare" | "issueLeaf"> }) {
  const { store, keys, rt, signing } = deps;
  const base = `${deps.revocationUrl}/api/v1/cert-manager`;
  const issuers = new Map<string, Promise<IssuerParts>>();

  /** The issuing parts of a CA key and certificate (cached; rows are immutable, so keyed by their ids). */
  function issuerParts(caId: string, key: CaKeyRow, caCert: CaCertificateRow): Promise<IssuerParts> {
    const id = `${key.id}/${caCert.id}`;
    let hit = issuers.get(id);
    if (!hit) {
      hit = (async () => {
        const alg = key.key_algorithm as KeyAlgorithm;
        const caPem = toPem(caCert.certificate, "CERTIFICATE");
        return {
          parsed: parseCertificate(caCert.certificate),
          signer: await keys.signer(key.key_ref as KeyRef, alg),
          keyAlgorithm: alg,
          issuerSpki: key.spki,
          // One CRL stream per CA key (a rollover starts a new one), with its delta (RFC 5280 §5.2.6).
          urls: { caIssuersUrl: `${base}/ca-certificates/${caCert.id}/der`, ocspUrl: `${base}/ocsp/${caId}`, crlUrls: [`${base}/crl/${key.id}`], freshestCrlUrls: [`${base}/crl/${key.id}/delta`] },
          chainPem: caPem + caCert.chain_pem,
          caPem,
        };
      })();
      hit.catch(() => issuers.delete(id));
      if (issuers.size >= 1000) issuers.clear();
      issuers.set(id, hit);
    }
    return hit;
  }

  async function prepare(issuer: LeafIssuer, spec: LeafSpec, spki: Uint8Array, certificateId: string | null): Promise<PreparedLeaf> {
    const serialNumber = serialFromRandom(rt.random(20));
    const subject = encodeName(spec.subject, { optionalCommonName: true });
    if (issuer.kind === "self-signed") {
      const tbs = buildLeafTbs({ serialNumber, subject, issuer: subject, notBefore: spec.notBefore, notAfter: spec.notAfter, spki, issuerSpki: spki, signerAlgorithm: issuer.keyAlgorithm, sans: spec.sans, keyUsage: spec.keyUsage, extendedKeyUsage: spec.extendedKeyUsage, selfSigned: true });
      const signer = await keys.signer(issuer.keyRef, issuer.keyAlgorithm);
      const token = signing.prepare({ issuerCaId: null, kind: "leaf", subjectId: certificateId, serialNumber, tbs, signer, lint: (t) => lintLeafTbs(t, { issuerNotBefore: spec.notBefore, issuerNotAfter: spec.notAfter, selfSigned: true }) });
      return { tbs, token, serial: token.serial, issuerCaId: null, caCertificateId: null, caKeyId: null, chainPem: "", issuingCaPem: "" };
    }
    const ca = await store.ca.caById(issuer.caId);
    if (!ca || ca.status !== "active" || !ca.active_key_id || !ca.active_certificate_id) throw errors.conflict("The profile's CA is not active; enable it or point the profile at another CA.");
    const [key, caCert] = await Promise.all([store.ca.keyById(ca.active_key_id), store.ca.certificateById(ca.active_certificate_id)]);
    if (!key || !caCert) throw errors.internal("The issuing CA's key or certificate is missing.");
    const parts = await issuerParts(ca.id, key, caCert);
    const { parsed } = parts;
    // Re-checked here, whatever the RA decided: a leaf never outlives its issuer (RFC 5280 §6.1.3).
    if (spec.notBefore < parsed.notBefore || spec.notAfter > parsed.notAfter) {
      throw errors.validation("The certificate would not fit inside the issuing CA's validity.", [
        { field: "attributes.notAfter", code: "outlives_issuer", message: `Must lie between ${parsed.notBefore.toISOString()} and ${parsed.notAfter.toISOString()}, the issuing CA's validity.`, value: spec.notAfter.toISOString() },
      ]);
    }
    const tbs = buildLeafTbs({
      serialNumber,
      subject,
      issuer: parsed.subject,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      spki,
      issuerSpki: parts.issuerSpki,
      signerAlgorithm: parts.keyAlgorithm,
      sans: spec.sans,
      keyUsage: spec.keyUsage,
      extendedKeyUsage: spec.extendedKeyUsage,
      selfSigned: false,
      ...parts.urls,
      // The CA's own settings (issue 15), from the row already read: no OCSP pointer when its
      // responder is off, and its extra CDP URLs as further names of the same CRL (RFC 5280 §4.2.1.13).
      ...(ca.ocsp_enabled === false ? { ocspUrl: undefined } : {}),
      ...(ca.crl_distribution_point_urls?.length ? { crlUrls: [...parts.urls.crlUrls, ...ca.crl_distribution_point_urls] } : {}),
    });
    const token = signing.prepare({ issuerCaId: ca.id, kind: "leaf", subjectId: certificateId, serialNumber, tbs, signer: parts.signer, lint: (t) => lintLeafTbs(t, { issuerNotBefore: parsed.notBefore, issuerNotAfter: parsed.notAfter, selfSigned: false }) });
    return { tbs, token, serial: token.serial, issuerCaId: ca.id, caCertificateId: caCert.id, caKeyId: key.id, chainPem: parts.chainPem, issuingCaPem: parts.caPem };
  }

  return {
    /** Builds and lints the TBS and takes a signing token (the preview stops here). */
    prepare,
    /**
     * Signs the prepared leaf and commits it with `record(der)` (its certificate row and audit
     * entry) and its `signed` outcome, group-committed; resolves once all of it is committed.
     */
    issue(p: PreparedLeaf, record: (der: Uint8Array) => LeafRecord): Promise<Uint8Array> {
      return signing.issueLeaf(p.token, record);
    },
    /** Makes a subject key pair for a certificate issued without a CSR; the PKCS#8 PEM is returned once. */
    async generateSubjectKey(alg: KeyAlgorithm, certificateId: string) {
      const { ref, spki } = await deps.software.generate(alg, `leaf:${certificateId}`);
      const pkcs8 = await deps.software.exportPrivateKey(ref, alg);
      return { ref, spki, privateKeyPem: toPem(pkcs8, "PRIVATE KEY") };
    },
    /** A throwaway public key of `alg` (the preview shows a certificate without keeping a key). */
    async previewSpki(alg: KeyAlgorithm) {
      const pair = await deps.crypto.generateKeyPair(alg);
      return new Uint8Array(pair.publicKey.export({ type: "spki", format: "der" }));
    },
    /** A PKCS#12 file (RFC 7292) of the certificate, its chain and its server-held key. */
    async buildPkcs12(certificate: Uint8Array, chain: Uint8Array[], keyRef: KeyRef, alg: KeyAlgorithm, password: string) {
      const pkcs8 = await this.exportSubjectKey(keyRef, alg);
      return deps.crypto.buildPkcs12({ certificate, chain, privateKeyPkcs8: pkcs8, password, random: (n) => new Uint8Array(rt.random(n)) });
    },
    /** Seals the private key of an imported certificate, once it is known to be that certificate's key (`spki`). */
    async importSubjectKey(pem: string, spki: Uint8Array, alg: KeyAlgorithm, certificateId: string) {
      let key: KeyObject;
      try {
        key = createPrivateKey(pem);
      } catch {
        throw errors.validation("The private key could not be read.", [{ field: "privateKeyPem", code: "unparseable", message: "Must be a PEM private key (PKCS#8, PKCS#1 or SEC 1), unencrypted." }]);
      }
      const pub = createPublicKey(key).export({ type: "spki", format: "der" });
      if (!Buffer.from(pub).equals(Buffer.from(spki))) {
        throw errors.validation("The private key does not belong to the certificate.", [{ field: "privateKeyPem", code: "key_mismatch", message: "This key's public key is not the certificate's: send the key the certificate was issued for." }]);
      }
      return (await deps.software.importPrivateKey(new Uint8Array(key.export({ type: "pkcs8", format: "der" })), alg, `leaf:${certificateId}`)).ref;
    },
    /** The PKCS#8 PEM of a server-held subject key (for bundle, private-key and PKCS#12 exports). */
    async exportSubjectKey(ref: KeyRef, alg: KeyAlgorithm): Promise<Uint8Array> {
      if (ref.backend !== "software") throw errors.conflict("This certificate's key lives in a token and cannot be exported.");
      return deps.software.exportPrivateKey(ref, alg);
    },
  };
}
