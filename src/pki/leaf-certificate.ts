/** End-entity certificates: build the TBSCertificate (RFC 5280 §4.1) of a leaf; assembleCertificate signs it like a CA's. */
import type { Violation } from "../errors.js";
import { errors } from "../errors.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { TAG, content, derNull, derOctetString, derOid, derSmallInt, derString, derTime, derUnsignedInteger, readRoot, seq, tlv } from "./der.js";
import {
  EXT, KEY_USAGE_NAMES, OCSP_OID, encodeAuthorityInfoAccess, encodeDistributionPoints, encodeExtension, encodeKeyUsage,
} from "./extensions.js";
import { signatureAlgorithmDer } from "./signature.js";
import { keyIdentifier, spkiParts } from "./spki.js";
import { parseIp } from "./ip.js";

/** Extended key usage purposes (RFC 5280 §4.2.1.12) as dotted OIDs. */
export const EKU = {
  serverAuth: "1.3.6.1.5.5.7.3.1",
  clientAuth: "1.3.6.1.5.5.7.3.2",
  codeSigning: "1.3.6.1.5.5.7.3.3",
  emailProtection: "1.3.6.1.5.5.7.3.4",
  timeStamping: "1.3.6.1.5.5.7.3.8",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
} as const;

/** id-ce-freshestCRL (RFC 5280 §4.2.1.15); not in EXT because Stamp does not read it. */
const FRESHEST_CRL = "2.5.29.46";

/** Subject alternative names to write, by GeneralName type (RFC 5280 §4.2.1.6). */
export interface SubjectAltNamesInput {
  /** dNSName: ASCII only, internationalized names as punycode A-labels; "*" is allowed as the whole leftmost label. */
  dns?: string[];
  /** iPAddress: IPv4 dotted quad or IPv6 text (RFC 4291 §2.2, "::" compression and a dotted IPv4 tail allowed). */
  ip?: string[];
  /** rfc822Name: an ASCII mailbox local@domain. */
  email?: string[];
  /** uniformResourceIdentifier: an absolute ASCII URI with a scheme (e.g. spiffe://…). */
  uri?: string[];
}

/** What a leaf certificate is made of; keys and names arrive as DER, time and serial as values. */
export interface LeafTbsInput {
  serialNumber: Uint8Array;
  /** Name DER; may be an empty SEQUENCE when SANs identify the subject (RFC 5280 §4.1.2.6). */
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
  sans: SubjectAltNamesInput;
  /** RFC 5280 §4.2.1.3 bit names as decodeKeyUsage returns them, e.g. "digitalSignature"; at least one. */
  keyUsage: string[];
  /** Dotted OIDs (see EKU); empty omits the extension. */
  extendedKeyUsage: string[];
  selfSigned: boolean;
  caIssuersUrl?: string;
  ocspUrl?: string;
  crlUrls?: string[];
  freshestCrlUrls?: string[];
  /** Adds id-pkix-ocsp-nocheck (RFC 6960 §4.2.2.2.1) to a delegated OCSP responder certificate; needs the id-kp-OCSPSigning EKU. */
  ocspNoCheck?: boolean;
}

/** Default key usage for a leaf key: digitalSignature, plus keyEncipherment for RSA keys doing TLS server or S/MIME key transport (RFC 5480 §3 and RFC 8410 §5 forbid it for EC and Ed25519). */
export function defaultKeyUsage(keyAlgorithm: KeyAlgorithm | null, eku: string[]): string[] {
  const rsaTransport = keyAlgorithm?.startsWith("RSA_") && (eku.includes(EKU.serverAuth) || eku.includes(EKU.emailProtection));
  return rsaTransport ? ["digitalSignature", "keyEncipherment"] : ["digitalSignature"];
}

/** Key usages each key type may carry in a leaf: RFC 3279 §2.3.1 (RSA), RFC 5480 §3 (EC), RFC 8410 §5 (Ed25519); keyCertSign is for CAs only. */
const USAGES_BY_KEY_TYPE: Record<string, readonly string[]> = {
  rsa: ["digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment", "cRLSign"],
  ec: ["digitalSignature", "nonRepudiation", "keyAgreement", "encipherOnly", "decipherOnly", "cRLSign"],
  ed25519: ["digitalSignature", "nonRepudiation", "cRLSign"],
};


/** One LDH label (RFC 1034 §3.5 as relaxed by RFC 1123 §2.1). */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
// Anything outside printable ASCII (and so outside IA5String as RFC 5280 §4.2.1.6 uses it).
const NON_ASCII = /[^\x20-\x7e]/;

/** Why a dNSName is unusable (RFC 5280 §4.2.1.6, preferred name syntax; a leading "*" label for wildcards), or null. */
function dnsProblem(name: string, wildcard: boolean): string | null {
  const labels = name.split(".");
  if (name.length === 0 || name.length > 253) return "A DNS name must be 1 to 253 characters.";
  if (wildcard && labels[0] === "*" && labels.length >= 2) labels.shift();
  if (!labels.every((l) => LABEL.test(l))) return "A DNS name is dot-separated labels of letters, digits and inner hyphens (1 to 63 characters, no trailing dot); only \"*\" may stand as the whole leftmost label.";
  return null;
}

/** Checks the SANs and encodes them as GeneralNames (RFC 5280 §4.2.1.6), in the order dns, ip, email, uri; null when there are none. */
function subjectAltNames(sans: SubjectAltNamesInput, v: Violation[]): Uint8Array | null {
  const names: Uint8Array[] = [];
  (sans.dns ?? []).forEach((d, i) => {
    const field = `sans.dns[${i}]`;
    if (NON_ASCII.test(d)) {
      v.push({ field, code: "non_ascii_dns_name", message: "DNS names must be ASCII: write an internationalized name as its punycode A-label (xn--…), RFC 5280 §7.2.", value: d });
      return;
    }
    const problem = dnsProblem(d, true);
    if (problem) v.push({ field, code: "invalid_dns_name", message: problem, value: d });
    else names.push(derString(0x82, d));
  });
  (sans.ip ?? []).forEach((a, i) => {
    const octets = parseIp(a);
    if (!octets) v.push({ field: `sans.ip[${i}]`, code: "invalid_ip_address", message: "Expected an IPv4 dotted quad or an IPv6 address (no zone ID).", value: a });
    else names.push(tlv(0x87, octets));
  });
  (sans.email ?? []).forEach((e, i) => {
    const at = e.lastIndexOf("@");
    const local = e.slice(0, at);
    // rfc822Name is an RFC 5321 Mailbox in IA5String; SmtpUTF8Mailbox (RFC 9598) is not supported.
    if (at < 1 || NON_ASCII.test(e) || !/^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/.test(local) || dnsProblem(e.slice(at + 1), false)) {
      v.push({ field: `sans.email[${i}]`, code: "invalid_email", message: "Expected an ASCII mailbox local@domain (an internationalized domain as its punycode A-label).", value: e });
    } else names.push(derString(0x81, e));
  });
  (sans.uri ?? []).forEach((u, i) => {
    // RFC 5280 §4.2.1.6: an absolute URI (RFC 3986) with a scheme and a scheme-specific part, in IA5String.
    if (u.length > 2000 || !/^[A-Za-z][A-Za-z0-9+.-]*:[!#-;=?-[\]_a-z~]+$/.test(u)) {
      v.push({ field: `sans.uri[${i}]`, code: "invalid_uri", message: "Expected an absolute URI of printable ASCII with a scheme, without spaces.", value: u });
    } else names.push(derString(0x86, u));
  });
  return names.length ? seq(...names) : null;
}

/** True when a Name DER is the empty SEQUENCE (RFC 5280 §4.1.2.6). */
function isEmptyName(name: Uint8Array): boolean {
  return name.length <= 2;
}

/** SPKI algorithm OIDs (RFC 3279 §2.3.1, RFC 5480 §2.1.1, RFC 8410 §3) by Node key type; read from the DER, cheaper than a KeyObject. */
const KEY_TYPE_BY_OID: Record<string, string> = { "1.2.840.113549.1.1.1": "rsa", "1.2.840.10045.2.1": "ec", "1.3.101.112": "ed25519" };

/** The key type of an SPKI, or undefined when it cannot be read or is not one Stamp signs for. */
function keyTypeOf(spki: Uint8Array): string | undefined {
  try {
    return KEY_TYPE_BY_OID[spkiParts(spki).algorithmOid];
  } catch {
    return undefined;
  }
}

/** Checks the key usage names against RFC 5280 §4.2.1.3 and the subject key's type. */
function checkKeyUsage(input: LeafTbsInput, v: Violation[]): void {
  const ku = input.keyUsage;
  if (ku.length === 0) v.push({ field: "keyUsage", code: "empty_key_usage", message: "keyUsage needs at least one bit (RFC 5280 §4.2.1.3); see defaultKeyUsage." });
  const unknown = ku.filter((n) => !(KEY_USAGE_NAMES as readonly string[]).includes(n));
  if (unknown.length) v.push({ field: "keyUsage", code: "unknown_key_usage", message: `Unknown key usage names; expected RFC 5280 §4.2.1.3 names (${KEY_USAGE_NAMES.join(", ")}).`, value: unknown });
  if (new Set(ku).size !== ku.length) v.push({ field: "keyUsage", code: "duplicate_key_usage", message: "keyUsage lists a bit twice.", value: ku });
  // RFC 5280 §4.2.1.3: keyCertSign requires cA TRUE, which a leaf never has.
  if (ku.includes("keyCertSign")) v.push({ field: "keyUsage", code: "key_cert_sign_in_leaf", message: "keyCertSign is only for CA certificates (RFC 5280 §4.2.1.3).", value: ku });
  if ((ku.includes("encipherOnly") || ku.includes("decipherOnly")) && !ku.includes("keyAgreement")) {
    v.push({ field: "keyUsage", code: "encipher_decipher_without_key_agreement", message: "encipherOnly and decipherOnly need keyAgreement (RFC 5280 §4.2.1.3).", value: ku });
  }
  const keyType = keyTypeOf(input.spki);
  const allowed = keyType ? USAGES_BY_KEY_TYPE[keyType] : undefined;
  const wrong = allowed ? ku.filter((n) => (KEY_USAGE_NAMES as readonly string[]).includes(n) && n !== "keyCertSign" && !allowed.includes(n)) : [];
  if (wrong.length) {
    v.push({ field: "keyUsage", code: "key_usage_not_allowed_for_key", message: `A ${keyType} key may not carry ${wrong.join(", ")} (RFC 3279 §2.3.1, RFC 5480 §3, RFC 8410 §5).`, value: wrong });
  }
}

/** Checks the inputs RFC 5280 constrains; throws badRequest naming every problem. Returns the encoded SANs. */
function checkInput(input: LeafTbsInput): Uint8Array | null {
  const v: Violation[] = [];
  // RFC 5280 §4.1.2.2: positive, at most 20 octets as encoded.
  const serial = derUnsignedInteger(input.serialNumber);
  const octets = content(serial, readRoot(serial, TAG.INTEGER));
  if ((octets.length === 1 && octets[0] === 0) || octets.length > 20) v.push({ field: "serialNumber", code: "invalid_serial", message: "The serial number must be positive and at most 20 octets (RFC 5280 §4.1.2.2)." });
  if (Number.isNaN(input.notBefore.getTime()) || Number.isNaN(input.notAfter.getTime()) || input.notAfter.getTime() <= input.notBefore.getTime()) {
    v.push({ field: "notAfter", code: "invalid_validity", message: "notAfter must be a valid time after notBefore." });
  }
  if (isEmptyName(input.issuer)) v.push({ field: "issuer", code: "empty_name", message: "The issuer must not be empty (RFC 5280 §4.1.2.4)." });
  if (input.selfSigned && Buffer.compare(input.spki, input.issuerSpki) !== 0) v.push({ field: "issuerSpki", code: "self_signed_key_mismatch", message: "A self-signed certificate's issuer key is its own key." });
  const sans = subjectAltNames(input.sans, v);
  // RFC 5280 §4.1.2.6: an empty subject needs a subjectAltName.
  if (!sans && isEmptyName(input.subject)) v.push({ field: "sans", code: "empty_subject_without_sans", message: "A certificate with an empty subject must have subject alternative names (RFC 5280 §4.1.2.6)." });
  checkKeyUsage(input, v);
  input.extendedKeyUsage.forEach((oid, i) => {
    if (!/^[0-2]\.(0|[1-9]\d*)(\.(0|[1-9]\d*))+$/.test(oid) || (oid[0] !== "2" && Number(oid.split(".")[1]) > 39) || oid.split(".").some((a) => !Number.isSafeInteger(Number(a)))) {
      v.push({ field: `extendedKeyUsage[${i}]`, code: "invalid_oid", message: "Expected a dotted object identifier such as 1.3.6.1.5.5.7.3.1.", value: oid });
    }
  });
  if (input.ocspNoCheck && !input.extendedKeyUsage.includes(EKU.ocspSigning)) {
    v.push({ field: "ocspNoCheck", code: "ocsp_nocheck_without_ocsp_signing", message: "id-pkix-ocsp-nocheck belongs in delegated OCSP responder certificates, which carry the id-kp-OCSPSigning EKU (RFC 6960 §4.2.2.2, §4.2.2.2.1)." });
  }
  if (new Set(input.extendedKeyUsage).size !== input.extendedKeyUsage.length) v.push({ field: "extendedKeyUsage", code: "duplicate_eku", message: "extendedKeyUsage lists a purpose twice.", value: input.extendedKeyUsage });
  if (v.length) throw errors.badRequest(`The leaf certificate input is invalid: ${v.map((x) => x.message).join(" ")}`, v);
  return sans;
}

/** The Extensions of a leaf certificate (RFC 5280 §4.2). */
function leafExtensions(input: LeafTbsInput, sans: Uint8Array | null): Uint8Array {
  const exts: Uint8Array[] = [];
  // RFC 5280 §4.2.1.9: cA FALSE is the DEFAULT, so DER leaves an empty SEQUENCE; present and critical so no one reads the leaf as a CA.
  exts.push(encodeExtension(EXT.basicConstraints, true, seq()));
  // RFC 5280 §4.2.1.3: SHOULD be critical; bits in RFC order whatever the input order.
  exts.push(encodeExtension(EXT.keyUsage, true, encodeKeyUsage(input.keyUsage)));
  // RFC 5280 §4.2.1.12: non-critical, except the critical timeStamping-only EKU RFC 3161 §2.3 requires of a TSA.
  const eku = input.extendedKeyUsage;
  if (eku.length) exts.push(encodeExtension(EXT.extKeyUsage, eku.length === 1 && eku[0] === EKU.timeStamping, seq(...eku.map((o) => derOid(o)))));
  // RFC 5280 §4.2.1.6: critical when the subject is empty, non-critical otherwise.
  if (sans) exts.push(encodeExtension(EXT.subjectAltName, isEmptyName(input.subject), sans));
  // RFC 5280 §4.2.1.2: SKI SHOULD be in end-entity certificates too, method (1).
  exts.push(encodeExtension(EXT.subjectKeyIdentifier, false, derOctetString(keyIdentifier(input.spki))));
  // RFC 5280 §4.2.1.1: AKI in every certificate except self-signed ones, where it MAY be omitted.
  if (!input.selfSigned) exts.push(encodeExtension(EXT.authorityKeyIdentifier, false, seq(tlv(0x80, keyIdentifier(input.issuerSpki)))));
  // RFC 5280 §4.2.2.1: AuthorityInfoAccess with id-ad-ocsp and id-ad-caIssuers.
  const aia = encodeAuthorityInfoAccess(input.ocspUrl, input.caIssuersUrl);
  if (aia) exts.push(encodeExtension(EXT.authorityInfoAccess, false, aia));
  // RFC 5280 §4.2.1.13 and §4.2.1.15 (which MUST be non-critical): one DistributionPoint each.
  if (input.crlUrls?.length) exts.push(encodeExtension(EXT.crlDistributionPoints, false, encodeDistributionPoints(input.crlUrls, "crlUrls")));
  if (input.freshestCrlUrls?.length) exts.push(encodeExtension(FRESHEST_CRL, false, encodeDistributionPoints(input.freshestCrlUrls, "freshestCrlUrls")));
  // RFC 6960 §4.2.2.2.1: id-pkix-ocsp-nocheck, value NULL, non-critical: clients need not check the responder's own status.
  if (input.ocspNoCheck) exts.push(encodeExtension(OCSP_OID.noCheck, false, derNull()));
  return seq(...exts);
}

/** Builds a v3 end-entity TBSCertificate (RFC 5280 §4.1.2); the caller signs it with the issuer key and calls assembleCertificate. */
export function buildLeafTbs(input: LeafTbsInput): Uint8Array {
  const sans = checkInput(input);
  return seq(
    tlv(0xa0, derSmallInt(2)), // RFC 5280 §4.1.2.1: v3 because extensions are present
    derUnsignedInteger(input.serialNumber),
    signatureAlgorithmDer(input.signerAlgorithm),
    input.issuer,
    seq(derTime(input.notBefore), derTime(input.notAfter)), // RFC 5280 §4.1.2.5, seconds precision
    input.subject,
    input.spki,
    tlv(0xa3, leafExtensions(input, sans)),
  );
}
