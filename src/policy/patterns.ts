/**
 * Template patterns, compiled once into matchers. One rule per kind:
 * - dns: exact name, "*" (anything), or "*.suffix" where the "*" stands for exactly ONE label
 *   (RFC 6125 §6.4.3; CA/B BR §1.6.1 "Wildcard Domain Name"). Names compare as lower-case
 *   A-labels with one trailing dot ignored. A requested wildcard "*.a.com" matches the pattern
 *   "*.a.com" but no exact pattern.
 * - ip: exact address or CIDR ("10.0.0.0/8", "fd00::/8"); IPv4 and IPv6 never match each other,
 *   so "::ffff:10.0.0.1" is not inside 10.0.0.0/8 (RFC 4291 §2.5.5.2 addresses are IPv6 here).
 * - email: local@domain; the local part is a case-sensitive glob ("svc-*"), the domain a dns pattern.
 * - uri: case-sensitive glob, "*" any run of characters ("spiffe://acme.com/*").
 * - subject: case-sensitive glob; country compares upper-cased; common_name uses the dns rule
 *   when both the pattern and the value look like hostnames.
 * Globs have no escape: "*" is always a wildcard. Matching is linear-time (no regular expressions).
 */
import { isUri, looksLikeHostname, normaliseDns, normaliseEmail, parseIp } from "./san-syntax.js";

export { normaliseDns } from "./san-syntax.js";

/** The kinds of value a pattern can constrain. */
export type PatternKind = "dns" | "ip" | "email" | "uri" | "subject" | "country" | "common_name";

/** A compiled pattern. `literal` is true when the pattern names one value (no "*", no CIDR range). */
export interface Matcher {
  readonly kind: PatternKind;
  readonly source: string;
  readonly literal: boolean;
  readonly test: (value: string) => boolean;
}

const MAX_PATTERN = 253;
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** "*" matches any run of characters (including none); everything else matches itself. Greedy with backtracking to the last star: O(n·m). */
export function globMatch(pattern: string, value: string): boolean {
  let p = 0;
  let v = 0;
  let star = -1;
  let mark = 0;
  while (v < value.length) {
    if (p < pattern.length && pattern[p] === "*") {
      star = p++;
      mark = v;
    } else if (p < pattern.length && pattern[p] === value[v]) {
      p++;
      v++;
    } else if (star >= 0) {
      p = star + 1;
      v = ++mark;
    } else return false;
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/** "*": any valid value of the kind (an invalid value matches no pattern, not even "*"). */
const ANY = (kind: PatternKind): Matcher => {
  const valid: Partial<Record<PatternKind, (v: string) => boolean>> = {
    dns: (v) => normaliseDns(v) !== null, ip: (v) => parseIp(v) !== null, email: (v) => normaliseEmail(v) !== null, uri: isUri,
  };
  return { kind, source: "*", literal: false, test: valid[kind] ?? ((v) => typeof v === "string") };
};

function compileDns(p: string): Matcher | { error: string } {
  if (p === "*") return ANY("dns");
  const body = p.startsWith("*.") ? p.slice(2) : p;
  if (body.includes("*")) return { error: "\"*\" may only stand as the whole leftmost label (\"*.acme.com\") or alone (\"*\"); partial-label wildcards like \"a*.acme.com\" are not supported (RFC 6125 §7.2)." };
  const suffix = normaliseDns(body);
  if (suffix === null) return { error: "Not a DNS name pattern: expected letters, digits, hyphens and dots, optionally starting with \"*.\"." };
  if (body !== p) {
    const labels = suffix.split(".").length + 1;
    return {
      kind: "dns", source: p, literal: false,
      test: (value) => {
        const n = normaliseDns(value);
        return n !== null && n.endsWith(`.${suffix}`) && n.split(".").length === labels;
      },
    };
  }
  return { kind: "dns", source: p, literal: true, test: (value) => normaliseDns(value) === suffix };
}

function compileIp(p: string): Matcher | { error: string } {
  if (p === "*") return ANY("ip");
  const slash = p.indexOf("/");
  const net = parseIp(slash < 0 ? p : p.slice(0, slash));
  if (!net) return { error: "Not an IP address or CIDR range: expected e.g. \"10.0.0.1\", \"10.0.0.0/8\" or \"fd00::/8\"." };
  const bits = net.length * 8;
  let prefix = bits;
  if (slash >= 0) {
    const len = p.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(len) || Number(len) > bits) return { error: `The prefix length must be a whole number from 0 to ${bits}.` };
    prefix = Number(len);
    // RFC 4632 §3.1: a prefix's host bits are zero; "10.0.0.1/8" is more likely a mistake than a range.
    for (let i = prefix; i < bits; i++) {
      if (net[i >> 3] & (0x80 >> (i & 7))) return { error: "The address has bits set beyond the prefix length; write the network address (e.g. \"10.0.0.0/8\")." };
    }
  }
  return {
    kind: "ip", source: p, literal: slash < 0,
    test: (value) => {
      const a = parseIp(value);
      if (!a || a.length !== net.length) return false;
      for (let i = 0; i < prefix; i++) if ((a[i >> 3] ^ net[i >> 3]) & (0x80 >> (i & 7))) return false;
      return true;
    },
  };
}

function compileEmail(p: string): Matcher | { error: string } {
  if (p === "*") return ANY("email");
  const at = p.indexOf("@");
  if (at < 1 || at !== p.lastIndexOf("@")) return { error: "An email pattern is local@domain with one \"@\" (e.g. \"*@acme.com\", \"svc-*@acme.com\")." };
  const local = p.slice(0, at);
  if (!/^[\x21-\x7e]+$/.test(local)) return { error: "The local part of an email pattern must be printable ASCII without spaces." };
  const domain = compileDns(p.slice(at + 1));
  if ("error" in domain) return { error: `The domain of the email pattern is invalid: ${domain.error}` };
  return {
    kind: "email", source: p, literal: !local.includes("*") && domain.literal,
    test: (value) => {
      const n = normaliseEmail(value);
      if (n === null) return false;
      const cut = n.lastIndexOf("@");
      return globMatch(local, n.slice(0, cut)) && domain.test(n.slice(cut + 1));
    },
  };
}

function compileUri(p: string): Matcher | { error: string } {
  if (p === "*") return ANY("uri");
  if (!/^[\x21-\x7e]+$/.test(p)) return { error: "A URI pattern must be printable ASCII without spaces." };
  if (!p.includes("*") && !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(p)) return { error: "A URI pattern without \"*\" must be an absolute URI with a scheme (e.g. \"spiffe://acme.com/web\")." };
  return { kind: "uri", source: p, literal: !p.includes("*"), test: (value) => isUri(value) && globMatch(p, value) };
}

function compileSubject(kind: "subject" | "country" | "common_name", p: string): Matcher | { error: string } {
  if (p === "*") return ANY(kind);
  const literal = !p.includes("*");
  if (kind === "country") {
    const up = p.toUpperCase();
    return { kind, source: p, literal, test: (value) => typeof value === "string" && globMatch(up, value.toUpperCase()) };
  }
  const dns = kind === "common_name" && looksLikeHostname(p) ? compileDns(p) : null;
  if (dns && !("error" in dns)) {
    return { kind, source: p, literal, test: (value) => (typeof value === "string" && looksLikeHostname(value) ? dns.test(value) : globMatch(p, value)) };
  }
  return { kind, source: p, literal, test: (value) => typeof value === "string" && globMatch(p, value) };
}

/** Compiles one pattern of a kind; an error message when the pattern is invalid (empty, over 253 characters, control characters, bad syntax). */
export function compilePattern(kind: PatternKind, pattern: unknown): Matcher | { error: string } {
  if (typeof pattern !== "string") return { error: "A pattern must be a string." };
  if (pattern.length === 0) return { error: "A pattern must not be empty; use \"*\" for any value." };
  if (pattern.length > MAX_PATTERN) return { error: `A pattern may be at most ${MAX_PATTERN} characters.` };
  if (CONTROL.test(pattern)) return { error: "A pattern must not contain control characters." };
  switch (kind) {
    case "dns": return compileDns(pattern);
    case "ip": return compileIp(pattern);
    case "email": return compileEmail(pattern);
    case "uri": return compileUri(pattern);
    default: return compileSubject(kind, pattern);
  }
}

/** One-shot match of a value against a pattern of a kind; false when the pattern is invalid. */
function once(kind: PatternKind, pattern: string, value: string): boolean {
  const m = compilePattern(kind, pattern);
  return !("error" in m) && m.test(value);
}

/** True when a DNS name matches a dns pattern (exact, "*", or one-label "*.suffix"). */
export function matchDns(pattern: string, value: string): boolean {
  return once("dns", pattern, value);
}
/** True when an IP address equals the pattern address or lies inside its CIDR range (same family only). */
export function matchIp(pattern: string, value: string): boolean {
  return once("ip", pattern, value);
}
/** True when an email address matches an email pattern (glob local part, dns-pattern domain). */
export function matchEmail(pattern: string, value: string): boolean {
  return once("email", pattern, value);
}
/** True when a URI matches a URI glob. */
export function matchUri(pattern: string, value: string): boolean {
  return once("uri", pattern, value);
}
/** True when a subject attribute value matches a pattern; `attribute` selects the country and common-name rules. */
export function matchSubject(pattern: string, value: string, attribute: "common_name" | "country" | "other" = "other"): boolean {
  return once(attribute === "other" ? "subject" : attribute, pattern, value);
}
