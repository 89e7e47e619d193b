/** The template vocabulary (Infisical's spelling) and its mapping to RFC 5280 names and OIDs. */
import { EKU } from "../pki/leaf-certificate.js";

/** Subject attribute types a template can constrain. */
export const SUBJECT_TYPES = ["common_name", "organization", "organizational_unit", "country", "state", "locality"] as const;
/** One subject attribute type. */
export type SubjectType = (typeof SUBJECT_TYPES)[number];

/** Key usages as templates and the API write them (RFC 5280 §4.2.1.3 bits, snake_case). */
export const KEY_USAGES = [
  "digital_signature", "non_repudiation", "key_encipherment", "data_encipherment", "key_agreement",
  "key_cert_sign", "crl_sign", "encipher_only", "decipher_only",
] as const;
/** One key usage name. */
export type KeyUsageName = (typeof KEY_USAGES)[number];

/** Extended key usages as templates and the API write them (RFC 5280 §4.2.1.12). */
export const EXTENDED_KEY_USAGES = ["server_auth", "client_auth", "code_signing", "email_protection", "time_stamping", "ocsp_signing"] as const;
/** One extended key usage name. */
export type ExtendedKeyUsageName = (typeof EXTENDED_KEY_USAGES)[number];

/** Signature algorithms a template can allow. */
export const SIGNATURE_ALGORITHMS = ["RSA-SHA256", "RSA-SHA384", "RSA-SHA512", "ECDSA-SHA256", "ECDSA-SHA384", "ECDSA-SHA512", "ED25519"] as const;
/** One signature algorithm. */
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/** Template key usage name → the RFC 5280 bit name src/pki uses. */
export const KU_TO_RFC: Readonly<Record<KeyUsageName, string>> = {
  digital_signature: "digitalSignature",
  non_repudiation: "nonRepudiation",
  key_encipherment: "keyEncipherment",
  data_encipherment: "dataEncipherment",
  key_agreement: "keyAgreement",
  key_cert_sign: "keyCertSign",
  crl_sign: "cRLSign",
  encipher_only: "encipherOnly",
  decipher_only: "decipherOnly",
};

/** Template EKU name → dotted OID. */
export const EKU_TO_OID: Readonly<Record<ExtendedKeyUsageName, string>> = {
  server_auth: EKU.serverAuth,
  client_auth: EKU.clientAuth,
  code_signing: EKU.codeSigning,
  email_protection: EKU.emailProtection,
  time_stamping: EKU.timeStamping,
  ocsp_signing: EKU.ocspSigning,
};

/** RFC bit name → template key usage name; undefined for names Stamp does not know. */
export function kuFromRfc(name: string): KeyUsageName | undefined {
  return KEY_USAGES.find((k) => KU_TO_RFC[k] === name);
}

/** OID → template EKU name; undefined for purposes Stamp does not issue. */
export function ekuFromOid(oid: string): ExtendedKeyUsageName | undefined {
  return EXTENDED_KEY_USAGES.find((k) => EKU_TO_OID[k] === oid);
}

/** True when `v` is one of `list` (a type guard for closed string sets). */
export function isOneOf<T extends string>(list: readonly T[], v: unknown): v is T {
  return typeof v === "string" && (list as readonly string[]).includes(v);
}
