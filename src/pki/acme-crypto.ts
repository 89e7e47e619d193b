/**
 * ACME challenge and renewal-information values (RFC 8555 §8, RFC 8737, RFC 9773): key
 * authorizations, the dns-01 TXT value, the tls-alpn-01 certificate check and ARI CertIDs.
 * Pure: no IO; the VA fetches, this module decides.
 */
import { createHash } from "node:crypto";
import { TAG, children, childrenOf, content, readRoot } from "./der.js";
import { parseIp } from "./ip.js";
import { EXT, readExtensions } from "./extensions.js";
import { base64url, fromBase64url, jwkThumbprint } from "./acme-jws.js";

/** base64url without padding (RFC 7515 §2); defined in acme-jws.ts. */
export { base64url, fromBase64url };

/** The id-pe-acmeIdentifier extension OID (RFC 8737 §6.1). */
export const ACME_IDENTIFIER_OID = "1.3.6.1.5.5.7.1.31";

/** Largest certificate tlsAlpn01Check reads. */
const MAX_ALPN_CERT_BYTES = 64 * 1024;

const sha256 = (s: string) => new Uint8Array(createHash("sha256").update(s, "utf8").digest());

/** RFC 8555 §8.1: token "." base64url(JWK thumbprint of the account key). */
export function keyAuthorization(token: string, accountJwk: Record<string, unknown>): string {
  return `${token}.${jwkThumbprint(accountJwk)}`;
}

/** RFC 8555 §8.4: the _acme-challenge TXT value, base64url(SHA-256(key authorization)). */
export function dns01Value(keyAuthorization: string): string {
  return base64url(sha256(keyAuthorization));
}

/**
 * RFC 8737 §3 (and RFC 8738 §6 for IP identifiers): null when the tls-alpn-01 certificate is
 * acceptable, otherwise a short reason. It needs exactly one subjectAltName, equal to the
 * identifier, and a critical acmeIdentifier extension holding SHA-256(key authorization).
 */
export function tlsAlpn01Check(certDer: Uint8Array, identifier: { type: "dns" | "ip"; value: string }, keyAuthorization: string): string | null {
  if (certDer.length > MAX_ALPN_CERT_BYTES) return "the certificate is too large";
  let exts;
  try {
    const [tbsT] = childrenOf(certDer, readRoot(certDer, TAG.SEQUENCE), TAG.SEQUENCE);
    const tbsParts = childrenOf(certDer, tbsT, TAG.SEQUENCE);
    const wrapper = tbsParts.find((t) => t.tag === 0xa3);
    const [list] = wrapper ? childrenOf(certDer, wrapper, 0xa3) : [];
    exts = list ? readExtensions(certDer, list) : new Map();
  } catch (e) {
    return `the certificate could not be parsed: ${(e as Error).message}`;
  }
  const acmeId = exts.get(ACME_IDENTIFIER_OID);
  if (!acmeId) return "the certificate has no acmeIdentifier extension (RFC 8737 §3)";
  if (!acmeId.critical) return "the acmeIdentifier extension is not critical (RFC 8737 §3)";
  let digest: Uint8Array;
  try {
    // RFC 8737 §3: Authorization ::= OCTET STRING (SIZE (32)).
    digest = content(acmeId.value, readRoot(acmeId.value, TAG.OCTET_STRING));
  } catch {
    return "the acmeIdentifier extension is not an OCTET STRING";
  }
  if (digest.length !== 32) return "the acmeIdentifier extension is not 32 bytes";
  if (Buffer.compare(digest, sha256(keyAuthorization)) !== 0) return "the acmeIdentifier extension does not match the key authorization";
  const san = exts.get(EXT.subjectAltName);
  if (!san) return "the certificate has no subjectAltName extension";
  let names;
  try {
    names = children(san.value, readRoot(san.value, TAG.SEQUENCE));
  } catch {
    return "the subjectAltName extension could not be parsed";
  }
  if (names.length !== 1) return `the certificate must name exactly one subjectAltName, found ${names.length}`;
  const [name] = names;
  const value = content(san.value, name);
  if (identifier.type === "dns") {
    if (name.tag !== 0x82) return "the subjectAltName is not a dNSName";
    // DNS names compare case-insensitively (RFC 4343); only ASCII letters fold.
    const text = Buffer.from(value).toString("latin1");
    if (text.toLowerCase() !== identifier.value.toLowerCase() || /[^\x21-\x7e]/.test(text)) return "the subjectAltName does not match the identifier";
    return null;
  }
  if (name.tag !== 0x87) return "the subjectAltName is not an iPAddress";
  const want = parseIp(identifier.value);
  if (!want || Buffer.compare(value, want) !== 0) return "the subjectAltName does not match the identifier";
  return null;
}

/** RFC 9773 §4.1: base64url(AKI keyIdentifier) "." base64url(serial DER content octets, with any leading 0x00). */
export function ariCertId(akiKeyIdentifier: Uint8Array, serialContent: Uint8Array): string {
  return `${base64url(akiKeyIdentifier)}.${base64url(serialContent)}`;
}

/** Splits an RFC 9773 §4.1 CertID; null unless both parts are strict base64url and the serial is a minimal positive INTEGER. */
export function parseAriCertId(id: string): { aki: Uint8Array; serial: Uint8Array } | null {
  if (typeof id !== "string" || id.length > 512) return null;
  const parts = id.split(".");
  if (parts.length !== 2) return null;
  const aki = fromBase64url(parts[0]);
  const serial = fromBase64url(parts[1]);
  if (!aki || !serial || aki.length === 0 || serial.length === 0) return null;
  // X.690 §8.3.2: minimal two's complement; RFC 5280 §4.1.2.2: serials are positive.
  if (serial[0] & 0x80) return null;
  if (serial.length > 1 && serial[0] === 0 && (serial[1] & 0x80) === 0) return null;
  return { aki, serial };
}
