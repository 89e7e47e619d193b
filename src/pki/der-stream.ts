/**
 * DER pieces der.ts does not have, used by the CRL and OCSP encoders: lengths beyond 16 MiB
 * (a CRL of a million entries is ~80 MB), INTEGERs from bigint, GeneralizedTime, times written
 * straight into a buffer, and element counting without materialising a list.
 */
import { DerError, TAG } from "./der.js";

/** Identifier and definite length octets for an element of `n` content bytes (X.690 §8.1.3, up to 2^32 - 1). */
export function header(tag: number, n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(tag, n);
  if (n < 0x100) return Uint8Array.of(tag, 0x81, n);
  if (n < 0x10000) return Uint8Array.of(tag, 0x82, n >>> 8, n & 0xff);
  if (n < 0x1000000) return Uint8Array.of(tag, 0x83, n >>> 16, (n >>> 8) & 0xff, n & 0xff);
  if (n <= 0xffffffff) return Uint8Array.of(tag, 0x84, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  throw new DerError("element too large");
}

/** A non-negative bigint as minimal big-endian INTEGER content octets (X.690 §8.3). */
export function bigintContent(n: bigint): Uint8Array {
  if (n < 0n) throw new DerError("negative INTEGER");
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  const b = Buffer.from(hex, "hex");
  return b[0] & 0x80 ? Uint8Array.from([0, ...b]) : new Uint8Array(b);
}

/** INTEGER content octets (two's complement) as a bigint. */
export function bigintFromContent(c: Uint8Array): bigint {
  if (c.length === 0) throw new DerError("empty INTEGER");
  let n = BigInt(`0x${Buffer.from(c).toString("hex")}`);
  if (c[0] & 0x80) n -= 1n << BigInt(c.length * 8);
  return n;
}

/** Throws unless INTEGER content octets are minimal (X.690 §8.3.2). */
export function checkMinimalInteger(c: Uint8Array): void {
  if (c.length === 0) throw new DerError("empty INTEGER");
  if (c.length > 1 && ((c[0] === 0 && (c[1] & 0x80) === 0) || (c[0] === 0xff && (c[1] & 0x80) !== 0))) throw new DerError("non-minimal INTEGER");
}

/** True when `d` is a usable time for the encoders (1950 to 9999, RFC 5280 §4.1.2.5 range). */
export function isEncodableTime(d: Date): boolean {
  const t = d.getTime();
  return Number.isFinite(t) && d.getUTCFullYear() >= 1950 && d.getUTCFullYear() <= 9999;
}

/** Bytes `writeTime` writes for `d`: UTCTime through 2049, GeneralizedTime after or when `generalized` (RFC 5280 §4.1.2.5, §5.1.2.4). */
export function timeLength(d: Date, generalized: boolean): number {
  return generalized || d.getUTCFullYear() > 2049 ? 17 : 15;
}

/** Writes a Time at `pos` and returns the position after it; seconds precision with "Z", milliseconds dropped (RFC 5280 §4.1.2.5.1/.2). */
export function writeTime(out: Uint8Array, pos: number, d: Date, generalized: boolean): number {
  const y = d.getUTCFullYear();
  let p = pos;
  const two = (n: number) => {
    out[p++] = 0x30 + Math.floor(n / 10);
    out[p++] = 0x30 + (n % 10);
  };
  if (generalized || y > 2049) {
    out[p++] = TAG.GENERALIZED_TIME;
    out[p++] = 15;
    two(Math.floor(y / 100));
  } else {
    out[p++] = TAG.UTC_TIME;
    out[p++] = 13;
  }
  two(y % 100);
  two(d.getUTCMonth() + 1);
  two(d.getUTCDate());
  two(d.getUTCHours());
  two(d.getUTCMinutes());
  two(d.getUTCSeconds());
  out[p++] = 0x5a; // "Z"
  return p;
}

/** A Time element: UTCTime through 2049, else GeneralizedTime; `generalized` forces GeneralizedTime (RFC 6960 §4.2.1, RFC 5280 §5.3.2). */
export function encodeTime(d: Date, generalized = false): Uint8Array {
  const out = new Uint8Array(timeLength(d, generalized));
  writeTime(out, 0, d, generalized);
  return out;
}

/** Counts the elements filling [start, end) without materialising them (each length is checked to fit). */
export function countElements(buf: Uint8Array, start: number, end: number): number {
  let n = 0;
  let pos = start;
  while (pos < end) {
    if (pos + 2 > end) throw new DerError("truncated element");
    const first = buf[pos + 1];
    let len = first;
    let p = pos + 2;
    if (first >= 0x80) {
      const k = first & 0x7f;
      if (k === 0 || k > 4 || p + k > end) throw new DerError("malformed length");
      len = 0;
      for (let i = 0; i < k; i++) len = len * 256 + buf[p++];
    }
    pos = p + len;
    if (pos > end) throw new DerError("element longer than its container");
    n++;
  }
  return n;
}
