/**
 * SCEP's CMS messages (RFC 8894 §3): the signed pkiMessage around an encrypted pkcsPKIEnvelope.
 * Pure: the structures come from @peculiar/asn1-cms; private-key operations, random content
 * keys and nonces come in as arguments, so the RA key never enters this module.
 */
import { createDecipheriv, createHash, createPublicKey, timingSafeEqual, verify as cryptoVerify } from "node:crypto";
import { AsnArray, AsnConvert, AsnProp, AsnType, AsnTypeTypes } from "@peculiar/asn1-schema";
import {
  Attribute,
  ContentInfo,
  EnvelopedData,
  IssuerAndSerialNumber,
  SignedData,
  id_envelopedData,
  id_signedData,
} from "@peculiar/asn1-cms";
import { Certificate, Name } from "@peculiar/asn1-x509";
import { errors } from "../errors.js";
import { readRoot, TAG, content as derContent } from "./der.js";

/** RFC 8894 §3.2.1: the SCEP signed attributes. */
export const SCEP_OID = {
  messageType: "2.16.840.1.113733.1.9.2",
  pkiStatus: "2.16.840.1.113733.1.9.3",
  failInfo: "2.16.840.1.113733.1.9.4",
  senderNonce: "2.16.840.1.113733.1.9.5",
  recipientNonce: "2.16.840.1.113733.1.9.6",
  transactionID: "2.16.840.1.113733.1.9.7",
} as const;
export const CONTENT_TYPE = "1.2.840.113549.1.9.3";
export const MESSAGE_DIGEST = "1.2.840.113549.1.9.4";
export const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";

/** RFC 8894 §3.2.1.2: message types. */
export const MESSAGE_TYPE = { CertRep: "3", RenewalReq: "17", UpdateReq: "18", PKCSReq: "19", CertPoll: "20", GetCert: "21", GetCRL: "22" } as const;
/** RFC 8894 §3.2.1.3 / §3.2.1.4: pkiStatus and failInfo values. */
export type PkiStatus = "0" | "2" | "3";
export const FAIL_INFO = { badAlg: "0", badMessageCheck: "1", badRequest: "2", badTime: "3", badCertId: "4" } as const;
export type FailInfo = keyof typeof FAIL_INFO;

/** Digests a client may sign with (RFC 8894 §3.5.2: SHA-1 for older clients, SHA-2 otherwise). */
export const SCEP_DIGESTS: Record<string, "sha1" | "sha256" | "sha384" | "sha512"> = {
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};
/** Content-encryption algorithms (RFC 8894 §3.5.2). DES is read as 3DES with one key three times (EDE with K1=K2=K3 is DES). */
export const CIPHERS: Record<string, { name: string; keyLength: number; ivLength: number }> = {
  "1.3.14.3.2.7": { name: "des-cbc", keyLength: 8, ivLength: 8 },
  "1.2.840.113549.3.7": { name: "des-ede3-cbc", keyLength: 24, ivLength: 8 },
  "2.16.840.1.101.3.4.1.2": { name: "aes-128-cbc", keyLength: 16, ivLength: 16 },
  "2.16.840.1.101.3.4.1.22": { name: "aes-192-cbc", keyLength: 24, ivLength: 16 },
  "2.16.840.1.101.3.4.1.42": { name: "aes-256-cbc", keyLength: 32, ivLength: 16 },
};
/** The OID of each cipher Stamp encrypts replies with. */
export const CIPHER_OID = { "des-ede3-cbc": "1.2.840.113549.3.7", "aes-128-cbc": "2.16.840.1.101.3.4.1.2", "aes-256-cbc": "2.16.840.1.101.3.4.1.42" } as const;
export type ReplyCipher = keyof typeof CIPHER_OID;

/** The most a pkiMessage may weigh (a CSR and a self-signed certificate fit many times over). */
export const MAX_PKI_MESSAGE_BYTES = 64 * 1024;

const bad = (m: string) => errors.badRequest(`The SCEP message could not be read: ${m}.`);
export const u8 = (b: ArrayBuffer | Uint8Array) => (b instanceof Uint8Array ? b : new Uint8Array(b));
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && timingSafeEqual(a, b);

/** SignedAttributes as the SET OF that is signed (RFC 5652 §5.4). */
@AsnType({ type: AsnTypeTypes.Set, itemType: Attribute })
export class SignedAttrsSet extends AsnArray<Attribute> {
  constructor(items?: Attribute[]) {
    super(items);
    Object.setPrototypeOf(this, SignedAttrsSet.prototype);
  }
}

/** A pkiMessage as read, its signature checked against the certificate it carries. */
export interface PkiMessage {
  messageType: string;
  transactionId: string;
  senderNonce: Uint8Array;
  /** The hash the client signed with (node name), used again for the reply. */
  digest: "sha1" | "sha256" | "sha384" | "sha512";
  /** The certificate that signed: self-signed for a first request, the current one for renewal. */
  signerCert: Uint8Array;
  /** The pkcsPKIEnvelope (a ContentInfo of EnvelopedData). */
  envelope: Uint8Array;
}

function attrValue(attrs: Attribute[], oid: string): Uint8Array | undefined {
  const a = attrs.filter((x) => x.attrType === oid);
  if (a.length > 1 || (a.length === 1 && a[0].attrValues.length !== 1)) throw bad(`attribute ${oid} must appear once with one value`);
  return a.length ? u8(a[0].attrValues[0]) : undefined;
}
/** The content of a DER string of one of `tags`. */
function readString(v: Uint8Array | undefined, tags: number[], what: string): Uint8Array {
  if (!v) throw bad(`${what} is missing`);
  const t = readRoot(v, v[0]);
  if (!tags.includes(t.tag)) throw bad(`${what} has the wrong type`);
  return derContent(v, t);
}
const printable = (v: Uint8Array | undefined, what: string) => {
  const s = Buffer.from(readString(v, [TAG.PRINTABLE_STRING, TAG.UTF8_STRING, TAG.IA5_STRING], what)).toString("latin1");
  if (s.length === 0 || s.length > 128) throw bad(`${what} must be 1 to 128 characters`);
  return s;
};

function sameIssuerSerial(ias: IssuerAndSerialNumber, cert: Certificate): boolean {
  return same(u8(AsnConvert.serialize(ias.issuer)), u8(AsnConvert.serialize(cert.tbsCertificate.issuer))) && same(stripZeros(u8(ias.serialNumber)), stripZeros(u8(cert.tbsCertificate.serialNumber)));
}
function stripZeros(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/** Reads a DER ContentInfo of the given type and returns its content. */
function contentOf(der: Uint8Array, type: string, what: string): ArrayBuffer {
  let ci: ContentInfo;
  try {
    ci = AsnConvert.parse(der, ContentInfo);
  } catch {
    throw bad(`${what} is not a CMS ContentInfo`);
  }
  if (ci.contentType !== type) throw bad(`${what} is ${ci.contentType}, not ${type}`);
  return ci.content;
}

/**
 * Reads a pkiMessage (RFC 8894 §3.2): one SignerInfo with the SCEP signed attributes, signed by
 * a certificate the message carries; the messageDigest and the signature are checked here.
 */
export function parsePkiMessage(der: Uint8Array): PkiMessage {
  return guard(() => readPkiMessage(der));
}

/** Runs a reader, turning whatever a malformed input makes it throw into a bad request. */
function guard<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof Error && "kind" in e) throw e;
    throw bad("it is malformed");
  }
}

function readPkiMessage(der: Uint8Array): PkiMessage {
  if (der.length === 0 || der.length > MAX_PKI_MESSAGE_BYTES) throw bad(`it must be 1 to ${MAX_PKI_MESSAGE_BYTES} bytes`);
  let sd: SignedData;
  try {
    sd = AsnConvert.parse(contentOf(der, id_signedData, "the message"), SignedData);
  } catch (e) {
    if (e instanceof Error && "kind" in e) throw e;
    throw bad("its SignedData is malformed");
  }
  if (sd.signerInfos.length !== 1) throw bad("it must have exactly one signer");
  const si = sd.signerInfos[0];
  const attrs = si.signedAttrs;
  if (!attrs || attrs.length === 0) throw bad("it has no signed attributes");
  const digest = SCEP_DIGESTS[si.digestAlgorithm.algorithm];
  if (!digest) throw bad(`digest ${si.digestAlgorithm.algorithm} is not supported (SHA-1, SHA-256, SHA-384 or SHA-512)`);
  const certs = (sd.certificates ?? []).flatMap((c) => (c.certificate ? [c.certificate] : []));
  const ias = si.sid.issuerAndSerialNumber;
  const signer = ias ? certs.find((c) => sameIssuerSerial(ias, c)) : undefined;
  if (!signer) throw bad("it does not carry the certificate of its signer");
  const eContent = sd.encapContentInfo.eContent;
  const envelope = eContent?.single ? u8(eContent.single.buffer) : eContent?.any ? unwrapOctets(u8(eContent.any)) : undefined;
  if (!envelope) throw bad("it has no pkcsPKIEnvelope");
  // RFC 5652 §5.4: the signature covers the DER SET OF the signed attributes (re-encoded from
  // the parsed values, which keep their bytes; the client had to send them in DER too).
  const signed = u8(AsnConvert.serialize(new SignedAttrsSet(attrs)));
  const md = readString(attrValue(attrs, MESSAGE_DIGEST), [TAG.OCTET_STRING], "messageDigest");
  if (!same(md, createHash(digest).update(envelope).digest())) throw bad("its messageDigest does not match its content");
  const signerDer = u8(AsnConvert.serialize(signer));
  let ok = false;
  try {
    const key = createPublicKey({ key: Buffer.from(AsnConvert.serialize(signer.tbsCertificate.subjectPublicKeyInfo)), format: "der", type: "spki" });
    ok = cryptoVerify(digest, signed, key, u8(si.signature.buffer));
  } catch {
    ok = false;
  }
  if (!ok) throw bad("its signature does not verify with the certificate it carries");
  return {
    messageType: printable(attrValue(attrs, SCEP_OID.messageType), "messageType"),
    transactionId: printable(attrValue(attrs, SCEP_OID.transactionID), "transactionID"),
    senderNonce: (() => {
      const n = readString(attrValue(attrs, SCEP_OID.senderNonce), [TAG.OCTET_STRING], "senderNonce");
      if (n.length < 8 || n.length > 64) throw bad("senderNonce must be 8 to 64 bytes");
      return n;
    })(),
    digest,
    signerCert: signerDer,
    envelope,
  };
}

function unwrapOctets(b: Uint8Array): Uint8Array {
  const t = readRoot(b, b[0]);
  if (t.tag !== TAG.OCTET_STRING) throw bad("the encapsulated content is not an OCTET STRING");
  return derContent(b, t);
}

/** What a raw RSA private-key operation on the RA key returns (the padded block, RFC 8017 §7.2.2 before unpadding). */
export type RawRsaDecrypt = (block: Uint8Array) => Promise<Uint8Array>;

/**
 * Opens the pkcsPKIEnvelope for the RA certificate (RFC 8894 §3.2.2): finds its
 * KeyTransRecipientInfo, unwraps the content key and decrypts. A bad PKCS#1 padding yields
 * `fallbackKey` instead of an error (implicit rejection, RFC 5246 §7.4.7.1), so the answer never
 * tells a padding oracle whether the padding was right.
 */
export async function openEnvelope(envelopeDer: Uint8Array, raCertDer: Uint8Array, rsaDecrypt: RawRsaDecrypt, fallbackKey: Uint8Array): Promise<{ plaintext: Uint8Array; cipherOid: string }> {
  const { ktri, cipher, iv, data, cipherOid } = guard(() => readEnvelope(envelopeDer, raCertDer));
  const block = await rsaDecrypt(u8(ktri.encryptedKey.buffer));
  const fallback = fallbackKey.subarray(0, cipher.keyLength);
  const key = unpadPkcs1(block, cipher.keyLength) ?? fallback;
  const k = cipher.name === "des-cbc" ? Buffer.concat([key, key, key]) : key;
  try {
    const d = createDecipheriv(cipher.name === "des-cbc" ? "des-ede3-cbc" : cipher.name, k, iv);
    return { plaintext: Buffer.concat([d.update(data), d.final()]), cipherOid };
  } catch {
    throw bad("its content does not decrypt with the RA key");
  }
}

/** True when the envelope names this RA certificate among its recipients. */
export function envelopeIsFor(envelopeDer: Uint8Array, raCertDer: Uint8Array): boolean {
  try {
    readEnvelope(envelopeDer, raCertDer);
    return true;
  } catch {
    return false;
  }
}

function readEnvelope(envelopeDer: Uint8Array, raCertDer: Uint8Array) {
  const ed = AsnConvert.parse(contentOf(envelopeDer, id_envelopedData, "the pkcsPKIEnvelope"), EnvelopedData);
  const ra = AsnConvert.parse(raCertDer, Certificate);
  const ktri = ed.recipientInfos.map((r) => r.ktri).find((k) => k?.rid.issuerAndSerialNumber && sameIssuerSerial(k.rid.issuerAndSerialNumber, ra));
  if (!ktri) throw bad("it is not encrypted to this profile's RA certificate (fetch it again with GetCACert)");
  if (ktri.keyEncryptionAlgorithm.algorithm !== RSA_ENCRYPTION) throw bad(`key encryption ${ktri.keyEncryptionAlgorithm.algorithm} is not supported (rsaEncryption)`);
  const eci = ed.encryptedContentInfo;
  const cipher = CIPHERS[eci.contentEncryptionAlgorithm.algorithm];
  if (!cipher) throw bad(`content encryption ${eci.contentEncryptionAlgorithm.algorithm} is not supported (AES-CBC, 3DES or DES)`);
  const params = eci.contentEncryptionAlgorithm.parameters;
  const iv = params ? readString(u8(params), [TAG.OCTET_STRING], "the IV") : new Uint8Array(0);
  if (iv.length !== cipher.ivLength) throw bad("the IV has the wrong length");
  const ec = eci.encryptedContent;
  const data = ec?.value ? u8(ec.value.buffer) : ec?.constructedValue ? Buffer.concat(ec.constructedValue.map((o) => u8(o.buffer))) : undefined;
  if (!data || data.length === 0 || data.length % cipher.ivLength !== 0) throw bad("the encrypted content is missing or not whole blocks");
  return { ktri, cipher, iv, data, cipherOid: eci.contentEncryptionAlgorithm.algorithm };
}

/** RFC 8017 §7.2.2: the message of an EME-PKCS1-v1_5 block, or null when the padding or length is wrong. */
function unpadPkcs1(em: Uint8Array, keyLength: number): Uint8Array | null {
  // Every byte is looked at whatever the outcome, so the time taken says little about where it failed.
  let ok = em.length >= 11 ? 1 : 0;
  ok &= em[0] === 0 ? 1 : 0;
  ok &= em[1] === 2 ? 1 : 0;
  let sep = 0;
  for (let i = 2; i < em.length; i++) if (sep === 0 && em[i] === 0) sep = i;
  ok &= sep >= 10 ? 1 : 0;
  ok &= em.length - sep - 1 === keyLength ? 1 : 0;
  return ok ? em.slice(sep + 1) : null;
}

/** IssuerAndSerialNumber (GetCert, GetCRL: RFC 8894 §3.3.4, §3.3.5): the issuer name DER and the serial as lowercase hex. */
export function parseIssuerAndSerial(der: Uint8Array): { issuer: Uint8Array; serialHex: string } {
  try {
    const ias = AsnConvert.parse(der, IssuerAndSerialNumber);
    return { issuer: u8(AsnConvert.serialize(ias.issuer)), serialHex: Buffer.from(stripZeros(u8(ias.serialNumber))).toString("hex") };
  } catch {
    throw bad("the IssuerAndSerialNumber is malformed");
  }
}

class IssuerAndSubject {
  @AsnProp({ type: Name }) issuer = new Name();
  @AsnProp({ type: Name }) subject = new Name();
}
/** IssuerAndSubject (CertPoll / GetCertInitial, RFC 8894 §3.3.3): both names' DER. */
export function parseIssuerAndSubject(der: Uint8Array): { issuer: Uint8Array; subject: Uint8Array } {
  try {
    const x = AsnConvert.parse(der, IssuerAndSubject);
    return { issuer: u8(AsnConvert.serialize(x.issuer)), subject: u8(AsnConvert.serialize(x.subject)) };
  } catch {
    throw bad("the IssuerAndSubject is malformed");
  }
}
