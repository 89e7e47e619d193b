/** Certification path checks (a practical subset of RFC 5280 §6.1) and ordering of a bag of certificates. */
import type { Violation } from "../errors.js";
import type { ViolationCode } from "../violations.js";
import { verifySignedBy, type ParsedCertificate } from "./certificate-parse.js";
import { namesEqual } from "./name.js";

/** Field name of a path position: 0 is the certificate itself, n ≥ 1 is certificateChain[n-1]. */
function fieldOf(pathIndex: number): string {
  return pathIndex === 0 ? "certificate" : `certificateChain[${pathIndex - 1}]`;
}

const bytesEqual = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/**
 * Checks `cert` against an issuer-first `chain` (cert's issuer, then its issuer, …, a root) at time
 * `at`, and returns every violation found (empty when the path is valid).
 */
export function verifyChain(cert: ParsedCertificate, chain: ParsedCertificate[], at: Date): Violation[] {
  const path = [cert, ...chain];
  const out: Violation[] = [];
  const add = (i: number, code: ViolationCode, message: string, value?: unknown) => out.push({ field: fieldOf(i), code, message, value });

  path.forEach((c, i) => {
    // RFC 5280 §6.1.3 (a)(2): the validity period must include the checking time.
    if (at.getTime() > c.notAfter.getTime()) add(i, "expired", `The certificate "${c.subjectText}" expired at ${c.notAfter.toISOString()}.`, c.notAfter.toISOString());
    else if (at.getTime() < c.notBefore.getTime()) add(i, "not_yet_valid", `The certificate "${c.subjectText}" is not valid before ${c.notBefore.toISOString()}.`, c.notBefore.toISOString());
  });

  for (let i = 0; i + 1 < path.length; i++) {
    const child = path[i];
    const issuer = path[i + 1];
    // RFC 5280 §6.1.3 (a)(4): the issuer name must be the next certificate's subject.
    const namesChain = namesEqual(child.issuer, issuer.subject);
    if (!namesChain) {
      add(i + 1, "issuer_mismatch", `"${issuer.subjectText}" is not the issuer of "${child.subjectText}" (issuer is "${child.issuerText}").`, issuer.subjectText);
    }
    // RFC 5280 §6.1.3 (a)(1): the signature must verify with the issuer's key.
    if (!verifySignedBy(child, issuer.spki)) {
      add(i, "signature_invalid", `The signature of "${child.subjectText}" does not verify with the key of "${issuer.subjectText}".`);
    }
    // RFC 5280 §4.2.1.1: when both identifiers are present they must agree (not repeated when names already differ).
    if (namesChain && child.aki && issuer.ski && !bytesEqual(child.aki, issuer.ski)) {
      add(i, "key_identifier_mismatch", `The authority key identifier of "${child.subjectText}" does not match the subject key identifier of "${issuer.subjectText}".`);
    }
    // RFC 5280 §6.1.4 (k): an issuer must be a CA (basicConstraints cA TRUE).
    if (!issuer.isCa) add(i + 1, "not_a_ca", `"${issuer.subjectText}" is not a CA certificate (basicConstraints cA is not TRUE).`);
    // RFC 5280 §6.1.4 (n): if keyUsage is present, keyCertSign must be set.
    if (issuer.keyUsagePresent && !issuer.keyUsage.includes("keyCertSign")) {
      add(i + 1, "missing_key_cert_sign", `"${issuer.subjectText}" may not sign certificates (keyUsage lacks keyCertSign).`, issuer.keyUsage);
    }
    // RFC 5280 §6.1.4 (l)-(m): pathLenConstraint bounds the non-self-issued intermediates below the CA
    // (path[1 .. i], the target certificate at path[0] is not counted).
    if (issuer.isCa && issuer.pathLength !== null) {
      const below = path.slice(1, i + 1).filter((c) => !c.selfIssued).length;
      if (below > issuer.pathLength) {
        add(i + 1, "path_length_exceeded", `"${issuer.subjectText}" allows ${issuer.pathLength} intermediate CA(s) below it, the path has ${below}.`, issuer.pathLength);
      }
    }
    // RFC 5280 §4.2: a critical extension we cannot process makes the certificate unusable.
    if (issuer.unknownCriticalExtensions.length) {
      add(i + 1, "unsupported_critical_extension", `"${issuer.subjectText}" has critical extensions Stamp does not process.`, issuer.unknownCriticalExtensions);
    }
  }

  // The path must end in a trust anchor: a self-signed certificate whose signature verifies with its own key.
  const last = path.length - 1;
  const anchor = path[last];
  if (!anchor.selfIssued) {
    add(last, "not_self_signed", `The chain does not end in a self-signed root: "${anchor.subjectText}" was issued by "${anchor.issuerText}".`);
  } else if (!verifySignedBy(anchor, anchor.spki)) {
    add(last, "signature_invalid", `The self-signature of the root "${anchor.subjectText}" does not verify.`);
  }
  // With a chain, a non-CA anchor was already reported as an issuer above.
  if (last === 0 && !anchor.isCa) add(0, "not_a_ca", `"${anchor.subjectText}" is not a CA certificate, so it cannot be a root.`);
  return out;
}

/** True when `issuer` plausibly issued `child`: names chain, key identifiers agree, and the signature verifies. */
function issued(issuer: ParsedCertificate, child: ParsedCertificate): boolean {
  if (!namesEqual(child.issuer, issuer.subject)) return false;
  if (child.aki && issuer.ski && !bytesEqual(child.aki, issuer.ski)) return false;
  return verifySignedBy(child, issuer.spki);
}

/**
 * Orders a bag of certificates issuer-first above `leaf` (leaf's issuer, its issuer, …) following
 * names, key identifiers and signatures; stops at a self-signed certificate or when no issuer is
 * found. Certificates that are not on the path (and the leaf itself) are left out.
 */
export function orderChain(certs: ParsedCertificate[], leaf: ParsedCertificate): ParsedCertificate[] {
  const pool = certs.filter((c) => !bytesEqual(c.der, leaf.der));
  const out: ParsedCertificate[] = [];
  let current = leaf;
  while (!(current.selfIssued && verifySignedBy(current, current.spki))) {
    const next = pool.find((c) => issued(c, current));
    if (!next) break;
    out.push(next);
    pool.splice(pool.indexOf(next), 1);
    current = next;
  }
  return out;
}
