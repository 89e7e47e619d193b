/**
 * The one key-pair generator, for the server (keys/, the crypto pool's worker threads, TLS-auto)
 * and the agent: the parameters come from pki/algorithms.ts, so every caller makes the same key
 * for the same algorithm name.
 */
import { generateKeyPair, generateKeyPairSync, type KeyObject } from "node:crypto";
import { promisify } from "node:util";
import { algorithmParams, type KeyAlgorithm } from "./pki/algorithms.js";

/** A generated pair as KeyObjects. */
export interface KeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const generateAsync = promisify(generateKeyPair);

/** Makes a key pair of `alg` on the calling thread (RSA blocks it for ~100 ms: use a worker or the async form). */
export function generateKeyPairFor(alg: KeyAlgorithm): KeyPair {
  const p = algorithmParams(alg);
  if (p.nodeType === "rsa") return generateKeyPairSync("rsa", { modulusLength: p.modulusLength!, publicExponent: 65537 });
  if (p.nodeType === "ec") return generateKeyPairSync("ec", { namedCurve: p.namedCurve! });
  return generateKeyPairSync("ed25519");
}

/** Makes a key pair of `alg` on libuv's thread pool, leaving the event loop free. */
export function generateKeyPairForAsync(alg: KeyAlgorithm): Promise<KeyPair> {
  const p = algorithmParams(alg);
  if (p.nodeType === "rsa") return generateAsync("rsa", { modulusLength: p.modulusLength!, publicExponent: 65537 });
  if (p.nodeType === "ec") return generateAsync("ec", { namedCurve: p.namedCurve! });
  return generateAsync("ed25519");
}
