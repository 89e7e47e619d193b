/** PKCS#10 certificate requests (RFC 2986): build, assemble and parse with signature check. */
import type { KeyObject } from "node:crypto";
import { errors, isStampError } from "../errors.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { DerError, TAG, children, childrenOf, content, derBitString, derOid, derSmallInt, raw, readOctetAlignedBits, readOid, readRoot, readSmallInt, seq, setOf, tlv, type Tlv } from "./der.js";
import {
  EXT, decodeBasicConstraints, decodeExtKeyUsage, decodeGeneralNames, decodeKeyUsage, encodeExtension, readExtensions, type SubjectAltNames,
} from "./extensions.js";
import { decodeName, type DnFields } from "./name.js";
import { derFromPemOrDer } from "./pem.js";
import { signatureAlgorithmDer, verifySignature, verifySignatureAsync } from "./signature.js";
import { describeSpki, publicKeyObject } from "./spki.js";

/** CSRs larger than this are refused before parsing. */
export const MAX_CSR_BYTES = 64 * 1024;

const EXTENSION_REQUEST = "1.2.840.113549.1.9.14"; // PKCS#9 extensionRequest (RFC 2985 §5.4.2)
const CHALLENGE_PASSWORD = "1.2.840.113549.1.9.7"; // PKCS#9 challengePassword (RFC 2985 §5.4.1), used by SCEP

/**
 * Requested extensions Stamp reads (docs/csr.md): subjectAltName, keyUsage and extKeyUsage are
 * honoured, basicConstraints is read so that cA TRUE can be refused, and subjectKeyIdentifier is
 * ignored because Stamp writes its own (RFC 5280 §4.2.1.2). Any other extension is ignored when
 * non-critical and reported in `unknownCritical` when critical.
 */
const KNOWN_EXTENSIONS: readonly string[] = [EXT.subjectAltName, EXT.keyUsage, EXT.extKeyUsage, EXT.basicConstraints, EXT.subjectKeyIdentifier];

/** Extensions the requester asked for in an extensionRequest attribute. */
export interface RequestedExtensions {
  /** Whether an extensionRequest attribute was present at all. */
  present: boolean;
  sans?: SubjectAltNames;
  basicConstraints?: { ca: boolean; pathLength: number | null };
  keyUsage?: string[];
  extendedKeyUsage?: string[];
  /** OIDs of every requested extension, in order of the map. */
  oids: string[];
  /** OIDs of requested critical extensions Stamp does not know (RFC 5280 §4.2: a critical extension must not be dropped silently). */
  unknownCritical?: string[];
}

/** A parsed certificate request; byte fields are slices of the request's DER. */
export interface ParsedCsr {
  der: Uint8Array;
  subject: Uint8Array;
  subjectText: string;
  subjectFields: DnFields & Record<string, string>;
  /** Every commonName value in the subject (subjectFields keeps only the first). */
  commonNames: string[];
  spki: Uint8Array;
  keyAlgorithm: KeyAlgorithm | null;
  keyDescription: string;
  signatureOid: string;
  /** The request is signed by the key it carries (proof of possession, RFC 2986 §3). */
  signatureValid: boolean;
  requestedExtensions: RequestedExtensions;
  challengePassword?: string;
}

/**
 * Builds a CertificationRequestInfo (RFC 2986 §4.1): version 0, subject, key, and no attributes,
 * or with `dnsNames` an extensionRequest (RFC 2985 §5.4.2) for a subjectAltName of those dNSNames
 * ([2] IA5String, RFC 5280 §4.2.1.6): an ACME CA issues exactly the CSR's names (RFC 8555 §7.4).
 */
export function buildCsrInfo(subject: Uint8Array, spki: Uint8Array, dnsNames: readonly string[] = []): Uint8Array {
  const san = dnsNames.length ? seq(derOid(EXTENSION_REQUEST), setOf(seq(encodeExtension(EXT.subjectAltName, false, seq(...dnsNames.map((n) => tlv(0x82, new TextEncoder().encode(n)))))))) : null;
  return seq(derSmallInt(0), subject, spki, san ? tlv(0xa0, san) : tlv(0xa0, new Uint8Array(0)));
}

/** Assembles a CertificationRequest (RFC 2986 §4.2) from the info and its signature by the subject key. */
export function assembleCsr(info: Uint8Array, signerAlgorithm: KeyAlgorithm, signature: Uint8Array): Uint8Array {
  return seq(info, signatureAlgorithmDer(signerAlgorithm), derBitString(signature));
}

/** Decodes the attributes we act on from the [0] attributes set. */
function readAttributes(der: Uint8Array, attrs: Tlv | undefined): { requested: RequestedExtensions; challengePassword?: string } {
  const requested: RequestedExtensions = { present: false, oids: [] };
  let challengePassword: string | undefined;
  for (const attr of attrs ? children(der, attrs) : []) {
    const [typeT, valuesT, extra] = childrenOf(der, attr, TAG.SEQUENCE);
    if (!valuesT || extra) throw new DerError("malformed attribute");
    const type = readOid(der, typeT);
    const values = childrenOf(der, valuesT, TAG.SET);
    if (type === EXTENSION_REQUEST) {
      if (values.length !== 1 || requested.present) throw new DerError("extensionRequest must have exactly one value");
      const exts = readExtensions(der, values[0]);
      requested.present = true;
      requested.oids = [...exts.keys()];
      const unknownCritical = [...exts].filter(([oid, e]) => e.critical && !KNOWN_EXTENSIONS.includes(oid)).map(([oid]) => oid);
      if (unknownCritical.length) requested.unknownCritical = unknownCritical;
      const get = (oid: string) => exts.get(oid)?.value;
      const san = get(EXT.subjectAltName);
      if (san) requested.sans = decodeGeneralNames(san);
      const bc = get(EXT.basicConstraints);
      if (bc) requested.basicConstraints = decodeBasicConstraints(bc);
      const ku = get(EXT.keyUsage);
      if (ku) requested.keyUsage = decodeKeyUsage(ku);
      const eku = get(EXT.extKeyUsage);
      if (eku) requested.extendedKeyUsage = decodeExtKeyUsage(eku);
    } else if (type === CHALLENGE_PASSWORD && values.length === 1) {
      const v = values[0];
      if (![TAG.UTF8_STRING, TAG.PRINTABLE_STRING, TAG.IA5_STRING].includes(v.tag as 0x0c)) throw new DerError("challengePassword must be a string");
      challengePassword = new TextDecoder("utf-8", { fatal: true }).decode(content(der, v));
    }
  }
  return { requested, challengePassword };
}

/**
 * Parses a CSR from PEM ("CERTIFICATE REQUEST" or legacy "NEW CERTIFICATE REQUEST"), DER or
 * base64, and checks its self-signature. Strict: one PEM block, DER only (minimal lengths, no
 * trailing bytes, X.690 §10.1); RSASSA-PSS signatures are checked with their parameters.
 */
export function parseCsr(input: string | Uint8Array): ParsedCsr {
  const { csr, check: c } = readCsr(input);
  return { ...csr, signatureValid: verifySignature(c.signatureOid, csr.spki, c.info, c.signature, c.parameters, c.key) };
}

/** parseCsr with the self-signature checked on libuv's thread pool (the issuance path: the event loop serves others meanwhile). */
export async function parseCsrAsync(input: string | Uint8Array): Promise<ParsedCsr> {
  const { csr, check: c } = readCsr(input);
  return { ...csr, signatureValid: await verifySignatureAsync(c.signatureOid, c.info, c.signature, c.parameters, c.key) };
}

/** The CSR's fields, and what checking its self-signature takes. */
function readCsr(input: string | Uint8Array): { csr: Omit<ParsedCsr, "signatureValid">; check: { signatureOid: string; info: Uint8Array; signature: Uint8Array; parameters: Uint8Array | undefined; key: KeyObject | null } } {
  if (input.length > MAX_CSR_BYTES) throw errors.badRequest(`The CSR is larger than ${MAX_CSR_BYTES / 1024} KiB.`);
  const der = derFromPemOrDer(input, "CERTIFICATE REQUEST", ["NEW CERTIFICATE REQUEST"], { single: true });
  try {
    const [infoT, algT, sigT, extra] = childrenOf(der, readRoot(der, TAG.SEQUENCE), TAG.SEQUENCE);
    if (!sigT || extra) throw new DerError("expected certificationRequestInfo, signatureAlgorithm, signature");
    const [oidT, paramsT, extraAlg] = childrenOf(der, algT, TAG.SEQUENCE);
    if (extraAlg) throw new DerError("malformed signatureAlgorithm");
    const signatureOid = readOid(der, oidT);
    const signature = readOctetAlignedBits(der, sigT);
    const [versionT, subjectT, spkiT, attrsT, extraInfo] = childrenOf(der, infoT, TAG.SEQUENCE);
    if (!spkiT || extraInfo || (attrsT && attrsT.tag !== 0xa0)) throw new DerError("malformed certificationRequestInfo");
    if (readSmallInt(der, versionT) !== 0) throw new DerError("unsupported version (RFC 2986 §4.1 requires 0)");
    expectSeq(subjectT);
    expectSeq(spkiT);
    const subject = raw(der, subjectT);
    const spki = raw(der, spkiT);
    const name = decodeName(subject);
    // One KeyObject for both the description and the signature check (each parse costs ~100 µs).
    const keyObject = publicKeyObject(spki);
    const key = describeSpki(spki, keyObject);
    const { requested, challengePassword } = readAttributes(der, attrsT);
    return {
      csr: {
        der, subject, subjectText: name.text, subjectFields: name.fields, commonNames: name.commonNames, spki,
        keyAlgorithm: key.keyAlgorithm, keyDescription: key.description, signatureOid,
        requestedExtensions: requested, challengePassword,
      },
      check: { signatureOid, info: raw(der, infoT), signature, parameters: paramsT && raw(der, paramsT), key: keyObject },
    };
  } catch (e) {
    if (isStampError(e)) throw errors.badRequest(`The CSR could not be parsed: ${e.message}`);
    throw errors.badRequest(`The CSR could not be parsed: ${(e as Error).message}.`);
  }
}

/** Throws unless the element is a SEQUENCE. */
function expectSeq(t: Tlv): void {
  if (t.tag !== TAG.SEQUENCE) throw new DerError("expected a SEQUENCE");
}
