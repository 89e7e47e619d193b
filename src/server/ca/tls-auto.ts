import { mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { writeFileAtomic } from "../../atomic-write.js";
import { errors } from "../../errors.js";
import { generateKeyPairFor } from "../../keygen.js";
import { buildCaTbs } from "../../pki/ca-certificate.js";
import { lintCaTbs } from "../../pki/lint-ca.js";
import { lintLeafTbs } from "../../pki/lint.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { buildLeafTbs, EKU } from "../../pki/leaf-certificate.js";
import { encodeName } from "../../pki/name.js";
import { toPem } from "../../pki/pem.js";
import { serialFromRandom } from "../../pki/serial.js";
import { isSealed, type Sealed } from "../keys/envelope.js";
import { newSealedKey, sealedKeySigner } from "../keys/software.js";
import type { RootKeys } from "../keys/keyring.js";
import type { Runtime } from "../shared-types.js";
import type { Config } from "../config.js";
import type { Signing } from "./signing.js";

/** Where the TLS CA lives: one shared record, so every server behind one name has one CA. */
export interface TlsCaSlot {
  putSecretIfAbsent(name: string, sealed: unknown): Promise<unknown>;
}

/** The server_secrets row of the TLS CA, and the AAD of its sealed key (root-key rotation re-wraps it). */
export const TLS_CA_SLOT = "tls-ca";
export const TLS_CA_AAD = "stamp-tls-ca-key";
const SLOT = TLS_CA_SLOT;
const AAD = TLS_CA_AAD;
const ALG = "EC_prime256v1" as const;
const DAY = 86_400_000;

/**
 * `--tls auto`: Stamp's own TLS CA (EC P-256, key sealed under the root key in the database,
 * shared by every server) issues each server a fresh certificate at start. The server key
 * lives only in memory; the CA certificate is written to <data-dir>/tls-ca.pem for clients.
 * Both certificates are signed through the signing chokepoint (signing.ts), with the CA key
 * held by the keys module as a Signer.
 */
export function createTlsAuto(deps: { rootKey: RootKeys; rt: Runtime; signing: Signing }) {
  const { rt, signing } = deps;

  async function tlsCa() {
    const fresh = await newSealedKey(deps.rootKey, ALG, AAD);
    const spki = fresh.signer.spki;
    const subject = encodeName({ organization: "Stamp", commonName: `Stamp TLS CA ${rt.random(4).toString("hex")}` });
    const now = rt.clock();
    const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
    const notAfter = new Date(notBefore.getTime() + 10 * 365 * DAY);
    const serialNumber = serialFromRandom(rt.random(20));
    const tbs = buildCaTbs({ serialNumber, subject, issuer: subject, notBefore, notAfter, spki, issuerSpki: spki, signerAlgorithm: ALG, pathLength: 0, selfSigned: true });
    const token = signing.prepare({ issuerCaId: null, kind: "tls-ca", subjectId: null, serialNumber, tbs, signer: fresh.signer, lint: (t) => lintCaTbs(t, { issuerNotBefore: notBefore, issuerNotAfter: notAfter, selfSigned: true }) });
    let stored: { certificate: string; key: Sealed } | undefined;
    // Every server starting at once makes a candidate; the first one stored wins and the others' are never used.
    await signing.signOne(token, async (tx, der) => {
      stored = (await tx.misc.putSecretIfAbsent(SLOT, { certificate: Buffer.from(der).toString("base64"), key: fresh.sealed })) as typeof stored;
    });
    if (!stored || typeof stored.certificate !== "string" || !isSealed(stored.key)) throw errors.internal("the TLS CA record is malformed");
    const der = new Uint8Array(Buffer.from(stored.certificate, "base64"));
    return { der, parsed: parseCertificate(der), signer: sealedKeySigner(deps.rootKey, stored.key, AAD, ALG) };
  }

  return {
    /** A server certificate for this server's names, and where the CA certificate was written. */
    async serverCertificate(config: Pick<Config, "host" | "publicUrl" | "dataDir">) {
      const ca = await tlsCa();
      const dns = new Set(["localhost"]);
      const ip = new Set(["127.0.0.1", "::1"]);
      for (const h of [config.host, new URL(config.publicUrl).hostname.replace(/^\[|\]$/g, "")]) {
        if (!h || h === "0.0.0.0" || h === "::") continue;
        if (/^[\d.]+$/.test(h) || h.includes(":")) ip.add(h);
        else dns.add(h.toLowerCase());
      }
      const leaf = generateKeyPairFor("EC_prime256v1");
      const spki = new Uint8Array(leaf.publicKey.export({ type: "spki", format: "der" }));
      const now = rt.clock();
      const notAfter = new Date(Math.min(now.getTime() + 365 * DAY, ca.parsed.notAfter.getTime()));
      const serialNumber = serialFromRandom(rt.random(20));
      const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000 - 60_000);
      const tbs = buildLeafTbs({
        serialNumber,
        subject: encodeName({ organization: "Stamp", commonName: [...dns][dns.size > 1 ? 1 : 0] }),
        issuer: ca.parsed.subject,
        notBefore,
        notAfter,
        spki,
        issuerSpki: ca.parsed.spki,
        signerAlgorithm: ALG,
        sans: { dns: [...dns], ip: [...ip] },
        keyUsage: ["digitalSignature"],
        extendedKeyUsage: [EKU.serverAuth],
        selfSigned: false,
      });
      const token = signing.prepare({ issuerCaId: null, kind: "tls-server", subjectId: null, serialNumber, tbs, signer: ca.signer, lint: (t) => lintLeafTbs(t, { issuerNotBefore: ca.parsed.notBefore, issuerNotAfter: ca.parsed.notAfter, selfSigned: false }) });
      // The server certificate lives in memory only: its record is the signing log entry.
      const cert = await signing.signOne(token, async () => {});
      const caPem = toPem(ca.der, "CERTIFICATE");
      await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
      const caFile = path.join(config.dataDir, "tls-ca.pem");
      // Every worker (and every server on a shared data dir) reaches here: write only a changed
      // file, and atomically, so a client never reads it half written.
      if ((await readFile(caFile, "utf8").catch(() => "")) !== caPem) {
        await writeFileAtomic(caFile, caPem, 0o644);
      }
      return { certPem: toPem(cert, "CERTIFICATE") + caPem, keyPem: leaf.privateKey.export({ type: "pkcs8", format: "pem" }) as string, caFile };
    },
  };
}
