/** Test-only helpers shared by the pki tests (not a test file itself): keys, signing, small CAs. */
import { generateKeyPair, sign, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import { algorithmParams, type KeyAlgorithm } from "./algorithms.js";
import { assembleCertificate, buildCaTbs, type CaTbsInput } from "./ca-certificate.js";
import { encodeName, type DnFields } from "./name.js";

const gen = promisify(generateKeyPair);

/** A generated key with its SPKI DER. */
export interface TestKey {
  alg: KeyAlgorithm;
  privateKey: KeyObject;
  publicKey: KeyObject;
  spki: Uint8Array;
}

/** Generates a key of the given Stamp algorithm with node:crypto. */
export async function makeKey(alg: KeyAlgorithm): Promise<TestKey> {
  const p = algorithmParams(alg);
  const { privateKey, publicKey } =
    p.nodeType === "rsa"
      ? await gen("rsa", { modulusLength: p.modulusLength! })
      : p.nodeType === "ec"
        ? await gen("ec", { namedCurve: p.namedCurve! })
        : await gen("ed25519", {});
  return { alg, privateKey, publicKey, spki: new Uint8Array(publicKey.export({ format: "der", type: "spki" })) };
}

/** Signs like server/ca will: the algorithm's hash (null for Ed25519), ECDSA in DER form. */
export function signWith(key: TestKey, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign(algorithmParams(key.alg).hash, data, { key: key.privateKey, dsaEncoding: "der" }));
}

/** An issuer: its name DER and key. */
export interface TestIssuer {
  name: Uint8Array;
  key: TestKey;
}

let serialCounter = 1;

/** Issues a CA certificate for `key` named `subject`, self-signed when `issuer` is absent. */
export function issueCa(opts: {
  subject: DnFields;
  key: TestKey;
  issuer?: TestIssuer;
  pathLength?: number | null;
  notBefore?: Date;
  notAfter?: Date;
  extra?: Partial<CaTbsInput>;
}): { der: Uint8Array; asIssuer: TestIssuer } {
  const name = encodeName(opts.subject);
  const issuer = opts.issuer ?? { name, key: opts.key };
  const serial = new Uint8Array(20).fill(0x11);
  serial[19] = serialCounter++ & 0xff;
  const tbs = buildCaTbs({
    serialNumber: serial,
    subject: name,
    issuer: issuer.name,
    notBefore: opts.notBefore ?? new Date("2024-01-01T00:00:00Z"),
    notAfter: opts.notAfter ?? new Date("2044-01-01T00:00:00Z"),
    spki: opts.key.spki,
    issuerSpki: issuer.key.spki,
    signerAlgorithm: issuer.key.alg,
    pathLength: opts.pathLength === undefined ? null : opts.pathLength,
    selfSigned: !opts.issuer,
    ...opts.extra,
  });
  const der = assembleCertificate(tbs, issuer.key.alg, signWith(issuer.key, tbs));
  return { der, asIssuer: { name, key: opts.key } };
}
