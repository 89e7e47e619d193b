/** What a CSR may ask of a leaf certificate: requests Stamp refuses rather than silently drops (docs/csr.md). */
import type { Violation } from "../errors.js";
import type { CsrFacts } from "./issuance-types.js";

/** keyUsage bits only a CA certificate may carry (RFC 5280 §4.2.1.3, CA/B BR §7.1.2.7.11). */
export const CA_KEY_USAGE_BITS: readonly string[] = ["keyCertSign", "cRLSign"];

/**
 * Every way a CSR asks for more than a leaf certificate can be: more than one common name, a CA
 * (basicConstraints cA TRUE), CA key usages, or a critical extension Stamp does not know. These
 * are refused even when the request's attributes would override them, so nothing the requester
 * asked for is dropped without a word.
 */
export function csrRequestViolations(csr: CsrFacts): Violation[] {
  const v: Violation[] = [];
  const cns = csr.commonNames ?? [];
  // RFC 5280 §4.1.2.6 allows several CNs, but CA/B BR §7.1.4.3 and every TLS client read one: refuse rather than drop the rest.
  if (cns.length > 1) v.push({ field: "csr.subject", code: "multiple_common_names", message: `The CSR's subject has ${cns.length} common names; a certificate carries one. Put the other names in subjectAltName.`, value: cns });
  // RFC 5280 §4.2.1.9: cA TRUE makes a CA certificate; this path issues leaves only.
  if (csr.requestedBasicConstraints?.ca) v.push({ field: "csr.basicConstraints", code: "ca_requested", message: "The CSR asks for a CA certificate (basicConstraints cA TRUE); this profile issues leaf certificates only. Create an intermediate CA to get a CA certificate." });
  const caBits = (csr.requestedKeyUsage ?? []).filter((b) => CA_KEY_USAGE_BITS.includes(b));
  if (caBits.length) v.push({ field: "csr.keyUsage", code: "ca_key_usage_requested", message: `The CSR asks for key usage ${caBits.join(" and ")}, which only CA certificates may have (RFC 5280 §4.2.1.3).`, value: caBits });
  // RFC 5280 §4.2: a critical extension must be understood; Stamp will not issue without it, nor drop it.
  for (const oid of csr.unknownCriticalExtensions ?? []) {
    v.push({ field: "csr.extensions", code: "unknown_critical_extension", message: `The CSR asks for the critical extension ${oid}, which Stamp does not issue. Remove it, or mark it non-critical to have it ignored.`, value: oid });
  }
  return v;
}
