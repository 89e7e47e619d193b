/**
 * Syntax and canonical forms of the names a certificate can carry (RFC 5280 §4.2.1.6): DNS
 * names, IP addresses, email addresses and URIs. The rules mirror src/pki/leaf-certificate.ts,
 * so a name accepted here is one the certificate builder accepts.
 */
import { domainToASCII } from "node:url";

/** The SAN types of templates and the API. */
export const SAN_TYPES = ["dns_name", "ip_address", "email", "uri"] as const;
/** One SAN type. */
export type SanType = (typeof SAN_TYPES)[number];

/** IPv4 dotted quad without leading zeros (some parsers read them as octal), as 4 octets; null when invalid. */
function ipv4Octets(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return Uint8Array.from(parts.map(Number));
}

/** IPv6 text (RFC 4291 §2.2: full, "::"-compressed, or with a dotted IPv4 tail) as 16 octets; null when invalid (zone IDs included). */
function ipv6Octets(text: string): Uint8Array | null {
  let s = text;
  if (s.includes(".")) {
    const cut = s.lastIndexOf(":");
    const v4 = cut < 0 ? null : ipv4Octets(s.slice(cut + 1));
    if (!v4) return null;
    const hex = (i: number) => ((v4[i] << 8) | v4[i + 1]).toString(16);
    s = `${s.slice(0, cut + 1)}${hex(0)}:${hex(2)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const groups = halves.map((h) => (h === "" ? [] : h.split(":")));
  if (!groups.every((g) => g.every((x) => /^[0-9A-Fa-f]{1,4}$/.test(x)))) return null;
  const count = groups[0].length + (groups[1]?.length ?? 0);
  if (halves.length === 1 ? count !== 8 : count > 7) return null;
  const all = halves.length === 1 ? groups[0] : [...groups[0], ...Array<string>(8 - count).fill("0"), ...groups[1]];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

/** An IP address as octets (4 for IPv4, 16 for IPv6, RFC 5280 §4.2.1.6); null when the text is neither. IPv4-mapped IPv6 stays 16 octets. */
export function parseIp(s: string): Uint8Array | null {
  if (typeof s !== "string" || s.length > 45) return null;
  return s.includes(":") ? ipv6Octets(s) : ipv4Octets(s);
}

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
