/** Parse X.509 certificates (RFC 5280 §4.1) into the facts Stamp acts on, and check who signed them. */
import { errors, isStampError } from "../errors.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { TAG, childrenOf, content, raw, readOctetAlignedBits, readOid, readRoot, readSmallInt, readTime } from "./der.js";
import {
  EXT, decodeAuthorityKeyIdentifier, decodeBasicConstraints, decodeExtKeyUsage, decodeGeneralNames, decodeKeyUsage,
  decodeSubjectKeyIdentifier, readExtensions, type SubjectAltNames,
} from "./extensions.js";
import { decodeName, namesEqual, type DnFields } from "./name.js";
import { derFromPemOrDer } from "./pem.js";
import { serialHex } from "./serial.js";
import { verifySignature } from "./signature.js";
import { describeSpki } from "./spki.js";

/** Inputs larger than this are refused before parsing. */
export const MAX_CERTIFICATE_BYTES = 64 * 1024;

/** Extensions Stamp understands; any other critical extension makes a certificate unusable as an issuer (RFC 5280 §4.2). */
const KNOWN = new Set<string>([...Object.values(EXT), "2.5.29.32", "2.5.29.30", "2.5.29.36", "2.5.29.54", "2.5.29.18"]);

/** The facts of one certificate; byte fields are the certificate's own DER slices. */
export interface ParsedCertificate {
  der: Uint8Array;
  /** The TBSCertificate bytes, as signed. */
  tbs: Uint8Array;
  version: number;
  serialHex: string;
  subject: Uint8Array;
  subjectText: string;
  subjectFields: DnFields & Record<string, string>;
  issuer: Uint8Array;
  issuerText: string;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  keyAlgorithm: KeyAlgorithm | null;
  keyDescription: string;
  /** basicConstraints cA (RFC 5280 §4.2.1.9); false when the extension is absent. */
  isCa: boolean;
  /** pathLenConstraint; null when absent (unlimited) or not a CA. */
  pathLength: number | null;
  ski?: Uint8Array;
  aki?: Uint8Array;
  /** Key usage bit names (RFC 5280 §4.2.1.3); empty when the extension is absent. */
  keyUsage: string[];
  keyUsagePresent: boolean;
  extendedKeyUsage: string[];
  sans?: SubjectAltNames;
  /** Critical extensions Stamp does not understand (dotted OIDs). */
  unknownCriticalExtensions: string[];
  /** Subject and issuer names are equal (RFC 5280 §6.1: self-issued). */
  selfIssued: boolean;
  signatureOid: string;
  signature: Uint8Array;
}

/** Runs a decoder, turning any failure into a bad request that names the certificate part. */
function decodeOrThrow<T>(part: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (isStampError(e)) throw e;
    throw errors.badRequest(`The certificate could not be parsed: ${part}: ${(e as Error).message}.`);
  }
}

/** Parses a certificate from PEM ("CERTIFICATE"), DER or base64 DER; malformed input is a bad request. */
export function parseCertificate(input: string | Uint8Array): ParsedCertificate {
  if (input.length > MAX_CERTIFICATE_BYTES) throw errors.badRequest(`The certificate is larger than ${MAX_CERTIFICATE_BYTES / 1024} KiB.`);
  const der = derFromPemOrDer(input, "CERTIFICATE");
  const outer = decodeOrThrow("structure", () => {
    const [tbsT, algT, sigT, extra] = childrenOf(der, readRoot(der, TAG.SEQUENCE), TAG.SEQUENCE);
    if (extra || !sigT) throw new Error("expected tbsCertificate, signatureAlgorithm, signatureValue");
    const [oidT] = childrenOf(der, algT, TAG.SEQUENCE);
    return { tbsT, algRaw: raw(der, algT), signatureOid: readOid(der, oidT), signature: readOctetAlignedBits(der, sigT) };
  });
  const tbs = raw(der, outer.tbsT);
  const f = decodeOrThrow("tbsCertificate", () => {
    const parts = childrenOf(der, outer.tbsT, TAG.SEQUENCE);
    let i = 0;
    let version = 1;
    if (parts[i]?.tag === 0xa0) {
      const [v] = childrenOf(der, parts[i++], 0xa0);
      version = readSmallInt(der, v) + 1;
      if (version > 3) throw new Error(`unknown version ${version}`);
    }
    const serialC = content(der, parts[i++] ?? (() => { throw new Error("missing serial"); })());
    if (parts[i - 1].tag !== TAG.INTEGER || serialC.length === 0) throw new Error("malformed serialNumber");
    const innerAlg = parts[i++];
    // RFC 5280 §4.1.1.2: signatureAlgorithm MUST equal the TBS signature field.
    if (!innerAlg || Buffer.compare(raw(der, innerAlg), outer.algRaw) !== 0) throw new Error("signature algorithm differs from the outer signatureAlgorithm (RFC 5280 §4.1.1.2)");
    const issuerT = parts[i++];
    const validityT = parts[i++];
    const subjectT = parts[i++];
    const spkiT = parts[i++];
    if (!spkiT) throw new Error("missing fields");
    const [nbT, naT, extraV] = childrenOf(der, validityT, TAG.SEQUENCE);
    if (extraV) throw new Error("malformed validity");
    while (parts[i] && (parts[i].tag === 0x81 || parts[i].tag === 0xa1 || parts[i].tag === 0x82 || parts[i].tag === 0xa2)) i++;
    let extsT;
    if (parts[i]?.tag === 0xa3) {
      [extsT] = childrenOf(der, parts[i++], 0xa3);
      if (!extsT) throw new Error("empty extensions wrapper");
    }
    if (parts.length !== i) throw new Error("unexpected trailing fields");
    return {
      version, serial: serialC, issuer: raw(der, issuerT), subject: raw(der, subjectT), spki: raw(der, spkiT),
      notBefore: readTime(der, nbT), notAfter: readTime(der, naT),
      extensions: extsT ? readExtensions(der, extsT) : new Map(),
    };
  });
  const subject = decodeName(f.subject);
  const issuer = decodeName(f.issuer);
  const key = describeSpki(f.spki);
  const exts = f.extensions;
  const bc = decodeOrThrow("basicConstraints", () => (exts.has(EXT.basicConstraints) ? decodeBasicConstraints(exts.get(EXT.basicConstraints)!.value) : null));
  const ku = decodeOrThrow("keyUsage", () => (exts.has(EXT.keyUsage) ? decodeKeyUsage(exts.get(EXT.keyUsage)!.value) : null));
  const eku = decodeOrThrow("extKeyUsage", () => (exts.has(EXT.extKeyUsage) ? decodeExtKeyUsage(exts.get(EXT.extKeyUsage)!.value) : []));
  const ski = decodeOrThrow("subjectKeyIdentifier", () => (exts.has(EXT.subjectKeyIdentifier) ? decodeSubjectKeyIdentifier(exts.get(EXT.subjectKeyIdentifier)!.value) : undefined));
  const aki = decodeOrThrow("authorityKeyIdentifier", () => (exts.has(EXT.authorityKeyIdentifier) ? decodeAuthorityKeyIdentifier(exts.get(EXT.authorityKeyIdentifier)!.value) : undefined));
  const sans = decodeOrThrow("subjectAltName", () => (exts.has(EXT.subjectAltName) ? decodeGeneralNames(exts.get(EXT.subjectAltName)!.value) : undefined));
  const unknownCritical = [...exts].filter(([oid, e]) => e.critical && !KNOWN.has(oid)).map(([oid]) => oid);
  const isCa = bc?.ca ?? false;
  return {
    der, tbs, version: f.version, serialHex: serialHex(f.serial),
    subject: f.subject, subjectText: subject.text, subjectFields: subject.fields,
    issuer: f.issuer, issuerText: issuer.text,
    notBefore: f.notBefore, notAfter: f.notAfter,
    spki: f.spki, keyAlgorithm: key.keyAlgorithm, keyDescription: key.description,
    isCa, pathLength: isCa ? bc?.pathLength ?? null : null,
    ski, aki, keyUsage: ku ?? [], keyUsagePresent: ku !== null, extendedKeyUsage: eku, sans,
    unknownCriticalExtensions: unknownCritical,
    selfIssued: namesEqual(f.subject, f.issuer),
    signatureOid: outer.signatureOid, signature: outer.signature,
  };
}

/** True when `child`'s signature verifies with the issuer's SubjectPublicKeyInfo (RSA PKCS#1 v1.5, ECDSA DER, Ed25519). */
export function verifySignedBy(child: ParsedCertificate, issuerSpki: Uint8Array): boolean {
  return verifySignature(child.signatureOid, issuerSpki, child.tbs, child.signature);
}
