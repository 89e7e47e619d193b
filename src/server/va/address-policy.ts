import { isIP } from "node:net";
import { ipv6Octets, parseIp } from "../../pki/ip.js";

// The classifier behind the egress policy (egress.ts): which addresses and host names Stamp never
// contacts unless the operator allow-lists them. Address ranges come from the IANA special-purpose
// registries (RFC 6890 and updates); pure functions, no IO.

/** Why an address is refused: its kind ("private", "link-local", …) and the RFC that defines it. */
export type AddressClass = { kind: string; ref: string };

type Range = { prefix: number[]; bits: number; cls: AddressClass };

const range = (bytes: ArrayLike<number>, bits: number, kind: string, ref: string): Range => ({ prefix: Array.from(bytes), bits, cls: { kind, ref } });
const v4 = (a: string, bits: number, kind: string, ref: string) => range(a.split(".").map(Number), bits, kind, ref);
const v6 = (a: string, bits: number, kind: string, ref: string) => range(ipv6Octets(a) ?? [], bits, kind, ref);

// Most specific first where ranges nest (255.255.255.255 inside 240/4), so the reason is exact.
const V4_RANGES: Range[] = [
  v4("255.255.255.255", 32, "broadcast", "RFC 919"),
  v4("0.0.0.0", 8, "unspecified", "RFC 1122"),
  v4("10.0.0.0", 8, "private", "RFC 1918"),
  v4("100.64.0.0", 10, "shared (carrier-grade NAT)", "RFC 6598"),
  v4("127.0.0.0", 8, "loopback", "RFC 1122"),
  v4("169.254.0.0", 16, "link-local", "RFC 3927; cloud metadata services live at 169.254.169.254"),
  v4("172.16.0.0", 12, "private", "RFC 1918"),
  v4("192.0.0.0", 24, "IETF protocol assignment", "RFC 6890"),
  v4("192.0.2.0", 24, "documentation", "RFC 5737"),
  v4("192.88.99.0", 24, "6to4 relay anycast", "RFC 7526"),
  v4("192.168.0.0", 16, "private", "RFC 1918"),
  v4("198.18.0.0", 15, "benchmarking", "RFC 2544"),
  v4("198.51.100.0", 24, "documentation", "RFC 5737"),
  v4("203.0.113.0", 24, "documentation", "RFC 5737"),
  v4("224.0.0.0", 4, "multicast", "RFC 5771"),
  v4("240.0.0.0", 4, "reserved", "RFC 1112"),
];

const V6_RANGES: Range[] = [
  v6("::", 128, "unspecified", "RFC 4291"),
  v6("::1", 128, "loopback", "RFC 4291"),
  v6("::", 96, "IPv4-compatible", "RFC 4291, deprecated"),
  v6("64:ff9b:1::", 48, "local-use NAT64", "RFC 8215"),
  v6("100::", 64, "discard-only", "RFC 6666"),
  v6("2001:db8::", 32, "documentation", "RFC 3849"),
  v6("2001::", 23, "IETF protocol assignment (incl. Teredo)", "RFC 2928, RFC 4380"),
  v6("3fff::", 20, "documentation", "RFC 9637"),
  v6("fc00::", 7, "unique local", "RFC 4193; cloud metadata services live at fd00:ec2::254"),
  v6("fe80::", 10, "link-local", "RFC 4291"),
  v6("fec0::", 10, "site-local", "RFC 3879, deprecated"),
  v6("ff00::", 8, "multicast", "RFC 4291"),
];

// Host names of cloud instance metadata services. They resolve to link-local or private addresses
// on the cloud itself (refused anyway), but some resolve to public addresses (Equinix), and all of
// them are only ever asked for credentials: refused by name, before any resolution.
const METADATA_NAMES = new Set([
  "metadata",
  "metadata.google.internal",
  "metadata.goog",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.ec2.internal",
  "metadata.azure.internal",
  "metadata.platformequinix.com",
  "metadata.packet.net",
  "metadata.tencentyun.com",
  "metadata.oraclecloud.com",
]);

function matches(bytes: ArrayLike<number>, r: Range): boolean {
  if (bytes.length !== r.prefix.length) return false;
  for (let bit = 0; bit < r.bits; bit += 8) {
    const take = Math.min(8, r.bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[bit / 8] & mask) !== (r.prefix[bit / 8] & mask)) return false;
  }
  return true;
}

/** True when `bytes` (4 or 16) lie in the `bits`-long prefix `prefix` of the same length. */
export function inPrefix(bytes: ArrayLike<number>, prefix: ArrayLike<number>, bits: number): boolean {
  return matches(bytes, { prefix: Array.from(prefix), bits, cls: { kind: "", ref: "" } });
}

/**
 * The dotted form of an IPv4 address written any way inet_aton(3) and the WHATWG URL parser
 * accept — `2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1`, `127.0.0.1.` — or null. Such a
 * "name" is never sent to DNS: getaddrinfo(3) reads it as the address, so it is judged as one.
 */
export function parseIpv4Loose(host: string): string | null {
  const parts = host.split(".");
  if (parts.length > 1 && parts[parts.length - 1] === "") parts.pop(); // one trailing dot
  if (parts.length < 1 || parts.length > 4) return null;
  const nums: number[] = [];
  for (const p of parts) {
    let n: number;
    if (/^0x[0-9a-f]*$/i.test(p)) n = p.length === 2 ? 0 : parseInt(p.slice(2), 16);
    else if (/^0[0-7]+$/.test(p)) n = parseInt(p.slice(1), 8);
    else if (/^(0|[1-9][0-9]*)$/.test(p)) n = Number(p);
    else return null;
    if (!Number.isSafeInteger(n)) return null;
    nums.push(n);
  }
  const last = nums.pop()!;
  if (nums.some((n) => n > 255) || last >= 256 ** (4 - nums.length)) return null;
  const bytes = [...nums, ...[...Array(4 - nums.length)].map((_, i, a) => Math.floor(last / 256 ** (a.length - 1 - i)) % 256)];
  return bytes.join(".");
}

/** The canonical text of an IP literal (`[v6]`, dotted or odd IPv4 spellings), or null for a name. */
export function canonicalIp(host: string): string | null {
  const h = host.replace(/^\[(.*)\]$/, "$1");
  if (isIP(h) === 4) return h.split(".").map(Number).join(".");
  if (isIP(h) === 6) return h.includes("%") ? null : h.toLowerCase();
  return host.includes(":") ? null : parseIpv4Loose(h);
}

/** The IPv4 address an IPv6 address carries and is judged by (mapped, translated, NAT64, 6to4), or null. */
export function embeddedIpv4(b: Uint8Array): string | null {
  if (b.length !== 16) return null;
  const at = (i: number) => Array.from(b.subarray(i, i + 4)).join(".");
  const zeros = (from: number, to: number) => b.subarray(from, to).every((x) => x === 0);
  // IPv4-mapped ::ffff:0:0/96 (RFC 4291 §2.5.5.2) and IPv4-translated ::ffff:0:0:0/96 (RFC 2765).
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return at(12);
  if (zeros(0, 8) && b[8] === 0xff && b[9] === 0xff && zeros(10, 12)) return at(12);
  if (inPrefix(b, ipv6Octets("64:ff9b::")!, 96)) return at(12); // NAT64 well-known prefix (RFC 6052)
  if (b[0] === 0x20 && b[1] === 0x02) return at(2); // 6to4 (RFC 3056)
  return null;
}

/** The class of an address Stamp must not contact by default, or null when it is a public address. */
export function addressClass(addr: string): AddressClass | null {
  const b = parseIp(addr);
  if (!b) return { kind: "malformed", ref: "not an IP address" };
  if (b.length === 4) return V4_RANGES.find((r) => matches(b, r))?.cls ?? null;
  const v4 = embeddedIpv4(b);
  if (v4) return addressClass(v4);
  return V6_RANGES.find((r) => matches(b, r))?.cls ?? null;
}

/** Why the VA must not contact `addr` (an IPv4 or IPv6 literal), e.g. "private (RFC 1918)", or null when it may. */
export function disallowedReason(addr: string): string | null {
  if (!parseIp(addr)) return "not an IP address";
  const c = addressClass(addr);
  return c && `${c.kind} (${c.ref})`;
}

/** A host name in the form policies compare: lower case, without the trailing dot of a FQDN. */
export function normalizeName(host: string): string {
  return host.toLowerCase().replace(/\.+$/, "");
}

/** True when `host` names a cloud instance metadata service. */
export function isMetadataName(host: string): boolean {
  return METADATA_NAMES.has(normalizeName(host));
}
