/**
 * The streaming CRL entry writer: the same DER as encodeCrlEntry, written straight into a
 * caller's buffer with no allocation per entry, for CRLs of a million entries (bench/crl.ts).
 * Anything unusual (an invalid serial, time or reason) goes through encodeCrlEntry, which
 * either encodes it or throws the violations, so both paths agree byte for byte.
 */
import { TAG } from "./der.js";
import { isEncodableTime, writeTime } from "./der-extra.js";
import { encodeCrlEntry, isCrlReason, type CrlEntry } from "./crl.js";

/** The most bytes one entry takes: SEQUENCE(2) + INTEGER(2+21) + GeneralizedTime(17) + extensions(2 + 12 + 26). */
export const MAX_CRL_ENTRY_BYTES = 82;

// RFC 5280 §5.3.1 reasonCode and §5.3.2 invalidityDate: SEQUENCE { OID, OCTET STRING { … } } up to the value.
const REASON_PREFIX = Uint8Array.of(0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01);
const INVALIDITY_PREFIX = Uint8Array.of(0x30, 0x18, 0x06, 0x03, 0x55, 0x1d, 0x18, 0x04, 0x11);

/** A hex digit's value, or -1. */
function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/**
 * Writes one revokedCertificates element (RFC 5280 §5.1.2.6, §5.3.1, §5.3.2) at `pos` and returns
 * the position after it; `out` must have MAX_CRL_ENTRY_BYTES free from `pos`. Throws like encodeCrlEntry.
 */
export function writeCrlEntry(out: Uint8Array, pos: number, e: CrlEntry): number {
  const hex = e.serialHex;
  const reason = e.reasonCode ?? 0;
  // The serial's first significant octet (leading zero octets are not minimal DER, X.690 §8.3.2).
  let start = 0;
  while (start + 2 < hex.length && hex.charCodeAt(start) === 48 && hex.charCodeAt(start + 1) === 48) start += 2;
  const octets = (hex.length - start) >> 1;
  const lead = hex.length > start ? (nibble(hex.charCodeAt(start)) << 4) | nibble(hex.charCodeAt(start + 1)) : -1;
  const pad = lead & 0x80 ? 1 : 0;
  const plain =
    hex.length > 0 && hex.length <= 42 && hex.length % 2 === 0 && octets <= 20 && lead > 0 &&
    isEncodableTime(e.revokedAt) && isCrlReason(reason) && (!e.invalidityDate || isEncodableTime(e.invalidityDate));
  if (!plain) {
    // Rare or invalid: the reference encoder decides (and names every violation).
    const enc = encodeCrlEntry(e);
    out.set(enc, pos);
    return pos + enc.length;
  }
  const serialLen = octets + pad;
  const revokedLen = e.revokedAt.getUTCFullYear() > 2049 ? 17 : 15;
  const extsLen = (reason !== 0 ? REASON_PREFIX.length + 1 : 0) + (e.invalidityDate ? INVALIDITY_PREFIX.length + 17 : 0);
  let p = pos;
  out[p++] = TAG.SEQUENCE;
  out[p++] = 2 + serialLen + revokedLen + (extsLen ? 2 + extsLen : 0); // at most 80: one-octet length
  out[p++] = TAG.INTEGER;
  out[p++] = serialLen;
  if (pad) out[p++] = 0;
  for (let i = start; i < hex.length; i += 2) {
    const hi = nibble(hex.charCodeAt(i));
    const lo = nibble(hex.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return pos + copy(out, pos, encodeCrlEntry(e)); // throws: not hex
    out[p++] = (hi << 4) | lo;
  }
  p = writeTime(out, p, e.revokedAt, false); // RFC 5280 §5.1.2.6: a Time like thisUpdate
  if (extsLen) {
    out[p++] = TAG.SEQUENCE;
    out[p++] = extsLen;
    if (reason !== 0) {
      out.set(REASON_PREFIX, p);
      p += REASON_PREFIX.length;
      out[p++] = reason;
    }
    if (e.invalidityDate) {
      out.set(INVALIDITY_PREFIX, p);
      p += INVALIDITY_PREFIX.length;
      p = writeTime(out, p, e.invalidityDate, true); // RFC 5280 §5.3.2: GeneralizedTime
    }
  }
  return p;
}

function copy(out: Uint8Array, pos: number, bytes: Uint8Array): number {
  out.set(bytes, pos);
  return bytes.length;
}
