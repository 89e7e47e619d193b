/** IP addresses as octets (RFC 5280 §4.2.1.6 iPAddress; RFC 4291 §2.2 text forms). */

/** IPv4 dotted quad without leading zeros (some parsers read them as octal), as 4 octets; null when invalid. */
export function ipv4Octets(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p) && Number(p) <= 255)) return null;
  return Uint8Array.from(parts.map(Number));
}

/** IPv6 text (full, "::"-compressed, or with a dotted IPv4 tail) as 16 octets; null when invalid (zone IDs included). */
export function ipv6Octets(text: string): Uint8Array | null {
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

/** An IP address as octets (4 for IPv4, 16 for IPv6); null when the text is neither. IPv4-mapped IPv6 stays 16 octets. */
export function parseIp(s: string): Uint8Array | null {
  if (typeof s !== "string" || s.length > 45) return null;
  return s.includes(":") ? ipv6Octets(s) : ipv4Octets(s);
}
