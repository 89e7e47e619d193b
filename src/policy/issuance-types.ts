/** The types of the issuance decision (issuance.ts), apart so check-defaults.ts can share them without an import cycle. */
import type { KeyAlgorithm } from "../pki/algorithms.js";
import type { SubjectAltNamesInput } from "../pki/leaf-certificate.js";
import type { DnFields } from "../pki/name.js";
import type { SanType } from "./san-syntax.js";
import type { Template } from "./template.js";
import type { ExtendedKeyUsageName, KeyUsageName, SignatureAlgorithm } from "./vocabulary.js";

/** What a caller may ask for (the API's names). */
export interface IssuanceAttributes {
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
  state?: string;
  locality?: string;
  altNames?: { type: SanType; value: string }[];
  ttl?: string;
  notBefore?: string;
  notAfter?: string;
  keyAlgorithm?: KeyAlgorithm;
  signatureAlgorithm?: SignatureAlgorithm;
  keyUsages?: KeyUsageName[];
  extendedKeyUsages?: ExtendedKeyUsageName[];
}

/** A profile's defaults: the same fields, filling what the request leaves out (notBefore / notAfter are not defaultable). */
export interface ProfileDefaults extends IssuanceAttributes {}

/** What the decision needs to know about the issuing CA. */
export interface IssuerFacts {
  selfSigned: boolean;
  /** Key algorithm of the issuing CA; for self-signed certificates the subject key's. */
  keyAlgorithm: KeyAlgorithm;
  notBefore: Date;
  notAfter: Date;
}

/** What the decision needs to know about a parsed CSR (see src/pki/csr.ts ParsedCsr). */
export interface CsrFacts {
  subjectFields: Record<string, string>;
  sans: { dns: string[]; ip: string[]; email: string[]; uri: string[] } | undefined;
  keyAlgorithm: KeyAlgorithm | null;
  keyDescription: string;
  signatureValid: boolean;
  /** RFC 5280 bit names from the CSR's extensionRequest. */
  requestedKeyUsage?: string[];
  /** Dotted OIDs from the CSR's extensionRequest. */
  requestedEku?: string[];
  /** Every commonName in the CSR's subject. */
  commonNames?: string[];
  /** basicConstraints from the CSR's extensionRequest. */
  requestedBasicConstraints?: { ca: boolean };
  /** OIDs of critical extensions requested that Stamp does not know. */
  unknownCriticalExtensions?: string[];
}

/** Everything decideIssuance weighs. */
export interface IssuanceDecisionInput {
  template: Template;
  defaults: ProfileDefaults;
  attributes: IssuanceAttributes;
  csr?: CsrFacts;
  issuer: IssuerFacts;
  now: Date;
  backdateSeconds: number;
  maxTtlFallbackMs?: number;
}

/** A request that passed every rule, in the terms src/pki's certificate builder takes. */
export interface IssuanceRequest {
  /** commonName may be "" (no CN; the SANs name the subject). */
  subject: DnFields;
  sans: SubjectAltNamesInput;
  /** RFC 5280 §4.2.1.3 bit names. */
  keyUsage: string[];
  /** Dotted OIDs. */
  extendedKeyUsage: string[];
  notBefore: Date;
  notAfter: Date;
  keyAlgorithm: KeyAlgorithm;
  signatureAlgorithm: SignatureAlgorithm;
  /** True when the common name is one of the SANs (present already, or added for serverAuth). */
  commonNameInSans: boolean;
}

/** What a leaf certificate holds once decided: IssuanceRequest without its bookkeeping (what server/ca builds). */
export type LeafSpec = Pick<IssuanceRequest, "subject" | "sans" | "keyUsage" | "extendedKeyUsage" | "notBefore" | "notAfter">;
