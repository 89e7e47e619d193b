import { errors } from "../../errors.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { buildLeafTbs } from "../../pki/leaf-certificate.js";
import { lintLeafTbs } from "../../pki/lint.js";
import { encodeName } from "../../pki/name.js";
import { pemBlocks } from "../../pki/pem.js";
import { serialFromRandom } from "../../pki/serial.js";
import type { Keys, KeyRef } from "../keys/index.js";
import type { SoftwareKeys } from "../keys/software.js";
import type { Runtime } from "../shared-types.js";
import type { Store } from "../store/store.js";
import type { ScepRaRow } from "../store/scep.repo.js";
import type { Signing } from "./signing.js";

/** The RA key: RSA, because SCEP clients encrypt to it with RSA key transport (RFC 8894 §3.5.1). */
const RA_ALG: KeyAlgorithm = "RSA_2048";
const DAY = 86_400_000;
const CACHE_MS = 30_000;

/** One RA certificate with the key operations it is used for; the key itself stays in this module. */
export interface ScepRaKey {
  id: string;
  certificate: Uint8Array;
  notAfter: Date;
  /** The raw RSA private-key operation (the caller unpads with implicit rejection); never throws on bad input. */
  rawDecrypt(block: Uint8Array): Promise<Uint8Array>;
  /** A PKCS#1 v1.5 signature over `hash`. */
  sign(hash: string, data: Uint8Array): Promise<Uint8Array>;
}

/** The RA of one profile: the current RA key, every still-valid one (for decryption), and the CA chain above it. */
export interface ScepRa {
  current: ScepRaKey;
  valid: ScepRaKey[];
  /** The issuing CA certificate and those above it, DER, issuer first. */
  caChain: Uint8Array[];
}

/**
 * SCEP RA certificates (RFC 8894 §2.2): one per profile, issued by the profile's CA through the
 * signing chokepoint, with digitalSignature and keyEncipherment; its RSA key is sealed under the
 * root key like an OCSP responder's. Replaced `renewBeforeDays` before it expires, under a job
 * lock so two servers rotate once; older ones keep decrypting until they expire.
 */
export function createScepRa(deps: { store: Store; keys: Keys; software: SoftwareKeys; rt: Runtime; revocationUrl: string; signing: Signing }) {
  const { store, keys, software, rt } = deps;
  const ops = new Map<string, ScepRaKey>();

  async function keyOf(row: ScepRaRow): Promise<ScepRaKey> {
    const hit = ops.get(row.id);
    if (hit) return hit;
    const o = await software.rsaOperations(row.key_ref as KeyRef, row.key_algorithm as KeyAlgorithm);
    const k: ScepRaKey = {
      id: row.id,
      certificate: new Uint8Array(row.certificate),
      notAfter: new Date(row.not_after),
      // A block of the wrong size or value is answered like a bad padding: with a block that unpads to nothing.
      rawDecrypt: (b) => o.rawDecrypt(b).catch(() => new Uint8Array(256)),
      sign: o.sign,
    };
    if (ops.size >= 1000) ops.clear();
    ops.set(row.id, k);
    return k;
  }

  async function issue(profile: { id: string; slug: string; caId: string }, lifetimeDays: number): Promise<void> {
    const ca = await store.ca.caById(profile.caId);
    if (!ca || ca.status !== "active" || !ca.active_key_id || !ca.active_certificate_id) throw errors.conflict("The profile's CA is not active, so it cannot issue the SCEP RA certificate.");
    const [key, caCert] = await Promise.all([store.ca.keyById(ca.active_key_id), store.ca.certificateById(ca.active_certificate_id)]);
    if (!key || !caCert) throw errors.internal("The issuing CA's key or certificate is missing.");
    const issuer = parseCertificate(caCert.certificate);
    const now = rt.clock();
    const notBefore = new Date(Math.max(issuer.notBefore.getTime(), Math.floor(now.getTime() / 1000) * 1000 - 60_000));
    const notAfter = new Date(Math.min(issuer.notAfter.getTime(), notBefore.getTime() + lifetimeDays * DAY));
    const id = rt.uuid();
    const raKey = await software.generate(RA_ALG, `scep-ra:${id}`);
    const serial = serialFromRandom(rt.random(20));
    const caAlg = key.key_algorithm as KeyAlgorithm;
    const base = `${deps.revocationUrl}/api/v1/cert-manager`;
    const tbs = buildLeafTbs({
      serialNumber: serial,
      subject: encodeName({ organization: ca.subject.organization, commonName: `${profile.slug} SCEP RA`.slice(0, 64) }),
      issuer: issuer.subject,
      notBefore,
      notAfter,
      spki: raKey.spki,
      issuerSpki: key.spki,
      signerAlgorithm: caAlg,
      sans: {},
      // RFC 8894 §2.2: the RA signs CertReps and clients encrypt requests to it.
      keyUsage: ["digitalSignature", "keyEncipherment"],
      extendedKeyUsage: [],
      selfSigned: false,
      caIssuersUrl: `${base}/ca-certificates/${caCert.id}/der`,
      ocspUrl: `${base}/ocsp/${ca.id}`,
      crlUrls: [`${base}/crl/${key.id}`],
    });
    const caSigner = await keys.signer(key.key_ref as KeyRef, caAlg);
    const token = deps.signing.prepare({ issuerCaId: ca.id, kind: "scep-ra", subjectId: id, serialNumber: serial, tbs, signer: caSigner, lint: (t) => lintLeafTbs(t, { issuerNotBefore: issuer.notBefore, issuerNotAfter: issuer.notAfter, selfSigned: false }) });
    await deps.signing.signOne(token, (tx, der) => tx.scep.insertRa({ id, profileId: profile.id, caId: ca.id, keyAlgorithm: RA_ALG, keyRef: raKey.ref, certificate: der, notBefore, notAfter }));
  }

  const cache = new Map<string, { ra: ScepRa; loadedAt: number }>();

  async function load(profile: { id: string; slug: string; caId: string }, settings: { raLifetimeDays: number; raRenewBeforeDays: number }): Promise<ScepRa> {
    const now = rt.clock().getTime();
    const fresh = (r: ScepRaRow | undefined) => r && new Date(r.not_after).getTime() - settings.raRenewBeforeDays * DAY > now;
    let row = await store.scep.latestRa(profile.id, profile.caId);
    if (!fresh(row)) {
      await store.withJobLock(`scep-ra:${profile.id}`, async () => {
        if (!fresh(await store.scep.latestRa(profile.id, profile.caId))) await issue(profile, settings.raLifetimeDays);
      });
      row = await store.scep.latestRa(profile.id, profile.caId);
    }
    // Another server may be issuing right now; a still-valid older RA certificate serves meanwhile.
    if (!row || new Date(row.not_after).getTime() <= now) throw errors.unavailable("The SCEP RA certificate is being issued; try again shortly.");
    const validRows = await store.scep.validRas(profile.id, new Date(now));
    const ca = await store.ca.caById(profile.caId);
    const caCert = ca?.active_certificate_id ? await store.ca.certificateById(ca.active_certificate_id) : undefined;
    const caChain = caCert ? [new Uint8Array(caCert.certificate), ...pemBlocks(caCert.chain_pem).map((b) => b.der)] : [];
    return { current: await keyOf(row), valid: await Promise.all(validRows.map(keyOf)), caChain };
  }

  return {
    /**
     * The RA of a profile, issuing its first RA certificate or the next one when the current is
     * inside its rotation window. Kept per server for CACHE_MS (RA rows never change; a rotation
     * on another server is seen within that time, and the old RA certificate still works).
     */
    async forProfile(profile: { id: string; slug: string; caId: string }, settings: { raLifetimeDays: number; raRenewBeforeDays: number }): Promise<ScepRa> {
      const now = rt.clock().getTime();
      const key = `${profile.id}/${profile.caId}`;
      const hit = cache.get(key);
      if (hit && Date.now() - hit.loadedAt < CACHE_MS && hit.ra.current.notAfter.getTime() - settings.raRenewBeforeDays * DAY > now) return hit.ra;
      const ra = await load(profile, settings);
      if (cache.size >= 1000) cache.clear();
      cache.set(key, { ra, loadedAt: Date.now() });
      return ra;
    },
  };
}

export type ScepRaService = ReturnType<typeof createScepRa>;
