import { isIP } from "node:net";

// Address ranges a public validation authority must not contact (SSRF protection; the
// IANA special-purpose registries, RFC 6890). Applied to every address the VA connects to,
// including the targets of http-01 redirects (RFC 8555 §8.3, §10.2).

type Range = { prefix: number[]; bits: number; reason: string };

const v4 = (a: string, bits: number, reason: string): Range => ({ prefix: a.split(".").map(Number), bits, reason });

const V4_RANGES: Range[] = [
  v4("0.0.0.0", 8, "unspecified (RFC 1122)"),
  v4("10.0.0.0", 8, "private (RFC 1918)"),
  v4("100.64.0.0", 10, "shared address space (RFC 6598)"),
  v4("127.0.0.0", 8, "loopback (RFC 1122)"),
  v4("169.254.0.0", 16, "link-local, incl. cloud metadata (RFC 3927)"),
  v4("172.16.0.0", 12, "private (RFC 1918)"),
  v4("192.168.0.0", 16, "private (RFC 1918)"),
  v4("224.0.0.0", 4, "multicast (RFC 5771)"),
  v4("240.0.0.0", 4, "reserved or broadcast (RFC 1112, RFC 919)"),
];

const v6 = (a: string, bits: number, reason: string): Range => ({ prefix: [...(parseIpv6(a) ?? [])], bits, reason });

const V6_RANGES: Range[] = [
  v6("::", 128, "unspecified (RFC 4291)"),
  v6("::1", 128, "loopback (RFC 4291)"),
  v6("::", 96, "IPv4-compatible, deprecated (RFC 4291)"),
  v6("fe80::", 10, "link-local (RFC 4291)"),
  v6("fec0::", 10, "site-local, deprecated (RFC 3879)"),
  v6("fc00::", 7, "unique local (RFC 4193)"),
  v6("ff00::", 8, "multicast (RFC 4291)"),
];

function matches(bytes: ArrayLike<number>, r: Range): boolean {
  for (let bit = 0; bit < r.bits; bit += 8) {
    const take = Math.min(8, r.bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((bytes[bit / 8] & mask) !== (r.prefix[bit / 8] & mask)) return false;
  }
  return true;
}

/** The 16 bytes of an IPv6 address (dotted IPv4 tail allowed), or null when it is not one. */
export function parseIpv6(addr: string): Uint8Array | null {
  // node:net accepts zone identifiers (fe80::1%eth0); an address to contact must not carry one.
  if (isIP(addr) !== 6 || addr.includes("%")) return null;
  let s = addr.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted[1].split(".").map(Number);
    s = s.slice(0, -dotted[1].length) + ((a << 8) | b).toString(16) + ":" + ((c << 8) | d).toString(16);
  }
  const [head, tail] = s.includes("::") ? s.split("::") : [s, undefined];
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t];
  if (groups.length !== 8) return null;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

/** Why the VA must not contact `addr` (an IPv4 or IPv6 literal), or null when it may. */
export function disallowedReason(addr: string): string | null {
  const family = isIP(addr);
  if (family === 4) {
    const bytes = addr.split(".").map(Number);
    return V4_RANGES.find((r) => matches(bytes, r))?.reason ?? null;
  }
  if (family !== 6) return "not an IP address";
  const b = parseIpv6(addr);
  if (!b) return "not an IP address";
  // Forms that embed an IPv4 address are judged by that address: IPv4-mapped ::ffff:0:0/96
  // (RFC 4291 §2.5.5.2), NAT64 64:ff9b::/96 (RFC 6052) and 6to4 2002::/16 (RFC 3056).
  const embedded = (at: number) => Array.from(b.subarray(at, at + 4)).join(".");
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return disallowedReason(embedded(12));
  if (matches(b, v6("64:ff9b::", 96, ""))) return disallowedReason(embedded(12));
  if (b[0] === 0x20 && b[1] === 0x02) return disallowedReason(embedded(2));
  return V6_RANGES.find((r) => matches(b, r))?.reason ?? null;
}
