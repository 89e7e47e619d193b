import { errors } from "../../errors.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { lintLeafTbs } from "../../pki/lint.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { buildLeafTbs, EKU } from "../../pki/leaf-certificate.js";
import { encodeName } from "../../pki/name.js";
import { serialFromRandom } from "../../pki/serial.js";
import type { Keys, KeyRef, Signer } from "../keys/index.js";
import type { SoftwareKeys } from "../keys/software.js";
import type { Runtime } from "../shared-types.js";
import type { Store } from "../store/store.js";
import type { Signing } from "./signing.js";

/** A responder that signs OCSP answers for one CA key: its signer and the certificates to send. */
export interface OcspResponderKey {
  signer: Signer;
  /** The delegated responder certificate, or nothing when the CA key signs itself. */
  certs: Uint8Array[];
  notAfter: Date;
}

const RESPONDER_ALG: KeyAlgorithm = "EC_prime256v1";

/**
 * Delegated OCSP responder certificates (RFC 6960 §4.2.2.2): EKU id-kp-OCSPSigning,
 * id-pkix-ocsp-nocheck, a short lifetime; issued by the CA key they answer for and rotated at
 * half-life, under a job lock so two servers rotate once.
 */
export function createOcspSigners(deps: { store: Store; keys: Keys; software: SoftwareKeys; rt: Runtime; lifetimeMs: number; revocationUrl: string; signing: Signing }) {
  const { store, keys, software, rt } = deps;
  const cache = new Map<string, OcspResponderKey>();

  async function issue(caId: string, caKeyId: string): Promise<void> {
    const [ca, key] = await Promise.all([store.ca.caById(caId), store.ca.keyById(caKeyId)]);
    const caCert = key ? (await store.ca.certificatesOf(caId)).find((c) => c.ca_key_id === caKeyId) : undefined;
    if (!ca || !key || !caCert) throw errors.internal("The CA key for the OCSP responder is missing.");
    const issuer = parseCertificate(caCert.certificate);
    const now = rt.clock();
    const notBefore = new Date(Math.max(issuer.notBefore.getTime(), Math.floor(now.getTime() / 1000) * 1000 - 60_000));
    const notAfter = new Date(Math.min(issuer.notAfter.getTime(), notBefore.getTime() + deps.lifetimeMs));
    const id = rt.uuid();
    const responderKey = await software.generate(RESPONDER_ALG, `ocsp:${id}`);
    const serial = serialFromRandom(rt.random(20));
    const caAlg = key.key_algorithm as KeyAlgorithm;
    const tbs = buildLeafTbs({
      serialNumber: serial,
      subject: encodeName({ organization: ca.subject.organization, commonName: `${ca.subject.commonName} OCSP Responder`.slice(0, 64) }),
      issuer: issuer.subject,
      notBefore,
      notAfter,
      spki: responderKey.spki,
      issuerSpki: key.spki,
      signerAlgorithm: caAlg,
      sans: {},
      keyUsage: ["digitalSignature"],
      extendedKeyUsage: [EKU.ocspSigning],
      ocspNoCheck: true,
      selfSigned: false,
      // RFC 5280 §4.2.2.1: where to fetch the issuing CA certificate (a responder needs no CRL or OCSP URL: ocsp-nocheck).
      caIssuersUrl: `${deps.revocationUrl}/api/v1/cert-manager/ca-certificates/${caCert.id}/der`,
    });
    const caSigner = await keys.signer(key.key_ref as KeyRef, caAlg);
    const token = deps.signing.prepare({ issuerCaId: caId, kind: "ocsp-responder", subjectId: id, serialNumber: serial, tbs, signer: caSigner, lint: (t) => lintLeafTbs(t, { issuerNotBefore: issuer.notBefore, issuerNotAfter: issuer.notAfter, selfSigned: false }) });
    await deps.signing.signOne(token, (tx, der) => tx.revocation.insertOcspSigner({ id, caId, caKeyId, keyAlgorithm: RESPONDER_ALG, keyRef: responderKey.ref, certificate: der, notBefore, notAfter }));
  }

  return {
    /** The delegated responder for a CA key, issuing or rotating it when it is past half its life. */
    async delegated(caId: string, caKeyId: string): Promise<OcspResponderKey> {
      const now = rt.clock().getTime();
      const fresh = (r: { not_before: Date; not_after: Date } | undefined) =>
        r && now < new Date(r.not_before).getTime() + (new Date(r.not_after).getTime() - new Date(r.not_before).getTime()) / 2;
      const hit = cache.get(caKeyId);
      if (hit && now < hit.notAfter.getTime() - deps.lifetimeMs / 2) return hit;
      let row = await store.revocation.latestOcspSigner(caKeyId);
      if (!fresh(row)) {
        await store.withJobLock(`ocsp-signer:${caKeyId}`, async () => {
          if (!fresh(await store.revocation.latestOcspSigner(caKeyId))) await issue(caId, caKeyId);
        });
        row = await store.revocation.latestOcspSigner(caKeyId);
      }
      // Another server may be rotating right now; a still-valid older responder serves meanwhile.
      if (!row || new Date(row.not_after).getTime() <= now) throw errors.unavailable("The OCSP responder certificate is being issued; try again shortly.");
      const value = { signer: await keys.signer(row.key_ref as KeyRef, row.key_algorithm as KeyAlgorithm), certs: [row.certificate], notAfter: new Date(row.not_after) };
      cache.set(caKeyId, value);
      return value;
    },
  };
}
