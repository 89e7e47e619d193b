/**
 * Delegated certificates: a certificate and a software key (sealed under the root key) that a CA
 * issues to a delegate acting for it. Two delegates exist: a CA key's OCSP responder (RFC 6960
 * §4.2.2.2) and a SCEP profile's RA (RFC 8894 §2.2). Both are issued the same way — through the
 * signing chokepoint, linted like a leaf, recorded in the signing log under their kind — and
 * rotated the same way: re-checked under a job lock, so N servers issue the next one once, while a
 * still-valid older certificate keeps serving.
 */
import { errors } from "../../errors.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { buildLeafTbs, EKU } from "../../pki/leaf-certificate.js";
import { lintLeafTbs } from "../../pki/lint.js";
import { encodeName } from "../../pki/name.js";
import { pemBlocks } from "../../pki/pem.js";
import { serialFromRandom } from "../../pki/serial.js";
import type { Keys, KeyRef, Signer } from "../keys/index.js";
import type { SoftwareKeys } from "../keys/software.js";
import type { Runtime } from "../shared-types.js";
import type { Repos, Store } from "../store/store.js";
import type { ScepRaRow } from "../store/scep.repo.js";
import type { Signing, SigningKind } from "./signing.js";

const DAY = 86_400_000;
/** How long a server keeps a profile's SCEP RA before looking for a rotation made elsewhere. */
const SCEP_CACHE_MS = 30_000;
/** The OCSP responder key: P-256, small and fast to sign with. */
const RESPONDER_ALG: KeyAlgorithm = "EC_prime256v1";
/** The RA key: RSA, because SCEP clients encrypt to it with RSA key transport (RFC 8894 §3.5.1). */
const RA_ALG: KeyAlgorithm = "RSA_2048";

/** A responder that signs OCSP answers for one CA key: its signer and the certificates to send. */
export interface OcspResponderKey {
  signer: Signer;
  /** The delegated responder certificate, or nothing when the CA key signs itself. */
  certs: Uint8Array[];
  notAfter: Date;
}

type CaRow = NonNullable<Awaited<ReturnType<Store["ca"]["caById"]>>>;
type CaKeyRow = NonNullable<Awaited<ReturnType<Store["ca"]["keyById"]>>>;
type CaCertRow = NonNullable<Awaited<ReturnType<Store["ca"]["certificateById"]>>>;

/** The CA, key and certificate a delegated certificate is issued under. */
interface Issuer {
  ca: CaRow;
  key: CaKeyRow;
  cert: CaCertRow;
}

/** What a delegated certificate is made of, beyond what every one shares. */
interface Delegate {
  kind: Extract<SigningKind, "ocsp-responder" | "scep-ra">;
  keyAlgorithm: KeyAlgorithm;
  /** The software key's label prefix (the label is `<prefix>:<id>`). */
  keyLabel: string;
  commonName: string;
  lifetimeMs: number;
  keyUsage: string[];
  extendedKeyUsage: string[];
  /** RFC 6960 §4.2.2.2.1: a responder's certificate is not itself checked for revocation. */
  ocspNoCheck?: true;
  /** Whether the certificate names where to check its own revocation (CRL and OCSP URLs). */
  revocationUrls: boolean;
  /** Records the certificate and its sealed key in the transaction that commits the signature. */
  record(tx: Repos, d: { id: string; keyAlgorithm: KeyAlgorithm; keyRef: KeyRef; certificate: Uint8Array; notBefore: Date; notAfter: Date }): Promise<void>;
}

/** The store parts delegated certificates use. */
export type DelegatedStore = Pick<Store, "ca" | "revocation" | "scep" | "withJobLock">;

/**
 * Delegated OCSP responders (`ocsp.delegated`) and SCEP RAs (`scep.forProfile`): issued through
 * the signing chokepoint by the CA key they act for, each rotated under a job lock.
 */
export function createDelegatedCertificates(deps: { store: DelegatedStore; keys: Keys; software: SoftwareKeys; rt: Runtime; revocationUrl: string; signing: Signing; ocspLifetimeMs: number }) {
  const { store, keys, software, rt } = deps;

  /** Issues one delegated certificate under `issuer`, inside the issuer's validity. */
  async function issue(issuer: Issuer, d: Delegate): Promise<void> {
    const parsed = parseCertificate(issuer.cert.certificate);
    const now = rt.clock();
    const notBefore = new Date(Math.max(parsed.notBefore.getTime(), Math.floor(now.getTime() / 1000) * 1000 - 60_000));
    const notAfter = new Date(Math.min(parsed.notAfter.getTime(), notBefore.getTime() + d.lifetimeMs));
    const id = rt.uuid();
    const delegateKey = await software.generate(d.keyAlgorithm, `${d.keyLabel}:${id}`);
    const serial = serialFromRandom(rt.random(20));
    const caAlg = issuer.key.key_algorithm as KeyAlgorithm;
    const base = `${deps.revocationUrl}/api/v1/cert-manager`;
    const tbs = buildLeafTbs({
      serialNumber: serial,
      subject: encodeName({ organization: issuer.ca.subject.organization, commonName: d.commonName.slice(0, 64) }),
      issuer: parsed.subject,
      notBefore,
      notAfter,
      spki: delegateKey.spki,
      issuerSpki: issuer.key.spki,
      signerAlgorithm: caAlg,
      sans: {},
      keyUsage: d.keyUsage,
      extendedKeyUsage: d.extendedKeyUsage,
      ocspNoCheck: d.ocspNoCheck,
      selfSigned: false,
      // RFC 5280 §4.2.2.1: where to fetch the issuing CA certificate.
      caIssuersUrl: `${base}/ca-certificates/${issuer.cert.id}/der`,
      ...(d.revocationUrls ? { ocspUrl: `${base}/ocsp/${issuer.ca.id}`, crlUrls: [`${base}/crl/${issuer.key.id}`] } : {}),
    });
    const caSigner = await keys.signer(issuer.key.key_ref as KeyRef, caAlg);
    const token = deps.signing.prepare({ issuerCaId: issuer.ca.id, kind: d.kind, subjectId: id, serialNumber: serial, tbs, signer: caSigner, lint: (t) => lintLeafTbs(t, { issuerNotBefore: parsed.notBefore, issuerNotAfter: parsed.notAfter, selfSigned: false }) });
    await deps.signing.signOne(token, (tx, der) => d.record(tx, { id, keyAlgorithm: d.keyAlgorithm, keyRef: delegateKey.ref, certificate: der, notBefore, notAfter }));
  }

  /**
   * The latest delegated certificate row; when it is not `fresh`, the next one is issued under the
   * job lock `lock` (re-checked inside it, so only one server issues). 503 when none is valid yet:
   * another server may be issuing right now.
   */
  async function current<R extends { not_after: Date }>(now: number, o: { lock: string; what: string; latest: () => Promise<R | undefined>; fresh: (r: R | undefined) => boolean; issueNext: () => Promise<void> }): Promise<R> {
    let row = await o.latest();
    if (!o.fresh(row)) {
      await store.withJobLock(o.lock, async () => {
        if (!o.fresh(await o.latest())) await o.issueNext();
      });
      row = await o.latest();
    }
    // Another server may be rotating right now; a still-valid older certificate serves meanwhile.
    if (!row || new Date(row.not_after).getTime() <= now) throw errors.unavailable(`The ${o.what} certificate is being issued; try again shortly.`);
    return row;
  }

  // ---- OCSP responders (RFC 6960 §4.2.2.2): EKU id-kp-OCSPSigning, ocsp-nocheck, rotated at half-life ----

  const responders = new Map<string, OcspResponderKey>();

  async function responderIssuer(caId: string, caKeyId: string): Promise<Issuer> {
    const [ca, key] = await Promise.all([store.ca.caById(caId), store.ca.keyById(caKeyId)]);
    const cert = key ? (await store.ca.certificatesOf(caId)).find((c) => c.ca_key_id === caKeyId) : undefined;
    if (!ca || !key || !cert) throw errors.internal("The CA key for the OCSP responder is missing.");
    return { ca, key, cert };
  }

  const ocsp = {
    /** The delegated responder for a CA key, issuing or rotating it when it is past half its life. */
    async delegated(caId: string, caKeyId: string): Promise<OcspResponderKey> {
      const now = rt.clock().getTime();
      const hit = responders.get(caKeyId);
      if (hit && now < hit.notAfter.getTime() - deps.ocspLifetimeMs / 2) return hit;
      const row = await current(now, {
        lock: `ocsp-signer:${caKeyId}`,
        what: "OCSP responder",
        latest: () => store.revocation.latestOcspSigner(caKeyId),
        fresh: (r) => !!r && now < new Date(r.not_before).getTime() + (new Date(r.not_after).getTime() - new Date(r.not_before).getTime()) / 2,
        issueNext: async () => {
          const issuer = await responderIssuer(caId, caKeyId);
          await issue(issuer, {
            kind: "ocsp-responder",
            keyAlgorithm: RESPONDER_ALG,
            keyLabel: "ocsp",
            commonName: `${issuer.ca.subject.commonName} OCSP Responder`,
            lifetimeMs: deps.ocspLifetimeMs,
            keyUsage: ["digitalSignature"],
            extendedKeyUsage: [EKU.ocspSigning],
            ocspNoCheck: true,
            // A responder needs no CRL or OCSP URL: ocsp-nocheck.
            revocationUrls: false,
            record: (tx, c) => tx.revocation.insertOcspSigner({ ...c, caId, caKeyId }),
          });
        },
      });
      const value = { signer: await keys.signer(row.key_ref as KeyRef, row.key_algorithm as KeyAlgorithm), certs: [row.certificate], notAfter: new Date(row.not_after) };
      responders.set(caKeyId, value);
      return value;
    },
  };

  // ---- SCEP RAs (RFC 8894 §2.2): digitalSignature and keyEncipherment, replaced renewBeforeDays before expiry ----

  // The RA's shapes are the SCEP use cases' port (ra/scep/ports.ts: ScepRaPort), declared there once.
  /** One RA certificate with the key operations it is used for; the key itself stays in this module. */
  async function openRaKey(row: ScepRaRow) {
    const o = await software.rsaOperations(row.key_ref as KeyRef, row.key_algorithm as KeyAlgorithm);
    return {
      id: row.id,
      certificate: new Uint8Array(row.certificate),
      notAfter: new Date(row.not_after),
      // A block of the wrong size or value is answered like a bad padding: with a block that unpads to nothing.
      rawDecrypt: (b: Uint8Array) => o.rawDecrypt(b).catch(() => new Uint8Array(256)),
      sign: o.sign,
    };
  }
  type ScepRaKey = Awaited<ReturnType<typeof openRaKey>>;
  const raOps = new Map<string, ScepRaKey>();

  async function raKeyOf(row: ScepRaRow): Promise<ScepRaKey> {
    const hit = raOps.get(row.id);
    if (hit) return hit;
    const k = await openRaKey(row);
    if (raOps.size >= 1000) raOps.clear();
    raOps.set(row.id, k);
    return k;
  }

  async function raIssuer(caId: string): Promise<Issuer> {
    const ca = await store.ca.caById(caId);
    if (!ca || ca.status !== "active" || !ca.active_key_id || !ca.active_certificate_id) throw errors.conflict("The profile's CA is not active, so it cannot issue the SCEP RA certificate.");
    const [key, cert] = await Promise.all([store.ca.keyById(ca.active_key_id), store.ca.certificateById(ca.active_certificate_id)]);
    if (!key || !cert) throw errors.internal("The issuing CA's key or certificate is missing.");
    return { ca, key, cert };
  }

  /** The RA of one profile: the current RA key, every still-valid one (for decryption), and the CA chain above it (DER, issuer first). */
  async function loadRa(profile: { id: string; slug: string; caId: string }, settings: { raLifetimeDays: number; raRenewBeforeDays: number }) {
    const now = rt.clock().getTime();
    const row = await current(now, {
      lock: `scep-ra:${profile.id}`,
      what: "SCEP RA",
      latest: () => store.scep.latestRa(profile.id, profile.caId),
      fresh: (r) => !!r && new Date(r.not_after).getTime() - settings.raRenewBeforeDays * DAY > now,
      issueNext: async () =>
        issue(await raIssuer(profile.caId), {
          kind: "scep-ra",
          keyAlgorithm: RA_ALG,
          keyLabel: "scep-ra",
          commonName: `${profile.slug} SCEP RA`,
          lifetimeMs: settings.raLifetimeDays * DAY,
          // RFC 8894 §2.2: the RA signs CertReps and clients encrypt requests to it.
          keyUsage: ["digitalSignature", "keyEncipherment"],
          extendedKeyUsage: [],
          revocationUrls: true,
          record: (tx, c) => tx.scep.insertRa({ ...c, profileId: profile.id, caId: profile.caId }),
        }),
    });
    const validRows = await store.scep.validRas(profile.id, new Date(now));
    const ca = await store.ca.caById(profile.caId);
    const caCert = ca?.active_certificate_id ? await store.ca.certificateById(ca.active_certificate_id) : undefined;
    const caChain = caCert ? [new Uint8Array(caCert.certificate), ...pemBlocks(caCert.chain_pem).map((b) => b.der)] : [];
    return { current: await raKeyOf(row), valid: await Promise.all(validRows.map(raKeyOf)), caChain };
  }

  type ScepRa = Awaited<ReturnType<typeof loadRa>>;
  const ras = new Map<string, { ra: ScepRa; loadedAt: number }>();

  const scep = {
    /**
     * The RA of a profile, issuing its first RA certificate or the next one when the current is
     * inside its rotation window. Kept per server for SCEP_CACHE_MS (RA rows never change; a
     * rotation on another server is seen within that time, and the old RA certificate still works).
     */
    async forProfile(profile: { id: string; slug: string; caId: string }, settings: { raLifetimeDays: number; raRenewBeforeDays: number }): Promise<ScepRa> {
      const now = rt.clock().getTime();
      const key = `${profile.id}/${profile.caId}`;
      const hit = ras.get(key);
      if (hit && Date.now() - hit.loadedAt < SCEP_CACHE_MS && hit.ra.current.notAfter.getTime() - settings.raRenewBeforeDays * DAY > now) return hit.ra;
      const ra = await loadRa(profile, settings);
      if (ras.size >= 1000) ras.clear();
      ras.set(key, { ra, loadedAt: Date.now() });
      return ra;
    },
  };

  return { ocsp, scep };
}

/** The OCSP side: a CA key's delegated responder. */
export type OcspSigners = ReturnType<typeof createDelegatedCertificates>["ocsp"];
/** The SCEP side: a profile's RA. */
export type ScepRaService = ReturnType<typeof createDelegatedCertificates>["scep"];
