/**
 * The streaming CRL entry writer: the same DER as encodeCrlEntry, written straight into a
 * caller's buffer with no allocation per entry, for CRLs of a million entries (bench/crl.ts).
 * Anything unusual (an invalid serial, time or reason) goes through encodeCrlEntry, which
 * either encodes it or throws the violations, so both paths agree byte for byte.
 */
import { TAG } from "./der.js";
import { encodeCrlEntry, type CrlEntry } from "./crl.js";

/** The most bytes one entry takes: SEQUENCE(2) + INTEGER(2+21) + GeneralizedTime(17) + extensions(2 + 12 + 26). */
export const MAX_CRL_ENTRY_BYTES = 82;

// RFC 5280 §5.3.1 reasonCode and §5.3.2 invalidityDate: SEQUENCE { OID, OCTET STRING { … } } up to the value.
const REASON_PREFIX = Uint8Array.of(0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01);
const INVALIDITY_PREFIX = Uint8Array.of(0x30, 0x18, 0x06, 0x03, 0x55, 0x1d, 0x18, 0x04, 0x11);

/** Milliseconds of 1950-01-01 and of 10000-01-01 (UTC): the times a CRL can carry (RFC 5280 §4.1.2.5). */
const MIN_MS = Date.UTC(1950, 0, 1);
const END_MS = Date.UTC(10000, 0, 1);
const Y2050_MS = Date.UTC(2050, 0, 1);

/**
 * Writes a UTCTime (before 2050, unless `generalized`) or GeneralizedTime of `ms` at `p`, to the
 * second with "Z" (RFC 5280 §4.1.2.5.1/.2), as der-stream's writeTime does for a Date. The civil
 * date comes from integer arithmetic (H. Hinnant's days-to-civil), cheaper than Date's getters.
 */
function writeTimeMs(out: Uint8Array, pos: number, ms: number, generalized: boolean): number {
  const secs = Math.floor(ms / 1000);
  const days = Math.floor(secs / 86400);
  let sod = secs - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  let p = pos;
  if (generalized || ms >= Y2050_MS) {
    out[p++] = TAG.GENERALIZED_TIME;
    out[p++] = 15;
    p = two(out, p, (year / 100) | 0);
  } else {
    out[p++] = TAG.UTC_TIME;
    out[p++] = 13;
  }
  p = two(out, p, year % 100);
  p = two(out, p, month);
  p = two(out, p, day);
  const h = (sod / 3600) | 0;
  sod -= h * 3600;
  const m = (sod / 60) | 0;
  p = two(out, p, h);
  p = two(out, p, m);
  p = two(out, p, sod - m * 60);
  out[p++] = 0x5a; // "Z"
  return p;
}

/** Two decimal digits (no closure: this runs a few million times per large CRL). */
function two(out: Uint8Array, p: number, n: number): number {
  out[p] = 0x30 + ((n / 10) | 0);
  out[p + 1] = 0x30 + (n % 10);
  return p + 2;
}

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
  const at = e.revokedAt.getTime();
  const inv = e.invalidityDate ? e.invalidityDate.getTime() : null;
  // The serial's first significant octet (leading zero octets are not minimal DER, X.690 §8.3.2).
  let start = 0;
  while (start + 2 < hex.length && hex.charCodeAt(start) === 48 && hex.charCodeAt(start + 1) === 48) start += 2;
  const octets = (hex.length - start) >> 1;
  const lead = hex.length > start ? (nibble(hex.charCodeAt(start)) << 4) | nibble(hex.charCodeAt(start + 1)) : -1;
  const pad = lead & 0x80 ? 1 : 0;
  const plain =
    hex.length > 0 && hex.length <= 42 && hex.length % 2 === 0 && octets <= 20 && lead > 0 &&
    at >= MIN_MS && at < END_MS && Number.isInteger(reason) && reason >= 0 && reason <= 10 && reason !== 7 && // RFC 5280 §5.3.1 CRLReason
     (inv === null || (inv >= MIN_MS && inv < END_MS));
  if (!plain) {
    // Rare or invalid: the reference encoder decides (and names every violation).
    const enc = encodeCrlEntry(e);
    out.set(enc, pos);
    return pos + enc.length;
  }
  const serialLen = octets + pad;
  const revokedLen = at >= Y2050_MS ? 17 : 15;
  const extsLen = (reason !== 0 ? REASON_PREFIX.length + 1 : 0) + (inv !== null ? INVALIDITY_PREFIX.length + 17 : 0);
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
  p = writeTimeMs(out, p, at, false); // RFC 5280 §5.1.2.6: a Time like thisUpdate
  if (extsLen) {
    out[p++] = TAG.SEQUENCE;
    out[p++] = extsLen;
    // Byte loops: TypedArray.set costs more than eleven plain stores at this size.
    if (reason !== 0) {
      for (let i = 0; i < REASON_PREFIX.length; i++) out[p++] = REASON_PREFIX[i];
      out[p++] = reason;
    }
    if (inv !== null) {
      for (let i = 0; i < INVALIDITY_PREFIX.length; i++) out[p++] = INVALIDITY_PREFIX[i];
      p = writeTimeMs(out, p, inv, true); // RFC 5280 §5.3.2: GeneralizedTime
    }
  }
  return p;
}

function copy(out: Uint8Array, pos: number, bytes: Uint8Array): number {
  out.set(bytes, pos);
  return bytes.length;
}
