/** CA certificates: build the TBSCertificate (RFC 5280 §4.1) and assemble the signed Certificate. */
import { errors, type Violation } from "../errors.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { TAG, childrenOf, derBitString, derBoolean, derOctetString, derSmallInt, derTime, derUnsignedInteger, raw, readRoot, seq, tlv } from "./der.js";
import { EXT, encodeAuthorityInfoAccess, encodeDistributionPoints, encodeExtension as extension, encodeKeyUsage } from "./extensions.js";
import { signatureAlgorithmDer } from "./signature.js";
import { keyIdentifier } from "./spki.js";

/** What a CA certificate is made of; keys and names arrive as DER, time and serial as values. */
export interface CaTbsInput {
  serialNumber: Uint8Array;
  /** Name DER. */
  subject: Uint8Array;
  /** Name DER: the issuer's subject, copied byte for byte. */
  issuer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  /** The subject's SubjectPublicKeyInfo DER. */
  spki: Uint8Array;
  /** The issuer's SubjectPublicKeyInfo DER (the same as `spki` when self-signed). */
  issuerSpki: Uint8Array;
  /** The issuer's key algorithm; picks the signatureAlgorithm. */
  signerAlgorithm: KeyAlgorithm;
  /** null = unlimited. */
  pathLength: number | null;
  selfSigned: boolean;
  caIssuersUrl?: string;
  ocspUrl?: string;
  crlUrls?: string[];
}

/** Checks the inputs RFC 5280 constrains; throws badRequest naming every problem. */
function checkInput(input: CaTbsInput): void {
  const v: Violation[] = [];
  const s = input.serialNumber;
  // RFC 5280 §4.1.2.2: positive, at most 20 octets.
  const firstNonZero = s.findIndex((b) => b !== 0);
  const significant = firstNonZero < 0 ? 0 : s.length - firstNonZero + ((s[firstNonZero] & 0x80) !== 0 ? 1 : 0);
  if (significant === 0 || significant > 20) v.push({ field: "serialNumber", code: "invalid_serial", message: "The serial number must be positive and at most 20 octets (RFC 5280 §4.1.2.2)." });
  if (Number.isNaN(input.notBefore.getTime()) || Number.isNaN(input.notAfter.getTime()) || input.notAfter.getTime() <= input.notBefore.getTime()) {
    v.push({ field: "notAfter", code: "invalid_validity", message: "notAfter must be a valid time after notBefore." });
  }
  if (input.pathLength !== null && !(Number.isInteger(input.pathLength) && input.pathLength >= 0 && input.pathLength <= 255)) {
    v.push({ field: "pathLength", code: "invalid_path_length", message: "pathLength must be null or an integer from 0 to 255.", value: input.pathLength });
  }
  if (input.subject.length <= 2) v.push({ field: "subject", code: "empty_name", message: "A CA's subject must not be empty (RFC 5280 §4.1.2.6)." });
  if (input.issuer.length <= 2) v.push({ field: "issuer", code: "empty_name", message: "The issuer must not be empty (RFC 5280 §4.1.2.4)." });
  if (input.selfSigned && Buffer.compare(input.spki, input.issuerSpki) !== 0) v.push({ field: "issuerSpki", code: "self_signed_key_mismatch", message: "A self-signed certificate's issuer key is its own key." });
  if (v.length) throw errors.badRequest("The CA certificate input is invalid.", v);
}

/** The Extensions of a CA certificate (RFC 5280 §4.2). */
function caExtensions(input: CaTbsInput): Uint8Array {
  const exts: Uint8Array[] = [];
  // RFC 5280 §4.2.1.9: cA TRUE, critical in CA certificates; pathLenConstraint absent means unlimited.
  const bc = input.pathLength === null ? seq(derBoolean(true)) : seq(derBoolean(true), derSmallInt(input.pathLength));
  exts.push(extension(EXT.basicConstraints, true, bc));
  // RFC 5280 §4.2.1.3: keyCertSign and cRLSign (bits 5, 6) plus digitalSignature (bit 0, for OCSP responses), critical.
  exts.push(extension(EXT.keyUsage, true, encodeKeyUsage(["digitalSignature", "keyCertSign", "cRLSign"])));
  // RFC 5280 §4.2.1.2: SKI in every CA certificate, method (1).
  exts.push(extension(EXT.subjectKeyIdentifier, false, derOctetString(keyIdentifier(input.spki))));
  // RFC 5280 §4.2.1.1: AKI in every certificate except self-signed ones, where it MAY be omitted.
  if (!input.selfSigned) exts.push(extension(EXT.authorityKeyIdentifier, false, seq(tlv(0x80, keyIdentifier(input.issuerSpki)))));
  // RFC 5280 §4.2.2.1: AuthorityInfoAccess with id-ad-ocsp and id-ad-caIssuers.
  const aia = encodeAuthorityInfoAccess(input.ocspUrl, input.caIssuersUrl);
  if (aia) exts.push(extension(EXT.authorityInfoAccess, false, aia));
  // RFC 5280 §4.2.1.13: one DistributionPoint with fullName [0] { [0] GeneralNames }.
  if (input.crlUrls?.length) exts.push(extension(EXT.crlDistributionPoints, false, encodeDistributionPoints(input.crlUrls, "crlUrls")));
  return seq(...exts);
}

/** Builds a v3 CA TBSCertificate (RFC 5280 §4.1.2); the caller signs it with the issuer key. */
export function buildCaTbs(input: CaTbsInput): Uint8Array {
  checkInput(input);
  return seq(
    tlv(0xa0, derSmallInt(2)), // RFC 5280 §4.1.2.1: v3 because extensions are present
    derUnsignedInteger(input.serialNumber),
    signatureAlgorithmDer(input.signerAlgorithm),
    input.issuer,
    seq(derTime(input.notBefore), derTime(input.notAfter)), // RFC 5280 §4.1.2.5, seconds precision
    input.subject,
    input.spki,
    tlv(0xa3, caExtensions(input)),
  );
}

/** Assembles the signed Certificate; the outer signatureAlgorithm equals the TBS one (RFC 5280 §4.1.1.2). */
export function assembleCertificate(tbs: Uint8Array, signerAlgorithm: KeyAlgorithm, signature: Uint8Array): Uint8Array {
  const algId = signatureAlgorithmDer(signerAlgorithm);
  let inner: Uint8Array | undefined;
  try {
    inner = raw(tbs, childrenOf(tbs, readRoot(tbs, TAG.SEQUENCE), TAG.SEQUENCE)[2]);
  } catch {
    inner = undefined;
  }
  if (!inner || Buffer.compare(inner, algId) !== 0) throw errors.internal("The TBSCertificate's signature algorithm does not match the signer's.");
  return seq(tbs, algId, derBitString(signature));
}
