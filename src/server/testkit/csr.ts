import { createPublicKey, sign, type KeyObject } from "node:crypto";
import { generateKeyPairFor } from "../../keygen.js";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { assembleCsr, buildCsrInfo } from "../../pki/csr.js";
import { encodeName } from "../../pki/name.js";
import { toPem } from "../../pki/pem.js";

/** A PKCS#10 request for `commonName`, signed by `key` (a new EC P-256 key when none is given). */
export function makeCsr(commonName: string, opts: { key?: KeyObject; alg?: KeyAlgorithm } = {}): { pem: string; key: KeyObject } {
  const alg = opts.alg ?? "EC_prime256v1";
  const key = opts.key ?? generateKeyPairFor(alg).privateKey;
  const spki = new Uint8Array(createPublicKey(key).export({ type: "spki", format: "der" }));
  const info = buildCsrInfo(encodeName({ commonName }), spki);
  const hash = alg === "EC_secp384r1" ? "sha384" : alg === "EC_secp521r1" ? "sha512" : alg === "ED25519" ? null : "sha256";
  return { pem: toPem(assembleCsr(info, alg, new Uint8Array(sign(hash, info, key))), "CERTIFICATE REQUEST"), key };
}
