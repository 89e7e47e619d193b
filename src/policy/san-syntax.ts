/**
 * Syntax and canonical forms of the names a certificate can carry (RFC 5280 §4.2.1.6): DNS
 * names, IP addresses, email addresses and URIs. The rules mirror src/pki/leaf-certificate.ts,
 * so a name accepted here is one the certificate builder accepts.
 */
import { domainToASCII } from "node:url";
import { parseIp } from "../pki/ip.js";

/** The SAN types of templates and the API. */
export const SAN_TYPES = ["dns_name", "ip_address", "email", "uri"] as const;
/** One SAN type. */
export type SanType = (typeof SAN_TYPES)[number];



export { parseIp };

/** One LDH label (RFC 1034 §3.5 as relaxed by RFC 1123 §2.1). */
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** ASCII characters a DNS name may be written with before IDNA conversion; anything else ("%", ",", ":") is refused rather than mapped. */
const ASCII_OK = /^[\x00-\x7f]*$/;
const ASCII_DNS_CHARS = /^[A-Za-z0-9.*-]*$/;

/**
 * The canonical form of a DNS name, or null when it is not one: one trailing dot dropped,
 * U-labels converted to A-labels (RFC 5890 §2.3.2.1, via WHATWG/UTS #46 `domainToASCII`),
 * lower case, LDH labels of 1–63 characters, at most 253 characters, a leading "*" label allowed.
 * A last label of only digits is refused: it would read as an IPv4 address (RFC 1123 §2.1).
 */
export function normaliseDns(value: string): string | null {
  if (typeof value !== "string" || value.length === 0 || value.length > 1024) return null;
  let s = value.endsWith(".") && !value.endsWith("..") ? value.slice(0, -1) : value;
  if (!ASCII_OK.test(s)) {
    // Only the ASCII characters of a DNS name may sit beside the U-labels: no "%" escapes or
    // separators for the URL host parser to decode into something else.
    if (!ASCII_DNS_CHARS.test(s.replace(/[^\x00-\x7f]/g, ""))) return null;
    s = domainToASCII(s);
    if (s === "") return null;
  }
  s = s.toLowerCase();
  if (s.length === 0 || s.length > 253) return null;
  const labels = s.split(".");
  if (labels[0] === "*" && labels.length >= 2) labels.shift();
  if (!labels.every((l) => LABEL.test(l))) return null;
  if (/^\d+$/.test(labels[labels.length - 1])) return null;
  return s;
}

/** True when a value is a DNS name (wildcard allowed) with at least two labels: how "looks like a hostname" is decided for common names. */
export function looksLikeHostname(value: string): boolean {
  const n = normaliseDns(value);
  return n !== null && n.includes(".");
}

// RFC 5321 §4.1.2 Dot-string local part in ASCII (rfc822Name is IA5String; SmtpUTF8Mailbox, RFC 9598, is not supported).
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

/** An email address with its domain in canonical DNS form (local part kept as written: it is case-sensitive, RFC 5321 §2.4); null when invalid. */
export function normaliseEmail(value: string): string | null {
  if (typeof value !== "string" || value.length > 320) return null;
  const at = value.lastIndexOf("@");
  const local = value.slice(0, at);
  if (at < 1 || local.length > 64 || !LOCAL_PART.test(local)) return null;
  const domain = normaliseDns(value.slice(at + 1));
  if (domain === null || domain.startsWith("*")) return null;
  return `${local}@${domain}`;
}

// RFC 5280 §4.2.1.6 / RFC 3986 §4.3: an absolute URI with a scheme, printable ASCII, no spaces (the pki builder's rule).
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[!#-;=?-[\]_a-z~]+$/;

/** True when a value is an absolute URI the certificate builder accepts. */
export function isUri(value: string): boolean {
  return typeof value === "string" && value.length <= 2000 && URI.test(value);
}

/** The canonical value of a SAN of a type (DNS and email domains as lower-case A-labels), or a message saying why it is invalid. */
export function normaliseSan(type: SanType, value: unknown): { value: string } | { error: string } {
  if (typeof value !== "string") return { error: "Must be a string." };
  switch (type) {
    case "dns_name": {
      const n = normaliseDns(value);
      return n !== null ? { value: n } : { error: "Not a DNS name: dot-separated labels of letters, digits and inner hyphens (at most 63 characters each, 253 in all); only \"*\" may stand as the whole leftmost label (RFC 5280 §4.2.1.6)." };
    }
    case "ip_address":
      return parseIp(value) ? { value } : { error: "Not an IP address: expected an IPv4 dotted quad (no leading zeros) or IPv6 text without a zone ID." };
    case "email": {
      const n = normaliseEmail(value);
      return n !== null ? { value: n } : { error: "Not an email address: expected an ASCII mailbox local@domain (RFC 5280 §4.2.1.6)." };
    }
    case "uri":
      return isUri(value) ? { value } : { error: "Not a URI: expected an absolute URI of printable ASCII with a scheme, such as spiffe://acme.com/web (RFC 5280 §4.2.1.6)." };
  }
}

/** The key two SAN values of one type share when they name the same thing (IP text compared as octets). */
export function sanKey(type: SanType, canonical: string): string {
  if (type === "ip_address") return Buffer.from(parseIp(canonical) ?? []).toString("hex");
  return canonical;
}
