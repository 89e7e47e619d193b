/**
 * Pre-issuance lint of a CA certificate's TBS (RFC 5280 §4.1, §4.2.1; CA/B BR §7.1.2.1–2), run
 * by the signing chokepoint on the exact bytes it is about to sign, like lintLeafTbs for leaves.
 */
import type { Violation } from "../errors.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { TAG, childrenOf, raw, readRoot } from "./der.js";
import { EXT, decodeBasicConstraints, decodeKeyUsage } from "./extensions.js";
import { lintCommon, lintName, type LintContext } from "./lint.js";
import { signatureAlgorithmDer } from "./signature.js";

/** Lints a to-be-signed CA certificate; returns every broken rule (empty when fit to sign). */
export function lintCaTbs(tbs: Uint8Array, ctx: LintContext): Violation[] {
  const { out, add, t } = lintCommon(tbs, ctx, "CA");
  if (!t) return out;
  // RFC 5280 §4.1.2.6: a CA's subject MUST be a non-empty distinguished name.
  if (t.subject.end === t.subject.contentStart) add("ca_subject_empty", "A CA certificate's subject must not be empty (RFC 5280 §4.1.2.6).");
  lintName(tbs, t.subject, add);
  const exts = new Map<string, { critical: boolean; value: Uint8Array }>();
  for (const e of t.extensions) {
    if (exts.has(e.oid)) add("duplicate_extension", `The extension ${e.oid} appears more than once (RFC 5280 §4.2).`, e.oid);
    else exts.set(e.oid, e);
  }
  // RFC 5280 §4.2.1.9: basicConstraints MUST be present and critical with cA TRUE.
  const bcExt = exts.get(EXT.basicConstraints);
  let ca = false;
  if (!bcExt || !bcExt.critical) add("ca_basic_constraints", "A CA certificate must carry a critical basicConstraints extension (RFC 5280 §4.2.1.9).");
  if (bcExt) {
    try {
      ca = decodeBasicConstraints(bcExt.value).ca;
    } catch (e) {
      add("malformed_extension", `The basicConstraints extension is malformed: ${(e as Error).message}.`, EXT.basicConstraints);
    }
    if (!ca) add("ca_basic_constraints", "A CA certificate's basicConstraints must assert cA TRUE (RFC 5280 §4.2.1.9).");
  }
  // RFC 5280 §4.2.1.3: keyUsage MUST be present in a CA certificate and assert keyCertSign; CA/B BR §7.1.2.1 wants it critical.
  const kuExt = exts.get(EXT.keyUsage);
  if (!kuExt || !kuExt.critical) add("ca_key_usage", "A CA certificate must carry a critical keyUsage extension (RFC 5280 §4.2.1.3).");
  if (kuExt) {
    let ku: string[] = [];
    try {
      ku = decodeKeyUsage(kuExt.value);
    } catch (e) {
      add("malformed_extension", `The keyUsage extension is malformed: ${(e as Error).message}.`, EXT.keyUsage);
    }
    if (!ku.includes("keyCertSign")) add("ca_key_usage", "A CA certificate's keyUsage must assert keyCertSign (RFC 5280 §4.2.1.3).", ku);
  }
  // RFC 5280 §4.2.1.2: SKI MUST appear in CA certificates; §4.2.1.1: AKI MUST unless self-signed.
  if (!exts.has(EXT.subjectKeyIdentifier)) add("ski_missing", "A CA certificate must carry a subjectKeyIdentifier (RFC 5280 §4.2.1.2).");
  if (!ctx.selfSigned && !exts.has(EXT.authorityKeyIdentifier)) add("aki_missing", "A certificate that is not self-signed must carry an authorityKeyIdentifier (RFC 5280 §4.2.1.1).");
  return out;
}

/** True when the TBS's signature AlgorithmIdentifier is the one a key of `alg` signs with (RFC 5280 §4.1.1.2: it must equal the outer signatureAlgorithm). */
export function tbsSignatureMatches(tbs: Uint8Array, alg: KeyAlgorithm): boolean {
  try {
    const parts = childrenOf(tbs, readRoot(tbs, TAG.SEQUENCE), TAG.SEQUENCE);
    const algT = parts[0]?.tag === 0xa0 ? parts[2] : parts[1];
    return !!algT && Buffer.compare(raw(tbs, algT), signatureAlgorithmDer(alg)) === 0;
  } catch {
    return false;
  }
}
