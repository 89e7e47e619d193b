/**
 * EST (RFC 7030) encodings, built with the @peculiar/asn1-* schemas: the certs-only CMS
 * SignedData of every certificate reply (§4.1.3, §4.2.3) and the CSR attributes (§4.5.2).
 */
import { CertificateChoices, CertificateSet, CMSVersion, ContentInfo, EncapsulatedContentInfo, id_data, id_signedData, SignedData } from "@peculiar/asn1-cms";
import { AsnArray, AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from "@peculiar/asn1-schema";
import { Attribute, Certificate } from "@peculiar/asn1-x509";
import { errors } from "../errors.js";

/**
 * A degenerate ("certs-only") CMS SignedData carrying `ders` (RFC 7030 §4.1.3, RFC 5652 §5:
 * no signers, eContentType id-data with no content). Throws if a certificate does not
 * re-encode to its own bytes, so a reply can never carry a certificate whose signature breaks.
 */
export function certsOnlyPkcs7(ders: readonly Uint8Array[]): Uint8Array {
  const certs = ders.map((der) => {
    const c = AsnConvert.parse(der, Certificate);
    if (Buffer.compare(Buffer.from(AsnConvert.serialize(c)), Buffer.from(der)) !== 0) throw errors.internal("A certificate does not re-encode to its own DER.");
    return new CertificateChoices({ certificate: c });
  });
  const sd = new SignedData({
    // RFC 5652 §5.1: version 1 when there are only X.509 certificates and no signers of version 3.
    version: CMSVersion.v1,
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: id_data }),
    certificates: new CertificateSet(certs),
  });
  return new Uint8Array(AsnConvert.serialize(new ContentInfo({ contentType: id_signedData, content: AsnConvert.serialize(sd) })));
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
