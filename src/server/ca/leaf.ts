import { errors } from "../../errors.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { assembleCertificate } from "../../pki/ca-certificate.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { buildLeafTbs } from "../../pki/leaf-certificate.js";
import { lintLeafTbs } from "../../pki/lint.js";
import { encodeName } from "../../pki/name.js";
import { toPem } from "../../pki/pem.js";
import { serialFromRandom, serialHex } from "../../pki/serial.js";
import type { Keys, KeyRef } from "../keys/index.js";
import type { SoftwareKeys } from "../keys/software.js";
import type { Runtime } from "../ra/context.js";
import type { CryptoPool } from "../keys/crypto-pool.js";
import type { Store } from "../store/store.js";
import type { LeafSpec } from "../../policy/issuance.js";

/** Who signs: a Stamp CA, or the subject's own (server-held) key for a self-signed leaf. */
export type LeafIssuer = { kind: "ca"; caId: string } | { kind: "self-signed"; keyRef: KeyRef; keyAlgorithm: KeyAlgorithm };

/** A leaf ready to sign: the TBS that passed lint, and how to sign it. */
export interface PreparedLeaf {
  tbs: Uint8Array;
  serial: string;
  issuerCaId: string | null;
  caCertificateId: string | null;
  caKeyId: string | null;
  chainPem: string;
  issuingCaPem: string;
  sign(): Promise<Uint8Array>;
}

/**
 * Leaf issuance in the CA: re-check against the issuer, build the TBS, lint it, and — only
 * after the intent is recorded — sign. Server-generated subject keys are made and sealed here,
 * since only this module touches private keys.
 */
export function createLeafIssuer(deps: { store: Store; keys: Keys; software: SoftwareKeys; crypto: Pick<CryptoPool, "generateKeyPair" | "buildPkcs12">; rt: Runtime; revocationUrl: string }) {
  const { store, keys, rt } = deps;
  const base = `${deps.revocationUrl}/api/v1/cert-manager`;
  const parsedCaCerts = new Map<string, ReturnType<typeof parseCertificate>>();

  async function prepare(issuer: LeafIssuer, spec: LeafSpec, spki: Uint8Array): Promise<PreparedLeaf> {
    const serialBytes = serialFromRandom(rt.random(20));
    const subject = encodeName(spec.subject, { optionalCommonName: true });
    if (issuer.kind === "self-signed") {
      const tbs = buildLeafTbs({ serialNumber: serialBytes, subject, issuer: subject, notBefore: spec.notBefore, notAfter: spec.notAfter, spki, issuerSpki: spki, signerAlgorithm: issuer.keyAlgorithm, sans: spec.sans, keyUsage: spec.keyUsage, extendedKeyUsage: spec.extendedKeyUsage, selfSigned: true });
      lint(tbs, spec.notBefore, spec.notAfter, true);
      return { tbs, serial: serialHex(serialBytes), issuerCaId: null, caCertificateId: null, caKeyId: null, chainPem: "", issuingCaPem: "", sign: async () => assembleCertificate(tbs, issuer.keyAlgorithm, await (await keys.signer(issuer.keyRef, issuer.keyAlgorithm)).sign(tbs)) };
    }
    const ca = await store.ca.caById(issuer.caId);
    if (!ca || ca.status !== "active" || !ca.active_key_id || !ca.active_certificate_id) throw errors.conflict("The profile's CA is not active; enable it or point the profile at another CA.");
    const [key, caCert] = await Promise.all([store.ca.keyById(ca.active_key_id), store.ca.certificateById(ca.active_certificate_id)]);
    if (!key || !caCert) throw errors.internal("The issuing CA's key or certificate is missing.");
    // A CA certificate row never changes: parse it once per server.
    let parsed = parsedCaCerts.get(caCert.id);
    if (!parsed) {
      parsed = parseCertificate(caCert.certificate);
      if (parsedCaCerts.size >= 1000) parsedCaCerts.clear();
      parsedCaCerts.set(caCert.id, parsed);
    }
    // Re-checked here, whatever the RA decided: a leaf never outlives its issuer (RFC 5280 §6.1.3).
    if (spec.notBefore < parsed.notBefore || spec.notAfter > parsed.notAfter) {
      throw errors.validation("The certificate would not fit inside the issuing CA's validity.", [
        { field: "attributes.notAfter", code: "outlives_issuer", message: `Must lie between ${parsed.notBefore.toISOString()} and ${parsed.notAfter.toISOString()}, the issuing CA's validity.`, value: spec.notAfter.toISOString() },
      ]);
    }
    const alg = key.key_algorithm as KeyAlgorithm;
    const tbs = buildLeafTbs({
      serialNumber: serialBytes,
      subject,
      issuer: parsed.subject,
      notBefore: spec.notBefore,
      notAfter: spec.notAfter,
      spki,
      issuerSpki: key.spki,
      signerAlgorithm: alg,
      sans: spec.sans,
      keyUsage: spec.keyUsage,
      extendedKeyUsage: spec.extendedKeyUsage,
      selfSigned: false,
      caIssuersUrl: `${base}/ca-certificates/${caCert.id}/der`,
      ocspUrl: `${base}/ocsp/${ca.id}`,
      // One CRL stream per CA key (a rollover starts a new one), with its delta (RFC 5280 §5.2.6).
      crlUrls: [`${base}/crl/${key.id}`],
      freshestCrlUrls: [`${base}/crl/${key.id}/delta`],
    });
    lint(tbs, parsed.notBefore, parsed.notAfter, false);
    const caPem = toPem(caCert.certificate, "CERTIFICATE");
    return {
      tbs,
      serial: serialHex(serialBytes),
      issuerCaId: ca.id,
      caCertificateId: caCert.id,
      caKeyId: key.id,
      chainPem: caPem + caCert.chain_pem,
      issuingCaPem: caPem,
      sign: async () => {
        const signer = await keys.signer(key.key_ref as KeyRef, alg);
        return assembleCertificate(tbs, alg, await signer.sign(tbs));
      },
    };
  }

  function lint(tbs: Uint8Array, issuerNotBefore: Date, issuerNotAfter: Date, selfSigned: boolean) {
    const v = lintLeafTbs(tbs, { issuerNotBefore, issuerNotAfter, selfSigned });
    if (v.length) throw errors.validation("The certificate failed the pre-issuance lint and was not signed; see violations.", v);
  }

  return {
    /** Builds and lints the TBS without signing (the preview, and step one of issue). */
    prepare,
    /** Records the intent, signs, and returns the DER (house rule 2: intent before signature). */
    async sign(p: PreparedLeaf, certificateId: string): Promise<Uint8Array> {
      await store.ca.recordIntent(p.issuerCaId, p.serial, "leaf", certificateId);
      try {
        return await p.sign();
      } catch (e) {
        await store.ca.recordOutcome(p.issuerCaId, p.serial, "failed");
        throw e;
      }
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
    /** The PKCS#8 PEM of a server-held subject key (for bundle, private-key and PKCS#12 exports). */
    async exportSubjectKey(ref: KeyRef, alg: KeyAlgorithm): Promise<Uint8Array> {
      if (ref.backend !== "software") throw errors.conflict("This certificate's key lives in a token and cannot be exported.");
      return deps.software.exportPrivateKey(ref, alg);
    },
  };
}
