/**
 * EST (RFC 7030) encodings, built with the @peculiar/asn1-* schemas: the certs-only CMS
 * SignedData of every certificate reply (§4.1.3, §4.2.3) and the CSR attributes (§4.5.2).
 */
import { CMSVersion, ContentInfo, DigestAlgorithmIdentifiers, EncapsulatedContentInfo, id_data, id_signedData, SignedData, SignerInfos } from "@peculiar/asn1-cms";
import { AsnArray, AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from "@peculiar/asn1-schema";
import { Attribute } from "@peculiar/asn1-x509";
import { errors } from "../errors.js";

/**
 * CertificateSet (RFC 5652 §10.2.3) holding each certificate as DER (asn1-schema's Any): the
 * Certificate schema would decode every field and encode it again, ~9 ms a reply, and could
 * alter the signed bytes.
 */
@AsnType({ type: AsnTypeTypes.Set, itemType: AsnPropTypes.Any })
class RawCertificateSet extends AsnArray<ArrayBuffer> {
  constructor(items?: ArrayBuffer[]) {
    super(items);
    Object.setPrototypeOf(this, RawCertificateSet.prototype);
  }
}

/** asn1-cms's SignedData (RFC 5652 §5.1) with the certificates kept as DER; the other members are asn1-cms's own types. */
class CertsOnlySignedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = CMSVersion.v1;
  @AsnProp({ type: DigestAlgorithmIdentifiers })
  digestAlgorithms = new DigestAlgorithmIdentifiers();
  @AsnProp({ type: EncapsulatedContentInfo })
  encapContentInfo = new EncapsulatedContentInfo({ eContentType: id_data });
  @AsnProp({ type: RawCertificateSet, context: 0, implicit: true, optional: true })
  certificates?: RawCertificateSet;
  @AsnProp({ type: SignerInfos })
  signerInfos = new SignerInfos();
  constructor(certificates?: RawCertificateSet) {
    this.certificates = certificates;
  }
}

/** ContentInfo (RFC 5652 §3) with the SignedData as its typed content (asn1-cms's ContentInfo holds it as Any, decoded again). */
class CertsOnlyContentInfo {
  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  contentType = id_signedData;
  @AsnProp({ type: CertsOnlySignedData, context: 0 })
  content: CertsOnlySignedData;
  constructor(content = new CertsOnlySignedData()) {
    this.content = content;
  }
}

/**
 * A degenerate ("certs-only") CMS SignedData carrying `ders` (RFC 7030 §4.1.3, RFC 5652 §5:
 * version 1, no digest algorithms, eContentType id-data with no content, no signers).
 */
export function certsOnlyPkcs7(ders: readonly Uint8Array[]): Uint8Array {
  const set = new RawCertificateSet(ders.map((d) => new Uint8Array(d).buffer as ArrayBuffer));
  return new Uint8Array(AsnConvert.serialize(new CertsOnlyContentInfo(new CertsOnlySignedData(set))));
}

/** RFC 7030 §4.5.2: AttrOrOID ::= CHOICE (oid OBJECT IDENTIFIER, attribute Attribute). */
@AsnType({ type: AsnTypeTypes.Choice })
class AttrOrOid {
  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  oid?: string;
  @AsnProp({ type: Attribute })
  attribute?: Attribute;
  constructor(params: Partial<AttrOrOid> = {}) {
    Object.assign(this, params);
  }
}

/** RFC 7030 §4.5.2: CsrAttrs ::= SEQUENCE SIZE (0..MAX) OF AttrOrOID. */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AttrOrOid })
class CsrAttrs extends AsnArray<AttrOrOid> {
  constructor(items?: AttrOrOid[]) {
    super(items);
    Object.setPrototypeOf(this, CsrAttrs.prototype);
  }
}

/** One CSR attribute item: a bare OID, or an attribute with DER values. */
export type CsrAttrItem = { oid: string } | { type: string; values: Uint8Array[] };

/** Encodes CsrAttrs (RFC 7030 §4.5.2) as DER. */
export function encodeCsrAttrs(items: readonly CsrAttrItem[]): Uint8Array {
  const list = items.map((i) =>
    "oid" in i ? new AttrOrOid({ oid: i.oid }) : new AttrOrOid({ attribute: new Attribute({ type: i.type, values: i.values.map((v) => new Uint8Array(v).buffer as ArrayBuffer) }) }),
  );
  return new Uint8Array(AsnConvert.serialize(new CsrAttrs(list)));
}

/** Reads CsrAttrs DER back (tests and clients): the OIDs and attribute types in order. */
export function decodeCsrAttrs(der: Uint8Array): string[] {
  return AsnConvert.parse(der, CsrAttrs).map((x) => (x.oid !== undefined ? x.oid : `attr:${x.attribute!.type}`));
}

/** The certificates of a certs-only CMS reply (tests and clients), as DER. */
export function certsOfPkcs7(der: Uint8Array): Uint8Array[] {
  const ci = AsnConvert.parse(der, ContentInfo);
  if (ci.contentType !== id_signedData) throw errors.badRequest("Not a CMS SignedData.");
  const sd = AsnConvert.parse(ci.content, SignedData);
  return (sd.certificates ?? []).filter((c) => c.certificate).map((c) => new Uint8Array(AsnConvert.serialize(c.certificate!)));
}
