import { isIP } from "node:net";
import { ipv6Octets } from "../../pki/ip.js";
import type { Identifier, VaProblem } from "./types.js";

// A DNS name as ACME accepts it (RFC 8555 §7.1.4 and §9.7.7): LDH labels of 1–63 characters,
// at most 253 in all; underscores tolerated for lab names. A wildcard prefix only for dns-01 (§7.1.3).
const LABEL = "[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?";
const NAME = new RegExp(`^(?=.{1,253}$)${LABEL}(?:\\.${LABEL})*$`, "i");

/** Checks an identifier for a challenge; returns the name or address to contact, or a malformed problem. */
export function checkIdentifier(id: Identifier, allowWildcard: boolean): { host: string } | { problem: VaProblem } {
  const v = typeof id?.value === "string" ? id.value : "";
  if (id?.type === "ip") {
    // RFC 8738 §3: the value is the textual address; zones (fe80::1%eth0) are not addresses.
    return isIP(v) && !v.includes("%") ? { host: v.toLowerCase() } : { problem: { type: "malformed", detail: `${JSON.stringify(v.slice(0, 64))} is not an IP address.` } };
  }
  if (id?.type !== "dns") return { problem: { type: "malformed", detail: "The identifier type must be dns or ip." } };
  let name = v.endsWith(".") ? v.slice(0, -1) : v;
  if (name.startsWith("*.")) {
    if (!allowWildcard) return { problem: { type: "malformed", detail: "Wildcard identifiers can only be validated with dns-01 (RFC 8555 §7.1.3)." } };
    name = name.slice(2);
  }
  if (isIP(name)) return { problem: { type: "malformed", detail: "An IP address must use the ip identifier type (RFC 8738 §3)." } };
  if (!NAME.test(name)) return { problem: { type: "malformed", detail: `${JSON.stringify(v.slice(0, 64))} is not a valid DNS name.` } };
  return { host: name.toLowerCase() };
}

/** The reverse-DNS name of an address, used as the tls-alpn-01 SNI for IP identifiers (RFC 8738 §6). */
export function reverseDnsName(addr: string): string {
  if (isIP(addr) === 4) return `${addr.split(".").reverse().join(".")}.in-addr.arpa`;
  const b = ipv6Octets(addr);
  if (!b) throw new Error("not an IP address");
  const nibbles = Array.from(b).flatMap((x) => [(x >> 4).toString(16), (x & 0xf).toString(16)]);
  return `${nibbles.reverse().join(".")}.ip6.arpa`;
}

/** A host as written in a URL authority: IPv6 literals in brackets (RFC 3986 §3.2.2). */
export function urlHost(host: string): string {
  return isIP(host) === 6 ? `[${host}]` : host;
}
