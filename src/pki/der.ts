/**
 * A small DER reader and writer (X.690). Stamp builds certificates with it so that the
 * to-be-signed bytes are exactly what we wrote and parsed pieces (names, keys, TBS) keep
 * their original bytes for signature checks and comparisons.
 */

/** Thrown by the reader on malformed input; callers turn it into `errors.badRequest`. */
export class DerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DerError";
  }
}

/** One tag-length-value element located inside a buffer. */
export interface Tlv {
  /** The identifier octet (class, constructed bit and tag number < 31). */
  tag: number;
  /** Offset of the identifier octet. */
  start: number;
  /** Offset of the first content octet. */
  contentStart: number;
  /** Offset just past the last content octet. */
  end: number;
}

/** Common identifier octets. */
export const TAG = {
  BOOLEAN: 0x01,
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  UTF8_STRING: 0x0c,
  PRINTABLE_STRING: 0x13,
  IA5_STRING: 0x16,
  UTC_TIME: 0x17,
  GENERALIZED_TIME: 0x18,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

/** Reads the TLV at `offset`, which must end at or before `limit` (definite, minimal lengths only: DER, X.690 §10.1). */
export function readTlv(buf: Uint8Array, offset: number, limit: number = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError("truncated element");
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError("high tag numbers are not supported");
  let pos = offset + 1;
  const first = buf[pos++];
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n === 0) throw new DerError("indefinite length is not DER");
    if (n > 4) throw new DerError("length too large");
    if (pos + n > limit) throw new DerError("truncated length");
    // X.690 §10.1: DER lengths are minimal — no leading zero octet, no long form below 128.
    if (buf[pos] === 0) throw new DerError("non-minimal length (a leading zero length octet is not DER)");
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++];
    if (length < 0x80) throw new DerError("non-minimal length (the long form for a length below 128 is not DER)");
  }
  const end = pos + length;
  if (end > limit) throw new DerError("element longer than its container");
  return { tag, start: offset, contentStart: pos, end };
}

/** Reads a whole buffer as exactly one element with the expected tag (no trailing bytes). */
export function readRoot(buf: Uint8Array, tag: number): Tlv {
  const t = readTlv(buf, 0);
  if (t.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${t.tag.toString(16)}`);
  if (t.end !== buf.length) throw new DerError("trailing bytes after the element");
  return t;
}

/** The elements that exactly fill a constructed element's contents; at most `max` of them (a bound for untrusted input). */
export function children(buf: Uint8Array, parent: Tlv, max = Infinity): Tlv[] {
  if ((parent.tag & 0x20) === 0) throw new DerError("expected a constructed element");
  const out: Tlv[] = [];
  let pos = parent.contentStart;
  while (pos < parent.end) {
    if (out.length === max) throw new DerError("too many elements");
    const t = readTlv(buf, pos, parent.end);
    out.push(t);
    pos = t.end;
  }
  return out;
}

/** Children of `parent` (at most `max`), checking it is present and carries `tag`. */
export function childrenOf(buf: Uint8Array, parent: Tlv | undefined, tag: number, max = Infinity): Tlv[] {
  return children(buf, expectTag(parent, tag), max);
}

/** Throws unless the element carries `tag`. */
export function expectTag(t: Tlv | undefined, tag: number): Tlv {
  if (!t) throw new DerError(`missing element with tag 0x${tag.toString(16)}`);
  if (t.tag !== tag) throw new DerError(`expected tag 0x${tag.toString(16)}, found 0x${t.tag.toString(16)}`);
  return t;
}

/** The whole encoding (identifier, length and contents) of an element. */
export function raw(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.start, t.end);
}

/** The content octets of an element. */
export function content(buf: Uint8Array, t: Tlv): Uint8Array {
  return buf.subarray(t.contentStart, t.end);
}

/** Decodes an OBJECT IDENTIFIER's content octets to dotted form (X.690 §8.19). */
export function decodeOid(c: Uint8Array): string {
  // The same few dozen OIDs recur in every certificate and CSR: remember their text (bounded).
  const key = c.length <= 32 ? Buffer.from(c.buffer, c.byteOffset, c.length).toString("latin1") : null;
  const hit = key === null ? undefined : OID_TEXT.get(key);
  if (hit !== undefined) return hit;
  const text = decodeOidArcs(c);
  if (key !== null) {
    if (OID_TEXT.size >= OID_MEMO_MAX) OID_TEXT.clear();
    OID_TEXT.set(key, text);
  }
  return text;
}

const OID_MEMO_MAX = 4096;
const OID_TEXT = new Map<string, string>();
const OID_DER = new Map<string, Uint8Array>();

/** decodeOid without the memo. */
function decodeOidArcs(c: Uint8Array): string {
  if (c.length === 0) throw new DerError("empty OID");
  const arcs: number[] = [];
  let value = 0;
  for (let i = 0; i < c.length; i++) {
    if (value === 0 && c[i] === 0x80) throw new DerError("non-minimal OID arc");
    value = value * 128 + (c[i] & 0x7f);
    if (value > Number.MAX_SAFE_INTEGER / 128) throw new DerError("OID arc too large");
    if ((c[i] & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    } else if (i === c.length - 1) {
      throw new DerError("truncated OID");
    }
  }
  const first = arcs[0] < 40 ? 0 : arcs[0] < 80 ? 1 : 2;
  return [first, arcs[0] - first * 40, ...arcs.slice(1)].join(".");
}

/** Reads an OID element. */
export function readOid(buf: Uint8Array, t: Tlv | undefined): string {
  return decodeOid(content(buf, expectTag(t, TAG.OID)));
}

/** Reads a small non-negative INTEGER (versions, path lengths). */
export function readSmallInt(buf: Uint8Array, t: Tlv | undefined): number {
  const c = content(buf, expectTag(t, TAG.INTEGER));
  if (c.length === 0 || c.length > 4 || (c[0] & 0x80) !== 0) throw new DerError("expected a small non-negative INTEGER");
  return c.reduce((n, b) => n * 256 + b, 0);
}

/** Reads a BIT STRING with no unused bits (signatures, public keys) and returns its bytes. */
export function readOctetAlignedBits(buf: Uint8Array, t: Tlv | undefined): Uint8Array {
  const c = content(buf, expectTag(t, TAG.BIT_STRING));
  if (c.length === 0 || c[0] !== 0) throw new DerError("expected an octet-aligned BIT STRING");
  return c.subarray(1);
}

// ---- writer ----

/** Concatenates byte arrays. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Encodes one element with a definite, minimal length. */
export function tlv(tag: number, body: Uint8Array): Uint8Array {
  const n = body.length;
  let header: number[];
  if (n < 0x80) header = [tag, n];
  else if (n < 0x100) header = [tag, 0x81, n];
  else if (n < 0x10000) header = [tag, 0x82, n >> 8, n & 0xff];
  else header = [tag, 0x83, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return concat([Uint8Array.from(header), body]);
}

/** SEQUENCE of the given encodings. */
export function seq(...parts: Uint8Array[]): Uint8Array {
  return tlv(TAG.SEQUENCE, concat(parts));
}

/** SET of the given encodings, sorted as DER requires for SET OF (X.690 §11.6). */
export function setOf(...parts: Uint8Array[]): Uint8Array {
  const sorted = [...parts].sort((a, b) => Buffer.compare(a, b));
  return tlv(TAG.SET, concat(sorted));
}

/** INTEGER from unsigned big-endian bytes, minimal and positive. */
export function derUnsignedInteger(bytes: Uint8Array): Uint8Array {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let body = bytes.subarray(i);
  if (body.length === 0) body = Uint8Array.of(0);
  if (body[0] & 0x80) body = concat([Uint8Array.of(0), body]);
  return tlv(TAG.INTEGER, body);
}

/** INTEGER from a small non-negative number. */
export function derSmallInt(n: number): Uint8Array {
  const bytes: number[] = [];
  let v = n;
  do {
    bytes.unshift(v & 0xff);
    v = Math.floor(v / 256);
  } while (v > 0);
  return derUnsignedInteger(Uint8Array.from(bytes));
}

/** OBJECT IDENTIFIER from dotted form. */
export function derOid(dotted: string): Uint8Array {
  let der = OID_DER.get(dotted);
  if (!der) {
    der = encodeOid(dotted);
    if (OID_DER.size >= OID_MEMO_MAX) OID_DER.clear();
    OID_DER.set(dotted, der);
  }
  // A copy: callers own what they get (the memo saves the arithmetic, not the bytes).
  return der.slice();
}

/** derOid without the memo. */
function encodeOid(dotted: string): Uint8Array {
  const arcs = dotted.split(".").map(Number);
  const values = [arcs[0] * 40 + arcs[1], ...arcs.slice(2)];
  const out: number[] = [];
  for (const v of values) {
    const chunk: number[] = [v & 0x7f];
    let rest = Math.floor(v / 128);
    while (rest > 0) {
      chunk.unshift((rest & 0x7f) | 0x80);
      rest = Math.floor(rest / 128);
    }
    out.push(...chunk);
  }
  return tlv(TAG.OID, Uint8Array.from(out));
}

/** BOOLEAN (DER TRUE is 0xff). */
export function derBoolean(b: boolean): Uint8Array {
  return Uint8Array.of(TAG.BOOLEAN, 1, b ? 0xff : 0);
}

/** NULL. */
export function derNull(): Uint8Array {
  return Uint8Array.of(TAG.NULL, 0);
}

/** OCTET STRING. */
export function derOctetString(b: Uint8Array): Uint8Array {
  return tlv(TAG.OCTET_STRING, b);
}

/** BIT STRING with the given unused-bit count in the last octet. */
export function derBitString(b: Uint8Array, unusedBits = 0): Uint8Array {
  return tlv(TAG.BIT_STRING, concat([Uint8Array.of(unusedBits), b]));
}

/** A string type (UTF8String, PrintableString, IA5String …) from text. */
export function derString(tag: number, s: string): Uint8Array {
  return tlv(tag, new TextEncoder().encode(s));
}

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; seconds precision, "Z". */
export function derTime(d: Date): Uint8Array {
  const y = d.getUTCFullYear();
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  const rest = `${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  if (y >= 1950 && y <= 2049) return derString(TAG.UTC_TIME, `${p(y % 100)}${rest}`);
  return derString(TAG.GENERALIZED_TIME, `${p(y, 4)}${rest}`);
}

/** Reads a UTCTime or GeneralizedTime in the RFC 5280 §4.1.2.5 profile (seconds, "Z"). */
export function readTime(buf: Uint8Array, t: Tlv | undefined): Date {
  if (!t) throw new DerError("missing time");
  const s = new TextDecoder().decode(content(buf, t));
  let m: RegExpExecArray | null;
  let year: number;
  if (t.tag === TAG.UTC_TIME && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    const yy = Number(m[1]);
    year = yy >= 50 ? 1900 + yy : 2000 + yy;
  } else if (t.tag === TAG.GENERALIZED_TIME && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(s))) {
    year = Number(m[1]);
  } else {
    throw new DerError("time is not a UTCTime or GeneralizedTime of the form RFC 5280 §4.1.2.5 requires");
  }
  const [mo, d, h, mi, se] = m.slice(2).map(Number);
  const date = new Date(Date.UTC(year, mo - 1, d, h, mi, se));
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || se > 59) throw new DerError("invalid date");
  return date;
}
