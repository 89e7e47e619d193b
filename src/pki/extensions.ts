/** X.509 v3 extensions (RFC 5280 §4.2): read the list and decode the ones Stamp acts on, encode the ones it writes. */
import { errors } from "../errors.js";
import {
  DerError, TAG, children, childrenOf, concat, content, derBitString, derBoolean, derOctetString, derOid, derString, readOid, readRoot, readSmallInt, seq, tlv,
  type Tlv,
} from "./der.js";

/** Extension OIDs Stamp reads or writes. */
export const EXT = {
  subjectKeyIdentifier: "2.5.29.14",
  keyUsage: "2.5.29.15",
  subjectAltName: "2.5.29.17",
  basicConstraints: "2.5.29.19",
  crlDistributionPoints: "2.5.29.31",
  authorityKeyIdentifier: "2.5.29.35",
  extKeyUsage: "2.5.29.37",
  authorityInfoAccess: "1.3.6.1.5.5.7.1.1",
} as const;

/** CRL and CRL entry extension OIDs (RFC 5280 §5.2, §5.3). */
export const CRL_EXT = {
  crlNumber: "2.5.29.20",
  reasonCode: "2.5.29.21",
  invalidityDate: "2.5.29.24",
  deltaCrlIndicator: "2.5.29.27",
  issuingDistributionPoint: "2.5.29.28",
  freshestCrl: "2.5.29.46",
} as const;

/** OCSP OIDs (RFC 6960 §4.2.1, §4.4, Appendix B): the basic response type, the nonce extension and the no-check extension. */
export const OCSP_OID = {
  basicResponse: "1.3.6.1.5.5.7.48.1.1",
  nonce: "1.3.6.1.5.5.7.48.1.2",
  noCheck: "1.3.6.1.5.5.7.48.1.5",
} as const;

/** One extension: critical flag and the DER inside extnValue. */
export interface RawExtension {
  critical: boolean;
  value: Uint8Array;
}

/** Reads an Extensions SEQUENCE into a map by OID; RFC 5280 §4.2 forbids duplicates. */
export function readExtensions(buf: Uint8Array, list: Tlv): Map<string, RawExtension> {
  const out = new Map<string, RawExtension>();
  for (const ext of childrenOf(buf, list, TAG.SEQUENCE)) {
    const parts = childrenOf(buf, ext, TAG.SEQUENCE);
    const oid = readOid(buf, parts[0]);
    let i = 1;
    let critical = false;
    if (parts[i]?.tag === TAG.BOOLEAN) {
      const c = content(buf, parts[i++]);
      if (c.length !== 1) throw new DerError("malformed BOOLEAN");
      critical = c[0] !== 0;
    }
    const value = parts[i];
    if (!value || value.tag !== TAG.OCTET_STRING || parts.length !== i + 1) throw new DerError(`malformed extension ${oid}`);
    if (out.has(oid)) throw new DerError(`duplicate extension ${oid} (RFC 5280 §4.2)`);
    out.set(oid, { critical, value: content(buf, value) });
  }
  return out;
}

/** BasicConstraints (RFC 5280 §4.2.1.9): cA flag and pathLenConstraint (null when absent). */
export function decodeBasicConstraints(der: Uint8Array): { ca: boolean; pathLength: number | null } {
  const parts = childrenOf(der, readRoot(der, TAG.SEQUENCE), TAG.SEQUENCE);
  let i = 0;
  let ca = false;
  if (parts[i]?.tag === TAG.BOOLEAN) ca = content(der, parts[i++])[0] !== 0;
  const pathLength = parts[i] ? readSmallInt(der, parts[i++]) : null;
  if (parts.length !== i) throw new DerError("malformed BasicConstraints");
  return { ca, pathLength };
}

/** KeyUsage bit names (RFC 5280 §4.2.1.3), indexed by bit number. */
export const KEY_USAGE_NAMES = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;

/** KeyUsage (RFC 5280 §4.2.1.3) as the RFC's bit names, in bit order. */
export function decodeKeyUsage(der: Uint8Array): string[] {
  const c = content(der, readRoot(der, TAG.BIT_STRING));
  if (c.length === 0 || c[0] > 7) throw new DerError("malformed KeyUsage");
  const bits = c.subarray(1);
  return KEY_USAGE_NAMES.filter((_, i) => i < bits.length * 8 && (bits[i >> 3] & (0x80 >> (i & 7))) !== 0);
}

/** SubjectKeyIdentifier (RFC 5280 §4.2.1.2): the OCTET STRING's bytes. */
export function decodeSubjectKeyIdentifier(der: Uint8Array): Uint8Array {
  return content(der, readRoot(der, TAG.OCTET_STRING));
}

/** AuthorityKeyIdentifier (RFC 5280 §4.2.1.1): the [0] keyIdentifier, when present. */
export function decodeAuthorityKeyIdentifier(der: Uint8Array): Uint8Array | undefined {
  const kid = childrenOf(der, readRoot(der, TAG.SEQUENCE), TAG.SEQUENCE).find((t) => t.tag === 0x80);
  return kid ? content(der, kid) : undefined;
}

/** Subject alternative names grouped by type. */
export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  email: string[];
  uri: string[];
  /** GeneralName types Stamp does not interpret (otherName, directoryName …), by context tag number. */
  other: number[];
}

/** Formats an iPAddress GeneralName (4 or 16 octets, RFC 5280 §4.2.1.6). */
function ipText(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join(".");
  if (b.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
    // Compress the longest run of zero groups (RFC 5952 §4.2).
    const s = groups.join(":");
    const runs = [...s.matchAll(/(?:^|:)0(?::0)+(?::|$)/g)].sort((x, y) => y[0].length - x[0].length);
    return runs.length ? s.replace(runs[0][0], "::") : s;
  }
  throw new DerError("iPAddress must be 4 or 16 octets");
}

/** SubjectAltName / GeneralNames (RFC 5280 §4.2.1.6). */
export function decodeGeneralNames(der: Uint8Array): SubjectAltNames {
  const out: SubjectAltNames = { dns: [], ip: [], email: [], uri: [], other: [] };
  const ascii = (t: Tlv) => {
    const c = content(der, t);
    if (c.some((b) => b > 0x7e || b < 0x20)) throw new DerError("IA5String name with non-printable characters");
    return Buffer.from(c).toString("latin1");
  };
  for (const t of children(der, readRoot(der, TAG.SEQUENCE))) {
    if (t.tag === 0x81) out.email.push(ascii(t));
    else if (t.tag === 0x82) out.dns.push(ascii(t));
    else if (t.tag === 0x86) out.uri.push(ascii(t));
    else if (t.tag === 0x87) out.ip.push(ipText(content(der, t)));
    else if ((t.tag & 0xc0) === 0x80) out.other.push(t.tag & 0x1f);
    else throw new DerError("malformed GeneralName");
  }
  return out;
}

/** ExtendedKeyUsage (RFC 5280 §4.2.1.12) as dotted OIDs. */
export function decodeExtKeyUsage(der: Uint8Array): string[] {
  return childrenOf(der, readRoot(der, TAG.SEQUENCE), TAG.SEQUENCE).map((t) => readOid(der, t));
}

// ---- writer ----

/** One Extension (RFC 5280 §4.1): extnID, critical only when TRUE (DER omits the default), extnValue. */
export function encodeExtension(oid: string, critical: boolean, value: Uint8Array): Uint8Array {
  return critical ? seq(derOid(oid), derBoolean(true), derOctetString(value)) : seq(derOid(oid), derOctetString(value));
}

/** A uniformResourceIdentifier GeneralName ([6] IA5String) for an http(s) or ldap URL; URLs must be ASCII (RFC 5280 §4.2.1.6). */
export function urlGeneralName(url: string, field: string): Uint8Array {
  if (!/^[\x21-\x7e]{1,2000}$/.test(url) || !/^(https?|ldap):\/\//i.test(url)) {
    throw errors.badRequest(`${field} must be an http(s) or ldap URL of printable ASCII without spaces.`, [
      { field, code: "invalid_url", message: "Expected an http(s) or ldap URL of printable ASCII.", value: url },
    ]);
  }
  return derString(0x86, url);
}

/** AuthorityInfoAccess value (RFC 5280 §4.2.2.1): id-ad-ocsp then id-ad-caIssuers; null when neither URL is given. */
export function encodeAuthorityInfoAccess(ocspUrl: string | undefined, caIssuersUrl: string | undefined): Uint8Array | null {
  const aia: Uint8Array[] = [];
  if (ocspUrl !== undefined) aia.push(seq(derOid("1.3.6.1.5.5.7.48.1"), urlGeneralName(ocspUrl, "ocspUrl")));
  if (caIssuersUrl !== undefined) aia.push(seq(derOid("1.3.6.1.5.5.7.48.2"), urlGeneralName(caIssuersUrl, "caIssuersUrl")));
  return aia.length ? seq(...aia) : null;
}

/** CRLDistributionPoints or FreshestCRL value (RFC 5280 §4.2.1.13, §4.2.1.15): one DistributionPoint, fullName [0] { [0] GeneralNames }. */
export function encodeDistributionPoints(urls: readonly string[], field: string): Uint8Array {
  const names = urls.map((u, i) => urlGeneralName(u, `${field}[${i}]`));
  return seq(seq(tlv(0xa0, tlv(0xa0, concat(names)))));
}

/** KeyUsage value (RFC 5280 §4.2.1.3) from bit names; trailing zero bits are dropped (X.690 §11.2.2). */
export function encodeKeyUsage(names: readonly string[]): Uint8Array {
  let last = -1;
  const bytes = new Uint8Array(2);
  for (const n of names) {
    const bit = (KEY_USAGE_NAMES as readonly string[]).indexOf(n);
    if (bit < 0) throw errors.badRequest(`Unknown key usage "${n}".`);
    bytes[bit >> 3] |= 0x80 >> (bit & 7);
    last = Math.max(last, bit);
  }
  if (last < 0) return derBitString(new Uint8Array(0));
  return derBitString(bytes.subarray(0, (last >> 3) + 1), 7 - (last & 7));
}
