/**
 * SCEP's messages as Stamp writes them (RFC 8894 §3.3.2, §4.2.1.2): degenerate certificate
 * bundles, envelopes for one recipient, and signed pkiMessages (CertRep and requests alike).
 * Pure: content keys, IVs, nonces and the signature come in as arguments.
 */
import { createCipheriv, createHash, createPublicKey, publicEncrypt, constants } from "node:crypto";
import { AsnArray, AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from "@peculiar/asn1-schema";
import {
  Attribute,
  CertificateChoices,
  CertificateSet,
  ContentInfo,
  DigestAlgorithmIdentifiers,
  EncapsulatedContent,
  EncapsulatedContentInfo,
  EncryptedContent,
  EncryptedContentInfo,
  EnvelopedData,
  IssuerAndSerialNumber,
  KeyTransRecipientInfo,
  RecipientIdentifier,
  RecipientInfo,
  RecipientInfos,
  SignedData,
  SignerIdentifier,
  SignerInfo,
  SignerInfos,
  id_data,
  id_envelopedData,
  id_signedData,
} from "@peculiar/asn1-cms";
import { AlgorithmIdentifier, Certificate, CertificateList } from "@peculiar/asn1-x509";
import { errors } from "../errors.js";
import { derOctetString, derOid, derString, TAG } from "./der.js";
import { CIPHER_OID, CIPHERS, CONTENT_TYPE, FAIL_INFO, MESSAGE_DIGEST, MESSAGE_TYPE, RSA_ENCRYPTION, SCEP_DIGESTS, SCEP_OID, SignedAttrsSet, u8, type FailInfo, type PkiStatus, type ReplyCipher } from "./scep-cms.js";

/** RevocationInfoChoice's plain CertificateList arm (RFC 5652 §10.2.1), which asn1-cms leaves out. */
@AsnType({ type: AsnTypeTypes.Set, itemType: CertificateList })
class CrlSet extends AsnArray<CertificateList> {
  constructor(items?: CertificateList[]) {
    super(items);
    Object.setPrototypeOf(this, CrlSet.prototype);
  }
}/** SignedData with CRLs (RFC 5652 §5.1), for GetCRL replies. */
class SignedDataWithCrls {
  @AsnProp({ type: AsnPropTypes.Integer }) version = 1;
  @AsnProp({ type: DigestAlgorithmIdentifiers }) digestAlgorithms = new DigestAlgorithmIdentifiers();
  @AsnProp({ type: EncapsulatedContentInfo }) encapContentInfo = new EncapsulatedContentInfo();
  @AsnProp({ type: CertificateSet, context: 0, implicit: true, optional: true }) certificates?: CertificateSet;
  @AsnProp({ type: CrlSet, context: 1, implicit: true, optional: true }) crls?: CrlSet;
  @AsnProp({ type: SignerInfos }) signerInfos = new SignerInfos();
}
/** A degenerate certificates-only SignedData (RFC 8894 §4.2.1.2, §3.3.2): certificates and CRLs, no signers. */
export function degenerateSignedData(certs: Uint8Array[], crls: Uint8Array[] = []): Uint8Array {
  const sd = new SignedDataWithCrls();
  sd.encapContentInfo = new EncapsulatedContentInfo({ eContentType: id_data });
  if (certs.length) sd.certificates = new CertificateSet(certs.map((c) => new CertificateChoices({ certificate: AsnConvert.parse(c, Certificate) })));
  if (crls.length) sd.crls = new CrlSet(crls.map((c) => AsnConvert.parse(c, CertificateList)));
  return u8(AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(sd) })));
}

/**
 * Encrypts `plaintext` for one recipient certificate (RSA key transport, RFC 5652 §6.2.1): the
 * content key and IV come from the caller. Throws badRequest when the certificate's key is not RSA.
 */
export function buildEnvelope(plaintext: Uint8Array, recipientCertDer: Uint8Array, cipher: ReplyCipher, cek: Uint8Array, iv: Uint8Array): Uint8Array {
  const spec = CIPHERS[CIPHER_OID[cipher]];
  const key = cek.subarray(0, spec.keyLength);
  const ivb = iv.subarray(0, spec.ivLength);
  const cert = AsnConvert.parse(recipientCertDer, Certificate);
  const pub = createPublicKey({ key: Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo)), format: "der", type: "spki" });
  if (pub.asymmetricKeyType !== "rsa") throw errors.badRequest("The signer certificate's key is not RSA, so no reply can be encrypted to it (RFC 8894 §3.5.1).");
  const encryptedKey = publicEncrypt({ key: pub, padding: constants.RSA_PKCS1_PADDING }, key);
  const c = createCipheriv(cipher, key, ivb);
  const data = Buffer.concat([c.update(plaintext), c.final()]);
  const ktri = new KeyTransRecipientInfo({
    version: 0,
    rid: new RecipientIdentifier({ issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: cert.tbsCertificate.issuer, serialNumber: cert.tbsCertificate.serialNumber }) }),
    keyEncryptionAlgorithm: new AlgorithmIdentifier({ algorithm: RSA_ENCRYPTION, parameters: new Uint8Array([5, 0]).buffer }),
    encryptedKey: new OctetString(encryptedKey),
  });
  const ed = new EnvelopedData({
    version: 0,
    recipientInfos: new RecipientInfos([new RecipientInfo({ ktri })]),
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: id_data,
      contentEncryptionAlgorithm: new AlgorithmIdentifier({ algorithm: CIPHER_OID[cipher], parameters: u8(derOctetString(ivb)).slice().buffer }),
      encryptedContent: new EncryptedContent({ value: new OctetString(data) }),
    }),
  });
  return u8(AsnConvert.serialize(new ContentInfo({ contentType: id_envelopedData, content: AsnConvert.serialize(ed) })));
}

/** The reply cipher for a request's cipher: the same one, with single DES raised to 3DES. */
export function replyCipherFor(requestCipherOid: string): ReplyCipher {
  if (requestCipherOid === CIPHER_OID["aes-256-cbc"]) return "aes-256-cbc";
  if (requestCipherOid === CIPHER_OID["aes-128-cbc"] || requestCipherOid === "2.16.840.1.101.3.4.1.22") return "aes-128-cbc";
  return "des-ede3-cbc";
}

/** What a CertRep says (RFC 8894 §3.3.2). */
export interface CertRepInput {
  status: PkiStatus;
  failInfo?: FailInfo;
  transactionId: string;
  recipientNonce: Uint8Array;
  senderNonce: Uint8Array;
  /** The pkcsPKIEnvelope (SUCCESS only). */
  envelope?: Uint8Array;
  digest: "sha1" | "sha256" | "sha384" | "sha512";
  /** The signer's certificate (the RA's in a CertRep), carried so the receiver can check the signature. */
  signerCert: Uint8Array;
  /** Signs the DER of the signed attributes (PKCS#1 v1.5 over `digest`). */
  sign: (data: Uint8Array) => Promise<Uint8Array>;
}

const DIGEST_OID = Object.fromEntries(Object.entries(SCEP_DIGESTS).map(([oid, n]) => [n, oid])) as Record<string, string>;
const attr = (oid: string, value: Uint8Array) => new Attribute({ attrType: oid, attrValues: [u8(value).slice().buffer] });

/** X.690 §11.6: a DER SET OF lists its elements in ascending order of their encodings (Go's pkcs7 re-sorts before verifying). */
function derSorted(attrs: Attribute[]): Attribute[] {
  const enc = attrs.map((a) => ({ a, der: Buffer.from(AsnConvert.serialize(a)) }));
  const n = Math.max(...enc.map((e) => e.der.length));
  const padded = (b: Buffer) => Buffer.concat([b, Buffer.alloc(n - b.length)]);
  return enc.sort((x, y) => Buffer.compare(padded(x.der), padded(y.der))).map((e) => e.a);
}

/** Builds and signs a CertRep pkiMessage (RFC 8894 §3.3.2), signed by the RA. */
export function buildCertRep(r: CertRepInput): Promise<Uint8Array> {
  return signPkiMessage({ ...r, messageType: MESSAGE_TYPE.CertRep });
}

/** Any pkiMessage (RFC 8894 §3.2): the SCEP signed attributes over an optional pkcsPKIEnvelope, one RSA signer. */
export async function signPkiMessage(r: Omit<CertRepInput, "status" | "recipientNonce"> & { messageType: string; status?: PkiStatus; recipientNonce?: Uint8Array }): Promise<Uint8Array> {
  const content = r.envelope ?? new Uint8Array(0);
  const attrs = derSorted([
    attr(CONTENT_TYPE, derOid(id_data)),
    attr(MESSAGE_DIGEST, derOctetString(createHash(r.digest).update(content).digest())),
    attr(SCEP_OID.messageType, derString(TAG.PRINTABLE_STRING, r.messageType)),
    ...(r.status ? [attr(SCEP_OID.pkiStatus, derString(TAG.PRINTABLE_STRING, r.status))] : []),
    ...(r.failInfo ? [attr(SCEP_OID.failInfo, derString(TAG.PRINTABLE_STRING, FAIL_INFO[r.failInfo]))] : []),
    attr(SCEP_OID.transactionID, derString(TAG.PRINTABLE_STRING, r.transactionId)),
    ...(r.recipientNonce ? [attr(SCEP_OID.recipientNonce, derOctetString(r.recipientNonce))] : []),
    attr(SCEP_OID.senderNonce, derOctetString(r.senderNonce)),
  ]);
  const signer = AsnConvert.parse(r.signerCert, Certificate);
  const digestAlg = new AlgorithmIdentifier({ algorithm: DIGEST_OID[r.digest], parameters: null });
  const si = new SignerInfo({
    version: 1,
    sid: new SignerIdentifier({ issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: signer.tbsCertificate.issuer, serialNumber: signer.tbsCertificate.serialNumber }) }),
    digestAlgorithm: digestAlg,
    signedAttrs: attrs,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: RSA_ENCRYPTION, parameters: null }),
  });
  // RFC 5652 §5.4: sign the attributes as a DER SET OF, then carry them as [0] IMPLICIT.
  const setDer = u8(AsnConvert.serialize(new SignedAttrsSet(attrs)));
  si.signature = new OctetString(await r.sign(setDer));
  const sd = new SignedData({
    version: 1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([digestAlg]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: id_data, ...(r.envelope ? { eContent: new EncapsulatedContent({ single: new OctetString(r.envelope) }) } : {}) }),
    certificates: new CertificateSet([new CertificateChoices({ certificate: signer })]),
    signerInfos: new SignerInfos([si]),
  });
  return u8(AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(sd) })));
}


