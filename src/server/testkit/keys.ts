import { randomBytes } from "node:crypto";
import { generateKeyPairForAsync } from "../../keygen.js";
import { createKeys, createSoftwareKeys, type Keys, type KeyRef } from "../keys/index.js";
import type { SoftwareKeys } from "../keys/software.js";
import type { Journal } from "./journal.js";

/** Software keys under a throwaway root key, whose signers can be told to fail. */
export interface TestKeys {
  keys: Keys;
  software: SoftwareKeys;
  /** From now on, signatures by keys whose label `when` accepts throw (every key when `when` is omitted); `false` heals. */
  failSigning(when?: ((label: string) => boolean) | false): void;
  /** Signatures made so far, by key label. */
  readonly signed: string[];
}

/**
 * Real keys (Node's crypto, sealed under a random root key: fast and in memory) whose signers
 * append `sign:<label>` to the journal before signing, and throw "the signer failed" while
 * `failSigning` says so — the failing signer of the signing chokepoint's failure paths.
 */
export function testKeys(journal: Journal): TestKeys {
  const software = createSoftwareKeys({ rootKey: randomBytes(32), generateKeyPair: generateKeyPairForAsync });
  let failing: ((label: string) => boolean) | null = null;
  const signed: string[] = [];
  const labelOf = (ref: KeyRef) => (ref.backend === "software" ? ref.label : `${ref.tokenLabel}/${ref.id}`);
  const inner = createKeys({ software });
  const keys: Keys = {
    generate: (alg, label, backend) => inner.generate(alg, label, backend),
    async signer(ref, alg) {
      const s = await inner.signer(ref, alg);
      const label = labelOf(ref);
      return {
        keyAlgorithm: s.keyAlgorithm,
        spki: s.spki,
        async sign(data) {
          if (failing?.(label)) {
            journal.push(`sign-failed:${label}`);
            throw new Error("the signer failed");
          }
          journal.push(`sign:${label}`);
          signed.push(label);
          return s.sign(data);
        },
      };
    },
  };
  return {
    keys,
    software,
    failSigning(when) {
      failing = when === false ? null : (when ?? (() => true));
    },
    signed,
  };
}
