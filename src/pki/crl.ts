/**
 * Certificate revocation lists (RFC 5280 §5): encode entries one by one, build the TBSCertList
 * around already-encoded entry bytes, assemble the signed CertificateList, and parse one back.
 * Built for size: entries go in as bytes (one Uint8Array per entry, or several entries
 * concatenated per chunk) and are copied once into the output, so a CRL of a million entries
 * needs no million objects; the parser counts entries without materialising them.
 */
import type { Violation } from "../errors.js";
import { errors, isStampError } from "../errors.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { TAG, childrenOf, concat, content, derSmallInt, raw, readOctetAlignedBits, readOid, readRoot, readTime, readTlv, seq, tlv, type Tlv } from "./der.js";
import { bigintContent, bigintFromContent, countElements, encodeTime, header, isEncodableTime, timeLength, writeTime } from "./der-stream.js";
import { CRL_EXT, EXT, decodeAuthorityKeyIdentifier, encodeDistributionPoints, encodeExtension, readExtensions } from "./extensions.js";
import { signatureAlgorithmDer, verifySignature } from "./signature.js";
import { keyIdentifier } from "./spki.js";

/** CRLReason values (RFC 5280 §5.3.1); 7 is unused. */
export const CRL_REASON = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  certificateHold: 6,
  removeFromCRL: 8,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

const VALID_REASONS = new Set<number>(Object.values(CRL_REASON));

/** One revoked certificate. */
export interface CrlEntry {
  /** Hex of the serial's INTEGER content octets (as parseCertificate gives it); a leading 00 is optional. */
  serialHex: string;
  revokedAt: Date;
  /**
   * CRLReason (RFC 5280 §5.3.1). Absent or 0 (unspecified) writes no reasonCode extension, as
   * §5.3.1 says it SHOULD be absent rather than unspecified. removeFromCRL (8) belongs only in
   * delta CRLs (§5.2.4), for a certificateHold that was lifted.
   */
  reasonCode?: number;
  /** RFC 5280 §5.3.2: when the key is known or suspected to have been compromised; GeneralizedTime. */
  invalidityDate?: Date;
}

/** Serial INTEGER content octets from hex: minimal, positive, at most 20 octets of value (RFC 5280 §4.1.2.2). */
function serialContent(hex: string): Uint8Array | null {
  if (hex.length === 0 || hex.length > 42 || hex.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(hex)) return null;
  let b = Buffer.from(hex, "hex");
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  b = b.subarray(i);
  if (b.length === 1 && b[0] === 0) return null;
  if (b.length > 20) return null;
  return b[0] & 0x80 ? Uint8Array.from([0, ...b]) : b;
}

// Fixed prefixes of the two entry extensions (RFC 5280 §5.3.1, §5.3.2): SEQUENCE { OID, OCTET STRING { … } }.
const REASON_PREFIX = Uint8Array.of(0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01);
const INVALIDITY_PREFIX = Uint8Array.of(0x30, 0x18, 0x06, 0x03, 0x55, 0x1d, 0x18, 0x04, 0x11);

/** Encodes one revokedCertificates element (RFC 5280 §5.1.2.6) with its crlEntryExtensions (§5.3.1 reasonCode, §5.3.2 invalidityDate); one allocation. */
export function encodeCrlEntry(e: CrlEntry): Uint8Array {
  const serial = serialContent(e.serialHex);
  const reason = e.reasonCode ?? 0;
  if (!serial || !isEncodableTime(e.revokedAt) || !VALID_REASONS.has(reason) || (e.invalidityDate && !isEncodableTime(e.invalidityDate))) {
    const v: Violation[] = [];
    if (!serial) v.push({ field: "serialHex", code: "invalid_serial", message: "The serial must be the hex of a positive INTEGER of at most 20 octets (RFC 5280 §4.1.2.2).", value: e.serialHex });
    if (!isEncodableTime(e.revokedAt)) v.push({ field: "revokedAt", code: "invalid_time", message: "revokedAt must be a valid time from 1950 to 9999." });
    if (!VALID_REASONS.has(reason)) v.push({ field: "reasonCode", code: "invalid_reason", message: "reasonCode must be a CRLReason value (RFC 5280 §5.3.1: 0-6, 8-10).", value: e.reasonCode });
    if (e.invalidityDate && !isEncodableTime(e.invalidityDate)) v.push({ field: "invalidityDate", code: "invalid_time", message: "invalidityDate must be a valid time from 1950 to 9999." });
    throw errors.badRequest("The CRL entry is invalid.", v);
  }
  const revokedLen = timeLength(e.revokedAt, false);
  const extsLen = (reason !== 0 ? REASON_PREFIX.length + 1 : 0) + (e.invalidityDate ? INVALIDITY_PREFIX.length + 17 : 0);
  // Every part is short, so all lengths fit the one-octet form (an entry is at most ~85 bytes).
  const bodyLen = 2 + serial.length + revokedLen + (extsLen ? 2 + extsLen : 0);
  const out = new Uint8Array(2 + bodyLen);
  let p = 0;
  out[p++] = TAG.SEQUENCE;
  out[p++] = bodyLen;
  out[p++] = TAG.INTEGER;
  out[p++] = serial.length;
  out.set(serial, p);
  p += serial.length;
  p = writeTime(out, p, e.revokedAt, false); // RFC 5280 §5.1.2.6: revocationDate is a Time like thisUpdate
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
  return out;
}

/** What a CRL's TBSCertList is made of, besides its entries. */
export interface CrlTbsInput {
  /** Name DER: the CA certificate's subject bytes (RFC 5280 §5.1.2.3). */
  issuer: Uint8Array;
  /** The CA's SubjectPublicKeyInfo DER, for the authorityKeyIdentifier (§5.2.1). */
  issuerSpki: Uint8Array;
  signerAlgorithm: KeyAlgorithm;
  thisUpdate: Date;
  nextUpdate: Date;
  /** RFC 5280 §5.2.3: monotonically increasing, at most 20 octets. */
  crlNumber: bigint;
  /** Present ⇒ a delta CRL: the complete CRL number it updates (Delta CRL Indicator, critical, §5.2.4). */
  deltaBaseCrlNumber?: bigint;
  /** Freshest CRL (§5.2.6) URLs pointing at delta CRLs; base CRLs only. */
  freshestCrlUrls?: string[];
}

/** CRLNumber / BaseCRLNumber content: 0 ≤ n, at most 20 octets (RFC 5280 §5.2.3). */
function crlNumberContent(n: bigint): Uint8Array | null {
  if (typeof n !== "bigint" || n < 0n) return null;
  const c = bigintContent(n);
  return c.length <= 20 ? c : null;
}

/** The crlExtensions of a CRL (RFC 5280 §5.2), inside their [0] EXPLICIT wrapper. */
function crlExtensions(input: CrlTbsInput): Uint8Array {
  const v: Violation[] = [];
  const num = crlNumberContent(input.crlNumber);
  if (!num) v.push({ field: "crlNumber", code: "invalid_crl_number", message: "crlNumber must be a non-negative integer of at most 20 octets (RFC 5280 §5.2.3).", value: String(input.crlNumber) });
  const delta = input.deltaBaseCrlNumber;
  const base = delta === undefined ? null : crlNumberContent(delta);
  if (delta !== undefined && (!base || (num && delta >= input.crlNumber))) {
    v.push({ field: "deltaBaseCrlNumber", code: "invalid_base_crl_number", message: "deltaBaseCrlNumber must be a CRL number below this CRL's own (RFC 5280 §5.2.4).", value: String(delta) });
  }
  if (delta !== undefined && input.freshestCrlUrls?.length) v.push({ field: "freshestCrlUrls", code: "freshest_in_delta", message: "A delta CRL must not carry a Freshest CRL extension (RFC 5280 §5.2.6)." });
  if (input.issuer.length <= 2) v.push({ field: "issuer", code: "empty_name", message: "The CRL issuer must not be empty (RFC 5280 §5.1.2.3)." });
  if (!isEncodableTime(input.thisUpdate) || !isEncodableTime(input.nextUpdate) || input.nextUpdate.getTime() <= input.thisUpdate.getTime()) {
    v.push({ field: "nextUpdate", code: "invalid_validity", message: "thisUpdate and nextUpdate must be valid times with nextUpdate later (RFC 5280 §5.1.2.4, §5.1.2.5)." });
  }
  if (v.length) throw errors.badRequest("The CRL input is invalid.", v);
  const exts: Uint8Array[] = [
    // RFC 5280 §5.2.1: AKI MUST be in every CRL, keyIdentifier method matching the CA's SKI.
    encodeExtension(EXT.authorityKeyIdentifier, false, seq(tlv(0x80, keyIdentifier(input.issuerSpki)))),
    // RFC 5280 §5.2.3: CRL Number, non-critical.
    encodeExtension(CRL_EXT.crlNumber, false, tlv(TAG.INTEGER, num!)),
  ];
  // RFC 5280 §5.2.4: the Delta CRL Indicator is critical.
  if (base) exts.push(encodeExtension(CRL_EXT.deltaCrlIndicator, true, tlv(TAG.INTEGER, base)));
  // RFC 5280 §5.2.6: Freshest CRL, non-critical, in complete CRLs.
  if (input.freshestCrlUrls?.length) exts.push(encodeExtension(CRL_EXT.freshestCrl, false, encodeDistributionPoints(input.freshestCrlUrls, "freshestCrlUrls")));
  return tlv(0xa0, seq(...exts));
}

/** Copies chunks into one growing buffer (for iterables of unknown total length). */
function collect(chunks: Iterable<Uint8Array>): Uint8Array {
  let buf = new Uint8Array(64 * 1024);
  let n = 0;
  for (const c of chunks) {
    if (n + c.length > buf.length) {
      const bigger = new Uint8Array(Math.max(buf.length * 2, n + c.length));
      bigger.set(buf.subarray(0, n));
      buf = bigger;
    }
    buf.set(c, n);
    n += c.length;
  }
  return buf.subarray(0, n);
}

/** A TBSCertList around `entriesByteLength` bytes of entries: the bytes before the entries and after them (RFC 5280 §5.1.2). */
export interface CrlTbsParts {
  /** SEQUENCE header, version … nextUpdate, and the revokedCertificates header (absent with no entries, §5.1.2.6). */
  head: Uint8Array;
  /** The [0] crlExtensions. */
  tail: Uint8Array;
  /** head + entries + tail: the TBSCertList's whole length. */
  length: number;
}

/**
 * The fixed parts of a v2 TBSCertList whose entries (concatenated encodeCrlEntry/writeCrlEntry
 * outputs) are `entriesByteLength` bytes long: DER lengths come first, so knowing the total lets
 * the entries stream between head and tail without ever being held together.
 */
export function crlTbsParts(input: CrlTbsInput, entriesByteLength: number): CrlTbsParts {
  const exts = crlExtensions(input);
  if (!Number.isSafeInteger(entriesByteLength) || entriesByteLength < 0) throw errors.internal("entriesByteLength must be a non-negative integer.");
  const fields = concat([
    derSmallInt(1), // RFC 5280 §5.1.2.1: v2, since extensions are present
    signatureAlgorithmDer(input.signerAlgorithm),
    input.issuer,
    encodeTime(input.thisUpdate), // RFC 5280 §5.1.2.4/.5: UTCTime through 2049, seconds, "Z"
    encodeTime(input.nextUpdate),
  ]);
  const revokedHeader = entriesByteLength > 0 ? header(TAG.SEQUENCE, entriesByteLength) : new Uint8Array(0);
  const bodyLen = fields.length + revokedHeader.length + entriesByteLength + exts.length;
  const head = concat([header(TAG.SEQUENCE, bodyLen), fields, revokedHeader]);
  return { head, tail: exts, length: head.length + entriesByteLength + exts.length };
}

/**
 * Builds a v2 TBSCertList (RFC 5280 §5.1.2) around already-encoded entries (each chunk one or
 * more concatenated encodeCrlEntry outputs). With `entriesByteLength` the chunks are streamed
 * once straight into the output; without it an array is summed, other iterables are buffered.
 * No entries ⇒ revokedCertificates is absent (§5.1.2.6).
 */
export function buildCrlTbs(input: CrlTbsInput, entries: Uint8Array[] | Iterable<Uint8Array>, entriesByteLength?: number): Uint8Array {
  let stream: Iterable<Uint8Array> = entries;
  let total = entriesByteLength;
  if (total === undefined) {
    if (Array.isArray(entries)) total = entries.reduce((n, e) => n + e.length, 0);
    else {
      const all = collect(entries);
      stream = [all];
      total = all.length;
    }
  }
  const { head, tail, length } = crlTbsParts(input, total);
  const out = new Uint8Array(length);
  out.set(head, 0);
  let p = head.length;
  const entriesEnd = p + total;
  for (const chunk of stream) {
    if (p + chunk.length > entriesEnd) throw errors.internal("The CRL entries are longer than entriesByteLength.");
    out.set(chunk, p);
    p += chunk.length;
  }
  if (p !== entriesEnd) throw errors.internal("The CRL entries are shorter than entriesByteLength.");
  out.set(tail, p);
  return out;
}

/**
 * The bytes around a signed TBSCertList of `tbsLength` bytes (RFC 5280 §5.1.1): the
 * CertificateList header before it, signatureAlgorithm and signatureValue after it.
 */
export function crlSignedParts(tbsLength: number, signerAlgorithm: KeyAlgorithm, signature: Uint8Array): { prefix: Uint8Array; suffix: Uint8Array } {
  const algId = signatureAlgorithmDer(signerAlgorithm);
  const suffix = concat([algId, tlv(TAG.BIT_STRING, concat([Uint8Array.of(0), signature]))]);
  return { prefix: header(TAG.SEQUENCE, tbsLength + suffix.length), suffix };
}

/** Assembles the signed CertificateList (RFC 5280 §5.1.1); the outer signatureAlgorithm must equal the TBS one (§5.1.1.2). */
export function assembleCrl(tbs: Uint8Array, signerAlgorithm: KeyAlgorithm, signature: Uint8Array): Uint8Array {
  const algId = signatureAlgorithmDer(signerAlgorithm);
  let inner: Uint8Array | undefined;
  try {
    const root = readRoot(tbs, TAG.SEQUENCE);
    const version = readTlv(tbs, root.contentStart, root.end);
    inner = raw(tbs, readTlv(tbs, version.end, root.end));
  } catch {
    inner = undefined;
  }
  if (!inner || Buffer.compare(inner, algId) !== 0) throw errors.internal("The TBSCertList's signature algorithm does not match the signer's.");
  const { prefix, suffix } = crlSignedParts(tbs.length, signerAlgorithm, signature);
  const out = new Uint8Array(prefix.length + tbs.length + suffix.length);
  out.set(prefix, 0);
  out.set(tbs, prefix.length);
  out.set(suffix, prefix.length + tbs.length);
  return out;
}

/** The facts of a parsed CRL; byte fields are slices of the input. */
export interface ParsedCrl {
  thisUpdate: Date;
  nextUpdate: Date | null;
  crlNumber: bigint | null;
  /** BaseCRLNumber of the Delta CRL Indicator; null for a complete CRL. */
  deltaBase: bigint | null;
  /** Number of revokedCertificates entries, counted without decoding them. */
  entries: number;
  /** The TBSCertList bytes, as signed. */
  tbs: Uint8Array;
  signatureOid: string;
  signature: Uint8Array;
  /** Issuer Name DER. */
  issuer: Uint8Array;
  /** AKI keyIdentifier, when present. */
  authorityKeyId: Uint8Array | null;
  /** Critical CRL extensions other than the Delta CRL Indicator (dotted OIDs); a relying party must reject such a CRL (RFC 5280 §5.2). */
  unknownCriticalExtensions: string[];
  /** The revokedCertificates SEQUENCE content (empty when absent), for crlEntries. */
  revoked: Uint8Array;
}

/** Runs `f`, turning DER errors into bad requests about the CRL. */
function orBadRequest<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isStampError(e)) throw e;
    throw errors.badRequest(`The CRL could not be parsed: ${(e as Error).message}.`);
  }
}

/** A CRLNumber-style INTEGER extension value as a bigint. */
function readIntegerExt(value: Uint8Array): bigint {
  return bigintFromContent(content(value, readRoot(value, TAG.INTEGER)));
}

/** Parses a DER CertificateList (RFC 5280 §5.1) for tests and sanity checks; entries are counted, not decoded. */
export function parseCrl(der: Uint8Array): ParsedCrl {
  return orBadRequest(() => {
    const [tbsT, algT, sigT, extra] = childrenOf(der, readRoot(der, TAG.SEQUENCE), TAG.SEQUENCE);
    if (!sigT || extra) throw new Error("expected tbsCertList, signatureAlgorithm, signatureValue");
    const signatureOid = readOid(der, childrenOf(der, algT, TAG.SEQUENCE)[0]);
    const signature = readOctetAlignedBits(der, sigT);
    const parts = childrenOf(der, tbsT, TAG.SEQUENCE);
    let i = 0;
    if (parts[i]?.tag === TAG.INTEGER) i++; // version v2 (absent for v1)
    const innerAlg = parts[i++];
    if (!innerAlg || Buffer.compare(raw(der, innerAlg), raw(der, algT)) !== 0) throw new Error("signature algorithm differs from the outer one (RFC 5280 §5.1.1.2)");
    const issuerT = parts[i++];
    if (issuerT?.tag !== TAG.SEQUENCE) throw new Error("missing issuer");
    const thisUpdate = readTime(der, parts[i++]);
    let nextUpdate: Date | null = null;
    if (parts[i]?.tag === TAG.UTC_TIME || parts[i]?.tag === TAG.GENERALIZED_TIME) nextUpdate = readTime(der, parts[i++]);
    let revokedT: Tlv | undefined;
    if (parts[i]?.tag === TAG.SEQUENCE) revokedT = parts[i++];
    let extsT: Tlv | undefined;
    if (parts[i]?.tag === 0xa0) {
      const inner = childrenOf(der, parts[i++], 0xa0);
      if (inner.length !== 1) throw new Error("malformed crlExtensions");
      extsT = inner[0];
    }
    if (i !== parts.length) throw new Error("unexpected fields in TBSCertList");
    const exts = extsT ? readExtensions(der, extsT) : new Map();
    const num = exts.get(CRL_EXT.crlNumber);
    const delta = exts.get(CRL_EXT.deltaCrlIndicator);
    const aki = exts.get(EXT.authorityKeyIdentifier);
    const understood = new Set<string>([CRL_EXT.deltaCrlIndicator]);
    return {
      thisUpdate, nextUpdate,
      crlNumber: num ? readIntegerExt(num.value) : null,
      deltaBase: delta ? readIntegerExt(delta.value) : null,
      entries: revokedT ? countElements(der, revokedT.contentStart, revokedT.end) : 0,
      tbs: raw(der, tbsT), signatureOid, signature, issuer: raw(der, issuerT),
      authorityKeyId: aki ? decodeAuthorityKeyIdentifier(aki.value) ?? null : null,
      unknownCriticalExtensions: [...exts].filter(([oid, e]) => e.critical && !understood.has(oid)).map(([oid]) => oid),
      revoked: revokedT ? content(der, revokedT) : new Uint8Array(0),
    };
  });
}

/** One decoded CRL entry. */
export interface DecodedCrlEntry {
  serialHex: string;
  revokedAt: Date;
  reasonCode: number | null;
  invalidityDate: Date | null;
}

/** Decodes a parsed CRL's entries one at a time (RFC 5280 §5.1.2.6, §5.3); lazy, for tests and spot checks. */
export function* crlEntries(crl: Pick<ParsedCrl, "revoked">): Generator<DecodedCrlEntry> {
  const buf = crl.revoked;
  let pos = 0;
  while (pos < buf.length) {
    const entry = orBadRequest(() => {
      const t = readTlv(buf, pos);
      const [serialT, dateT, extsT, extra] = childrenOf(buf, t, TAG.SEQUENCE);
      if (serialT?.tag !== TAG.INTEGER || extra) throw new Error("malformed CRL entry");
      const exts = extsT ? readExtensions(buf, extsT) : new Map();
      const reason = exts.get(CRL_EXT.reasonCode);
      const inv = exts.get(CRL_EXT.invalidityDate);
      const reasonC = reason ? content(reason.value, readRoot(reason.value, 0x0a)) : null;
      if (reasonC && reasonC.length !== 1) throw new Error("malformed reasonCode");
      return {
        end: t.end,
        value: {
          serialHex: Buffer.from(content(buf, serialT)).toString("hex"),
          revokedAt: readTime(buf, dateT),
          reasonCode: reasonC ? reasonC[0] : null,
          invalidityDate: inv ? readTime(inv.value, readRoot(inv.value, TAG.GENERALIZED_TIME)) : null,
        },
      };
    });
    pos = entry.end;
    yield entry.value;
  }
}

/** True when the CRL's signature verifies with the issuer's SubjectPublicKeyInfo (RFC 5280 §6.3.3 (f)). */
export function verifyCrlSignature(crl: Pick<ParsedCrl, "tbs" | "signatureOid" | "signature">, issuerSpki: Uint8Array): boolean {
  return verifySignature(crl.signatureOid, issuerSpki, crl.tbs, crl.signature);
}

/** True when `n` is a CRLReason value (RFC 5280 §5.3.1: 0-6, 8-10). */
export function isCrlReason(n: number): boolean {
  return VALID_REASONS.has(n);
}
