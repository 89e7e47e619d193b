/**
 * OCSP (RFC 6960): parse requests strictly, compute the issuer hashes a CertID names, encode
 * SingleResponses (precomputable per certificate), build and assemble BasicOCSPResponses, and
 * the unsigned error responses. Times are GeneralizedTime with seconds precision (§4.2.1).
 */
import { createHash } from "node:crypto";
import { errors, isStampError } from "../errors.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { DerError, TAG, childrenOf, content, derBitString, derOctetString, derOid, raw, readOctetAlignedBits, readOid, readRoot, readTime, seq, tlv, type Tlv } from "./der.js";
import { checkMinimalInteger, encodeTime, isEncodableTime } from "./der-stream.js";
import { OCSP_OID, encodeExtension } from "./extensions.js";
import { isCrlReason } from "./crl.js";
import { signatureAlgorithmDer } from "./signature.js";
import { keyIdentifier, spkiParts } from "./spki.js";

/** Largest OCSP request accepted (bytes); RFC 6960 sets none, this bounds work per request. */
export const MAX_OCSP_REQUEST_BYTES = 64 * 1024;
/** Most CertIDs accepted in one request. */
export const MAX_OCSP_CERT_IDS = 20;

/** CertID hash algorithms (RFC 6960 §4.1.1, RFC 5754 §2) → Node hash name. */
export const OCSP_HASHES: Record<string, string> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

/** One CertID of a request (RFC 6960 §4.1.1). */
export interface OcspCertId {
  /** Dotted OID of the hash (SHA-1 1.3.14.3.2.26, SHA-256 2.16.840.1.101.3.4.2.1 …); may be one Stamp does not support. */
  hashOid: string;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  /** Hex of the serial INTEGER's content octets, as parseCertificate's serialHex. */
  serialHex: string;
  /** The CertID bytes as received, echoed in the SingleResponse (§4.2.1). */
  der: Uint8Array;
}

/** A parsed OCSP request. */
export interface OcspRequest {
  certIds: OcspCertId[];
  /** The nonce OCTET STRING's contents (RFC 8954 §2.1: 1 to 32 octets). */
  nonce?: Uint8Array;
  /** True when optionalSignature was present; the signature is NOT verified (see parseOcspRequest). */
  signed: boolean;
}

/** Throws a DerError (turned into badRequest by the caller). */
function fail(message: string): never {
  throw new DerError(message);
}

/** Reads a strict Extensions list into OID → {critical, value}, refusing duplicates (RFC 5280 §4.2, RFC 6960 §4.4). */
function readStrictExtensions(buf: Uint8Array, list: Tlv): Map<string, { critical: boolean; value: Uint8Array }> {
  const out = new Map<string, { critical: boolean; value: Uint8Array }>();
  for (const ext of childrenOf(buf, list, TAG.SEQUENCE, 16)) {
    const parts = childrenOf(buf, ext, TAG.SEQUENCE, 3);
    const oid = readOid(buf, parts[0]);
    let i = 1;
    let critical = false;
    if (parts[i]?.tag === TAG.BOOLEAN) {
      const c = content(buf, parts[i++]);
      // X.690 §11.1: DER BOOLEAN is 0x00 or 0xff. An explicit FALSE (a DEFAULT written out) is tolerated.
      if (c.length !== 1 || (c[0] !== 0 && c[0] !== 0xff)) fail("malformed BOOLEAN");
      critical = c[0] === 0xff;
    }
    if (parts[i]?.tag !== TAG.OCTET_STRING || parts.length !== i + 1) fail(`malformed extension ${oid}`);
    if (out.has(oid)) fail(`duplicate extension ${oid}`);
    out.set(oid, { critical, value: content(buf, parts[i]) });
  }
  return out;
}

/** Rejects unknown critical extensions (RFC 6960 §4.4: unrecognised extensions are ignored unless critical). */
function checkCritical(exts: Map<string, { critical: boolean }>, known: readonly string[]): void {
  for (const [oid, e] of exts) if (e.critical && !known.includes(oid)) fail(`unsupported critical extension ${oid}`);
}

/** Parses one CertID (RFC 6960 §4.1.1). */
function readCertId(buf: Uint8Array, t: Tlv | undefined): OcspCertId {
  const [algT, nameT, keyT, serialT, extra] = childrenOf(buf, t, TAG.SEQUENCE, 4);
  if (!serialT || extra) fail("CertID needs hashAlgorithm, issuerNameHash, issuerKeyHash, serialNumber");
  const [oidT, paramsT] = childrenOf(buf, algT, TAG.SEQUENCE, 2);
  const hashOid = readOid(buf, oidT);
  // RFC 5754 §2: the hash AlgorithmIdentifier has absent or NULL parameters.
  if (paramsT && (paramsT.tag !== TAG.NULL || paramsT.end !== paramsT.contentStart)) fail("hash parameters must be absent or NULL");
  const issuerNameHash = content(buf, nameT);
  const issuerKeyHash = content(buf, keyT);
  if (nameT.tag !== TAG.OCTET_STRING || keyT.tag !== TAG.OCTET_STRING) fail("issuer hashes must be OCTET STRINGs");
  if (issuerNameHash.length === 0 || issuerNameHash.length > 64 || issuerKeyHash.length === 0 || issuerKeyHash.length > 64) fail("issuer hashes must be 1 to 64 octets");
  if (serialT.tag !== TAG.INTEGER) fail("serialNumber must be an INTEGER");
  const serial = content(buf, serialT);
  checkMinimalInteger(serial);
  if (serial.length > 21) fail("serialNumber longer than 20 octets (RFC 5280 §4.1.2.2)");
  return { hashOid, issuerNameHash, issuerKeyHash, serialHex: Buffer.from(serial).toString("hex"), der: raw(buf, t!) };
}

/** The nonce from an id-pkix-ocsp-nonce extnValue: a DER OCTET STRING of 1 to 32 octets (RFC 8954 §2.1). */
function readNonce(value: Uint8Array): Uint8Array {
  const nonce = content(value, readRoot(value, TAG.OCTET_STRING));
  // RFC 8954 §2.1: a server MUST reject nonces of 0 or more than 32 octets with malformedRequest.
  if (nonce.length < 1 || nonce.length > 32) fail("the nonce must be 1 to 32 octets (RFC 8954 §2.1)");
  return nonce;
}

/**
 * Parses a DER OCSPRequest (RFC 6960 §4.1.1) strictly: definite minimal lengths, no trailing
 * bytes, at most 64 KiB and 20 CertIDs, nonce 1..32 octets, no unknown critical extensions.
 * A signed request is accepted but its signature is not checked: Stamp's responder serves
 * public status information and RFC 6960 §4.1.2 makes request signing optional. Throws a
 * StampError bad_request on anything malformed; the server answers malformedRequest.
 */
export function parseOcspRequest(der: Uint8Array): OcspRequest {
  if (!(der instanceof Uint8Array) || der.length === 0) throw errors.badRequest("The OCSP request is empty.");
  if (der.length > MAX_OCSP_REQUEST_BYTES) throw errors.badRequest(`The OCSP request is larger than ${MAX_OCSP_REQUEST_BYTES / 1024} KiB.`);
  try {
    const [tbsT, sigT, extra] = childrenOf(der, readRoot(der, TAG.SEQUENCE), TAG.SEQUENCE, 2);
    if (extra || (sigT && sigT.tag !== 0xa0)) fail("unexpected fields after tbsRequest");
    const parts = childrenOf(der, tbsT, TAG.SEQUENCE, 4);
    let i = 0;
    if (parts[i]?.tag === 0xa0) {
      // version [0] EXPLICIT DEFAULT v1: only v1 (0) exists; an explicit v1 is tolerated.
      const [v, more] = childrenOf(der, parts[i++], 0xa0, 1);
      const c = content(der, v ?? fail("empty version"));
      if (more || v.tag !== TAG.INTEGER || c.length !== 1 || c[0] !== 0) fail("unsupported OCSP request version");
    }
    if (parts[i]?.tag === 0xa1) i++; // requestorName [1] EXPLICIT GeneralName: not used
    const listT = parts[i++];
    const requests = childrenOf(der, listT, TAG.SEQUENCE, MAX_OCSP_CERT_IDS);
    if (requests.length === 0) fail("requestList is empty");
    let nonce: Uint8Array | undefined;
    if (parts[i]?.tag === 0xa2) {
      const [list, more] = childrenOf(der, parts[i++], 0xa2, 1);
      if (!list || more) fail("malformed requestExtensions");
      const exts = readStrictExtensions(der, list);
      checkCritical(exts, [OCSP_OID.nonce]);
      const n = exts.get(OCSP_OID.nonce);
      if (n) nonce = readNonce(n.value);
    }
    if (i !== parts.length) fail("unexpected fields in tbsRequest");
    const certIds = requests.map((r) => {
      const [certT, extsT, more] = childrenOf(der, r, TAG.SEQUENCE, 2);
      if (more || (extsT && extsT.tag !== 0xa0)) fail("malformed Request");
      if (extsT) {
        const [list, more2] = childrenOf(der, extsT, 0xa0, 1);
        if (!list || more2) fail("malformed singleRequestExtensions");
        checkCritical(readStrictExtensions(der, list), []);
      }
      return readCertId(der, certT);
    });
    if (sigT) {
      // Signature ::= SEQUENCE { signatureAlgorithm, signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
      const [sig, more] = childrenOf(der, sigT, 0xa0, 1);
      if (!sig || more) fail("malformed optionalSignature");
      const [algT, bitsT, certsT, more2] = childrenOf(der, sig, TAG.SEQUENCE, 3);
      childrenOf(der, algT, TAG.SEQUENCE, 2);
      if (bitsT?.tag !== TAG.BIT_STRING || more2 || (certsT && certsT.tag !== 0xa0)) fail("malformed optionalSignature");
    }
    return nonce ? { certIds, nonce, signed: !!sigT } : { certIds, signed: !!sigT };
  } catch (e) {
    if (isStampError(e)) throw e;
    throw errors.badRequest(`The OCSP request could not be parsed: ${(e as Error).message}.`);
  }
}

/**
 * The CertID hashes of an issuer (RFC 6960 §4.1.1): nameHash over the issuer's subject Name DER,
 * keyHash over the subjectPublicKey BIT STRING's value without the unused-bits octet (as OpenSSL
 * and every client compute it). Throws badRequest for a hash Stamp does not support.
 */
export function issuerHashes(issuerSubject: Uint8Array, issuerSpki: Uint8Array, hashOid: string): { nameHash: Uint8Array; keyHash: Uint8Array } {
  const alg = OCSP_HASHES[hashOid];
  if (!alg) throw errors.badRequest(`The OCSP CertID hash algorithm ${hashOid} is not supported.`);
  const h = (b: Uint8Array) => new Uint8Array(createHash(alg).update(b).digest());
  return { nameHash: h(issuerSubject), keyHash: h(spkiParts(issuerSpki).publicKey) };
}

/** The responder's byKey ResponderID value (RFC 6960 §4.2.1): SHA-1 of its subjectPublicKey BIT STRING value. */
export function responderKeyHash(responderSpki: Uint8Array): Uint8Array {
  return keyIdentifier(responderSpki);
}

/** The status of one certificate (RFC 6960 §2.2). */
export type OcspStatus = { kind: "good" } | { kind: "revoked"; revokedAt: Date; reasonCode?: number } | { kind: "unknown" };

/** What one SingleResponse says (RFC 6960 §4.2.1). */
export interface OcspSingle {
  /** The request's CertID bytes, echoed as received. */
  certIdDer: Uint8Array;
  status: OcspStatus;
  thisUpdate: Date;
  nextUpdate: Date;
}

/** GeneralizedTime, seconds precision, "Z" (RFC 6960 §4.2.1; no fractional seconds, as OpenSSL expects). */
function gt(d: Date): Uint8Array {
  return encodeTime(d, true);
}

/**
 * Encodes one SingleResponse (RFC 6960 §4.2.1); precomputable and cacheable per certificate.
 * A revoked status carries revocationReason only for a reason other than unspecified (0),
 * mirroring RFC 5280 §5.3.1; removeFromCRL (8) is refused: a released hold is "good".
 */
export function encodeSingleResponse(s: OcspSingle): Uint8Array {
  if (!(s.certIdDer instanceof Uint8Array) || s.certIdDer[0] !== TAG.SEQUENCE) throw errors.internal("certIdDer must be a CertID SEQUENCE.");
  if (!isEncodableTime(s.thisUpdate) || !isEncodableTime(s.nextUpdate) || s.nextUpdate.getTime() <= s.thisUpdate.getTime()) {
    throw errors.badRequest("thisUpdate and nextUpdate must be valid times with nextUpdate later (RFC 6960 §4.2.1).");
  }
  let status: Uint8Array;
  if (s.status.kind === "good") status = Uint8Array.of(0x80, 0); // good [0] IMPLICIT NULL
  else if (s.status.kind === "unknown") status = Uint8Array.of(0x82, 0); // unknown [2] IMPLICIT NULL
  else {
    const { revokedAt, reasonCode } = s.status;
    if (!isEncodableTime(revokedAt)) throw errors.badRequest("revokedAt must be a valid time.");
    if (reasonCode !== undefined && (!isCrlReason(reasonCode) || reasonCode === 8)) throw errors.badRequest("reasonCode must be a CRLReason other than removeFromCRL (RFC 5280 §5.3.1, RFC 6960 §2.2).");
    // revoked [1] IMPLICIT RevokedInfo { revocationTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
    const reason = reasonCode ? tlv(0xa0, Uint8Array.of(0x0a, 1, reasonCode)) : new Uint8Array(0);
    status = tlv(0xa1, Buffer.concat([gt(revokedAt), reason]));
  }
  return seq(s.certIdDer, status, gt(s.thisUpdate), tlv(0xa0, gt(s.nextUpdate)));
}

/** What a ResponseData is made of (RFC 6960 §4.2.1). */
export interface ResponseDataInput {
  /** SHA-1 of the responder's subjectPublicKey BIT STRING value (ResponderID byKey); see responderKeyHash. */
  responderKeyHash: Uint8Array;
  producedAt: Date;
  /** Encoded SingleResponses, in request order. */
  responses: Uint8Array[];
  /** The request's nonce contents, echoed (RFC 8954 §2.1). */
  nonce?: Uint8Array;
}

/** Builds the tbsResponseData (RFC 6960 §4.2.1): version v1 (default, omitted), byKey ResponderID, producedAt, responses, the nonce extension when given. */
export function buildResponseData(input: ResponseDataInput): Uint8Array {
  if (input.responses.length === 0) throw errors.internal("An OCSP response needs at least one SingleResponse.");
  if (input.responderKeyHash.length !== 20) throw errors.internal("responderKeyHash must be a 20-byte SHA-1 (RFC 6960 §4.2.1 KeyHash).");
  if (!isEncodableTime(input.producedAt)) throw errors.internal("producedAt must be a valid time.");
  if (input.nonce && (input.nonce.length < 1 || input.nonce.length > 32)) throw errors.internal("The nonce must be 1 to 32 octets (RFC 8954 §2.1).");
  const parts = [
    tlv(0xa2, derOctetString(input.responderKeyHash)), // byKey [2] KeyHash (EXPLICIT tagging in the RFC 6960 module)
    gt(input.producedAt),
    seq(...input.responses),
  ];
  // RFC 8954 §2.1 / RFC 6960 §4.4.1: extnValue is the DER of Nonce ::= OCTET STRING; non-critical.
  if (input.nonce) parts.push(tlv(0xa1, seq(encodeExtension(OCSP_OID.nonce, false, derOctetString(input.nonce)))));
  return seq(...parts);
}

/** OCSPResponseStatus values (RFC 6960 §4.2.1); 4 is unused. */
export const OCSP_RESPONSE_STATUS = { successful: 0, malformedRequest: 1, internalError: 2, tryLater: 3, sigRequired: 5, unauthorized: 6 } as const;

/** Assembles a successful OCSPResponse carrying an id-pkix-ocsp-basic BasicOCSPResponse (RFC 6960 §4.2.1); `certs` e.g. the delegated responder's certificate. */
export function assembleOcspResponse(responseData: Uint8Array, signerAlgorithm: KeyAlgorithm, signature: Uint8Array, certs: Uint8Array[]): Uint8Array {
  const basic = seq(
    responseData,
    signatureAlgorithmDer(signerAlgorithm),
    derBitString(signature),
    ...(certs.length ? [tlv(0xa0, seq(...certs))] : []),
  );
  return seq(Uint8Array.of(0x0a, 1, 0), tlv(0xa0, seq(derOid(OCSP_OID.basicResponse), derOctetString(basic))));
}

/** An unsuccessful OCSPResponse: the status alone, no responseBytes (RFC 6960 §2.3, §4.2.1). */
export function ocspErrorResponse(status: "malformedRequest" | "internalError" | "tryLater" | "sigRequired" | "unauthorized"): Uint8Array {
  return Uint8Array.of(TAG.SEQUENCE, 3, 0x0a, 1, OCSP_RESPONSE_STATUS[status]);
}

/** One SingleResponse as parseOcspResponse reads it. */
export interface ParsedSingleResponse {
  serialHex: string;
  hashOid: string;
  certIdDer: Uint8Array;
  status: "good" | "revoked" | "unknown";
  thisUpdate: Date;
  nextUpdate: Date | null;
  revokedAt: Date | null;
  reason: number | null;
}

/** A parsed OCSPResponse (enough for tests and sanity checks). */
export interface ParsedOcspResponse {
  responseStatus: keyof typeof OCSP_RESPONSE_STATUS | "unknown";
  responses: ParsedSingleResponse[];
  nonce: Uint8Array | null;
  certs: number;
  responderKeyHash: Uint8Array | null;
  producedAt: Date | null;
  /** tbsResponseData as signed; null for error responses. */
  tbs: Uint8Array | null;
  signatureOid: string | null;
  signature: Uint8Array | null;
}

/** Parses an OCSPResponse (RFC 6960 §4.2.1); malformed input is a bad request. */
export function parseOcspResponse(der: Uint8Array): ParsedOcspResponse {
  try {
    const [statusT, bytesT, extra] = childrenOf(der, readRoot(der, TAG.SEQUENCE), TAG.SEQUENCE);
    const sc = content(der, statusT);
    if (statusT?.tag !== 0x0a || sc.length !== 1 || extra) fail("malformed OCSPResponse");
    const name = (Object.keys(OCSP_RESPONSE_STATUS) as (keyof typeof OCSP_RESPONSE_STATUS)[]).find((k) => OCSP_RESPONSE_STATUS[k] === sc[0]) ?? "unknown";
    const out: ParsedOcspResponse = { responseStatus: name, responses: [], nonce: null, certs: 0, responderKeyHash: null, producedAt: null, tbs: null, signatureOid: null, signature: null };
    if (!bytesT) return out;
    const [rb] = childrenOf(der, bytesT, 0xa0);
    const [typeT, respT] = childrenOf(der, rb, TAG.SEQUENCE);
    if (readOid(der, typeT) !== OCSP_OID.basicResponse) fail("not an id-pkix-ocsp-basic response");
    const basic = content(der, respT);
    const [tbsT, algT, sigT, certsT] = childrenOf(basic, readRoot(basic, TAG.SEQUENCE), TAG.SEQUENCE);
    out.tbs = raw(basic, tbsT);
    out.signatureOid = readOid(basic, childrenOf(basic, algT, TAG.SEQUENCE)[0]);
    out.signature = readOctetAlignedBits(basic, sigT);
    if (certsT) out.certs = childrenOf(basic, childrenOf(basic, certsT, 0xa0)[0], TAG.SEQUENCE).length;
    const parts = childrenOf(basic, tbsT, TAG.SEQUENCE);
    let i = 0;
    if (parts[i]?.tag === 0xa0) i++;
    const rid = parts[i++];
    if (rid?.tag === 0xa2) out.responderKeyHash = content(basic, childrenOf(basic, rid, 0xa2)[0]);
    out.producedAt = readTime(basic, parts[i++]);
    for (const sr of childrenOf(basic, parts[i++], TAG.SEQUENCE)) {
      const [certT, statusT2, thisT, ...rest] = childrenOf(basic, sr, TAG.SEQUENCE);
      const [algT2, , , serialT] = childrenOf(basic, certT, TAG.SEQUENCE);
      let revokedAt: Date | null = null;
      let reason: number | null = null;
      const status = statusT2.tag === 0x80 ? "good" : statusT2.tag === 0xa1 ? "revoked" : statusT2.tag === 0x82 ? "unknown" : fail("bad CertStatus");
      if (status === "revoked") {
        const [timeT, reasonT] = childrenOf(basic, statusT2, 0xa1);
        revokedAt = readTime(basic, timeT);
        if (reasonT) reason = content(basic, childrenOf(basic, reasonT, 0xa0)[0])[0];
      }
      const nextT = rest.find((t) => t.tag === 0xa0);
      out.responses.push({
        serialHex: Buffer.from(content(basic, serialT)).toString("hex"),
        hashOid: readOid(basic, childrenOf(basic, algT2, TAG.SEQUENCE)[0]),
        certIdDer: raw(basic, certT),
        status, thisUpdate: readTime(basic, thisT), nextUpdate: nextT ? readTime(basic, childrenOf(basic, nextT, 0xa0)[0]) : null, revokedAt, reason,
      });
    }
    if (parts[i]?.tag === 0xa1) {
      for (const ext of childrenOf(basic, childrenOf(basic, parts[i], 0xa1)[0], TAG.SEQUENCE)) {
        const [oidT, ...more] = childrenOf(basic, ext, TAG.SEQUENCE);
        if (readOid(basic, oidT) === OCSP_OID.nonce) {
          const v = content(basic, more[more.length - 1]);
          out.nonce = content(v, readRoot(v, TAG.OCTET_STRING));
        }
      }
    }
    return out;
  } catch (e) {
    if (isStampError(e)) throw e;
    throw errors.badRequest(`The OCSP response could not be parsed: ${(e as Error).message}.`);
  }
}
