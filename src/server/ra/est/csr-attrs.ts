import type { KeyAlgorithm } from "../../../pki/algorithms.js";
import { derOid, derSmallInt } from "../../../pki/der.js";
import type { CsrAttrItem } from "../../../pki/est.js";
import type { Template } from "../../../policy/template.js";
import type { SignatureAlgorithm, SubjectType } from "../../../policy/vocabulary.js";

const SUBJECT_OIDS: Record<SubjectType, string> = { common_name: "2.5.4.3", organization: "2.5.4.10", organizational_unit: "2.5.4.11", country: "2.5.4.6", state: "2.5.4.8", locality: "2.5.4.7" };
const SIGNATURE_OIDS: Record<SignatureAlgorithm, string> = {
  "RSA-SHA256": "1.2.840.113549.1.1.11",
  "RSA-SHA384": "1.2.840.113549.1.1.12",
  "RSA-SHA512": "1.2.840.113549.1.1.13",
  "ECDSA-SHA256": "1.2.840.10045.4.3.2",
  "ECDSA-SHA384": "1.2.840.10045.4.3.3",
  "ECDSA-SHA512": "1.2.840.10045.4.3.4",
  ED25519: "1.3.101.112",
};
const EC_PUBLIC_KEY = "1.2.840.10045.2.1";
const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const CURVES: Partial<Record<KeyAlgorithm, string>> = { EC_prime256v1: "1.2.840.10045.3.1.7", EC_secp384r1: "1.3.132.0.34", EC_secp521r1: "1.3.132.0.35" };
const SUBJECT_ALT_NAME = "2.5.29.17";

/**
 * The CSR attributes a profile's template asks for (RFC 7030 §4.5.2): the subject attributes
 * and SAN extension it allows, each key algorithm it allows (EC as an id-ecPublicKey attribute
 * naming the curve, RSA as an rsaEncryption attribute with the modulus size, as RFC 9908 §3.2
 * does), and the signature algorithms it allows. Empty when the template constrains none.
 */
export function csrAttrsOf(t: Template): CsrAttrItem[] {
  const items: CsrAttrItem[] = [];
  for (const [type, rules] of Object.entries(t.subject)) if (rules && (rules.allowed?.length || rules.required?.length)) items.push({ oid: SUBJECT_OIDS[type as SubjectType] });
  if (Object.values(t.sans).some((r) => r && (r.allowed?.length || r.required?.length))) items.push({ oid: SUBJECT_ALT_NAME });
  const curves: Uint8Array[] = [];
  for (const k of t.algorithms.keyAlgorithm ?? []) {
    const curve = CURVES[k];
    if (curve) curves.push(derOid(curve));
    else if (k.startsWith("RSA_")) items.push({ type: RSA_ENCRYPTION, values: [derSmallInt(Number(k.slice(4)))] });
    else if (k === "ED25519") items.push({ oid: "1.3.101.112" });
  }
  if (curves.length) items.push({ type: EC_PUBLIC_KEY, values: curves });
  for (const s of t.algorithms.signature ?? []) if (!items.some((i) => "oid" in i && i.oid === SIGNATURE_OIDS[s])) items.push({ oid: SIGNATURE_OIDS[s] });
  return items;
}
