import { generateKeyPairSync, sign as cryptoSign, createPrivateKey } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { errors } from "../../errors.js";
import { algorithmParams } from "../../pki/algorithms.js";
import { assembleCertificate, buildCaTbs } from "../../pki/ca-certificate.js";
import { parseCertificate } from "../../pki/certificate-parse.js";
import { buildLeafTbs, EKU } from "../../pki/leaf-certificate.js";
import { encodeName } from "../../pki/name.js";
import { toPem } from "../../pki/pem.js";
import { serialFromRandom } from "../../pki/serial.js";
import { isSealed, open, seal, type Sealed } from "../keys/envelope.js";
import type { RootKeys } from "../keys/keyring.js";
import type { Runtime } from "../ra/context.js";
import type { Config } from "../config.js";

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

function ecSign(key: ReturnType<typeof createPrivateKey>, data: Uint8Array) {
  return new Uint8Array(cryptoSign(algorithmParams(ALG).hash, data, key));
}

/**
 * `--tls auto`: Stamp's own TLS CA (EC P-256, key sealed under the root key in the database,
 * shared by every server) issues each server a fresh certificate at start. The server key
 * lives only in memory; the CA certificate is written to <data-dir>/tls-ca.pem for clients.
 */
export function createTlsAuto(deps: { store: { misc: TlsCaSlot }; rootKey: RootKeys; rt: Runtime }) {
  const { rt } = deps;

  async function tlsCa() {
    const key = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    const spki = new Uint8Array(key.publicKey.export({ type: "spki", format: "der" }));
    const subject = encodeName({ organization: "Stamp", commonName: `Stamp TLS CA ${rt.random(4).toString("hex")}` });
    const now = rt.clock();
    const tbs = buildCaTbs({ serialNumber: serialFromRandom(rt.random(20)), subject, issuer: subject, notBefore: new Date(now.getTime() - 60_000), notAfter: new Date(now.getTime() + 10 * 365 * DAY), spki, issuerSpki: spki, signerAlgorithm: ALG, pathLength: 0, selfSigned: true });
    const candidate = {
      certificate: Buffer.from(assembleCertificate(tbs, ALG, ecSign(key.privateKey, tbs))).toString("base64"),
      key: seal(deps.rootKey, key.privateKey.export({ type: "pkcs8", format: "der" }), AAD),
    };
    const stored = (await deps.store.misc.putSecretIfAbsent(SLOT, candidate)) as { certificate: string; key: Sealed };
    if (!stored || typeof stored.certificate !== "string" || !isSealed(stored.key)) throw errors.internal("the TLS CA record is malformed");
    const der = new Uint8Array(Buffer.from(stored.certificate, "base64"));
    return { der, parsed: parseCertificate(der), key: createPrivateKey({ key: open(deps.rootKey, stored.key, AAD), format: "der", type: "pkcs8" }) };
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
      const leaf = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
      const spki = new Uint8Array(leaf.publicKey.export({ type: "spki", format: "der" }));
      const now = rt.clock();
      const notAfter = new Date(Math.min(now.getTime() + 365 * DAY, ca.parsed.notAfter.getTime()));
      const tbs = buildLeafTbs({
        serialNumber: serialFromRandom(rt.random(20)),
        subject: encodeName({ organization: "Stamp", commonName: [...dns][dns.size > 1 ? 1 : 0] }),
        issuer: ca.parsed.subject,
        notBefore: new Date(now.getTime() - 60_000),
        notAfter,
        spki,
        issuerSpki: ca.parsed.spki,
        signerAlgorithm: ALG,
        sans: { dns: [...dns], ip: [...ip] },
        keyUsage: ["digitalSignature"],
        extendedKeyUsage: [EKU.serverAuth],
        selfSigned: false,
      });
      const cert = assembleCertificate(tbs, ALG, ecSign(ca.key, tbs));
      const caPem = toPem(ca.der, "CERTIFICATE");
      await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
      const caFile = path.join(config.dataDir, "tls-ca.pem");
      await writeFile(caFile, caPem, { mode: 0o644 });
      return { certPem: toPem(cert, "CERTIFICATE") + caPem, keyPem: leaf.privateKey.export({ type: "pkcs8", format: "pem" }) as string, caFile };
    },
  };
}
