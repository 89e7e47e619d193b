/**
 * The violation-code catalog: every `code` a violation (problem+json `violations[]`, ARCHITECTURE.md
 * house rule 5) or a template warning can carry, with what it means. `Violation.code` is typed
 * `ViolationCode`, so a code that is not listed here does not compile. Clients may rely on these
 * codes: a code keeps its meaning and is never renamed; the message beside it is for people and
 * may change. docs/violations.md is generated from this file (`npm run docs:violations`).
 *
 * Pure data: imported by pki/, policy/, the server, the client and the web UI alike.
 */

/** The sections of docs/violations.md, in order. */
export const VIOLATION_GROUPS = {
  request: "Request shape (any endpoint; the request schema or the HTTP edge)",
  general: "Codes many endpoints share",
  template: "Certificate templates",
  profile: "Certificate profiles",
  issuance: "Issuing, renewing and importing certificates",
  csr: "What a CSR asks for",
  key: "Public-key checks (a CSR's key; RFC 3279, RFC 5480, RFC 8410, CA/B BR §6.1.1.3)",
  names: "Names and subject alternative names (RFC 5280 §4.1.2.4, §4.1.2.6, §4.2.1.6)",
  ca: "Certificate authorities: creating, renewing, importing, signing intermediates",
  chain: "Certificate chains (RFC 5280 §6)",
  lint: "Pre-issuance lints: a certificate Stamp built breaks a rule and is not signed (RFC 5280, CA/B BR)",
  crl: "Revocation and CRLs (RFC 5280 §5)",
  account: "Users, passwords and machine identities",
  acme: "ACME orders (RFC 8555): the code is the ACME error type of the subproblem",
  est: "EST (RFC 7030)",
  external: "External ACME CAs Stamp orders from",
  alerts: "Alert rules",
  config: "Server options (`stamp-server` flags and environment; field is the flag)",
} as const;

/** One section of docs/violations.md. */
export type ViolationGroup = keyof typeof VIOLATION_GROUPS;

/** A catalog entry: its section and what the code means, whatever field it is reported on. */
export interface ViolationEntry {
  readonly group: ViolationGroup;
  readonly means: string;
}

/** Every violation code, by section (docs/violations.md sorts each section). */
export const VIOLATION_CODES = {
  // request
  custom: { group: "request", means: "A rule of the request schema that ties fields together is broken; the message says which." },
  invalid_characters: { group: "request", means: "A string (or a field name) holds a NUL byte, a control character, an unpaired surrogate, or a line break in a single-line field." },
  invalid_element: { group: "request", means: "An element of a set or map in the request is not valid." },
  invalid_format: { group: "request", means: "A string does not have the required format (UUID, email, URL, ISO 8601 date, pattern)." },
  invalid_key: { group: "request", means: "A key of a map in the request is not valid." },
  invalid_type: { group: "request", means: "The value has the wrong JSON type (a string where an object is expected, …)." },
  invalid_union: { group: "request", means: "The value matches none of the shapes the field accepts." },
  invalid_value: { group: "request", means: "The value is not one of the values the field accepts (a closed list)." },
  not_multiple_of: { group: "request", means: "A number is not a multiple of the step the field requires." },
  too_big: { group: "request", means: "A string, list or number is longer or larger than the field allows." },
  too_small: { group: "request", means: "A string, list or number is shorter or smaller than the field allows." },
  unknown_field: { group: "request", means: "The request carries a field the endpoint does not have (request schemas are strict)." },

  // general
  conflicting_alias: { group: "general", means: "Two names for the same setting were given with different values; give one." },
  duplicate: { group: "general", means: "An object with this name, slug or email already exists." },
  empty_list: { group: "general", means: "An empty list would forbid everything; remove the field instead." },
  in_the_future: { group: "general", means: "The date must not be in the future." },
  in_the_past: { group: "general", means: "The date must be in the future." },
  incomplete: { group: "general", means: "Settings that only work together were given without the others." },
  invalid: { group: "general", means: "The value is not valid for this field; the message gives the expected form." },
  invalid_date: { group: "general", means: "Not an ISO 8601 date or date-time between 1950 and 9999." },
  invalid_duration: { group: "general", means: "Not a duration such as 90d, 12h or 1y." },
  invalid_list: { group: "general", means: "Not a list, or a list with too many entries." },
  invalid_pem: { group: "general", means: "The PEM text could not be read." },
  key_mismatch: { group: "general", means: "The key and the certificate do not belong together." },
  key_reused: { group: "general", means: "The Idempotency-Key was already used for a different request." },
  malformed: { group: "general", means: "The value is not well-formed." },
  not_allowed: { group: "general", means: "The setting or value is not allowed here (by the template, the enrollment method or the issuer type)." },
  not_supported: { group: "general", means: "Stamp does not support this setting; the message says what to do instead." },
  not_supported_by_ca: { group: "general", means: "The chosen CA (an external ACME CA) cannot do this." },
  other_project: { group: "general", means: "The object named belongs to another project." },
  out_of_range: { group: "general", means: "A number is outside the range the field allows." },
  required: { group: "general", means: "A value that this request needs is missing." },
  taken: { group: "general", means: "Another object of the project already has this name." },
  too_long: { group: "general", means: "The value is longer than allowed." },
  too_many: { group: "general", means: "More entries than allowed." },
  unknown_ca: { group: "general", means: "No CA with this id in the project." },
  unknown_profile: { group: "general", means: "No profile with this id in the project." },
  unknown_template: { group: "general", means: "No certificate template with this id in the project." },
  unparseable: { group: "general", means: "The PEM or DER input (certificate, CSR, key, cursor) could not be read." },
  validity_order: { group: "general", means: "notAfter must be later than notBefore (or than now)." },

  // template
  contradiction: { group: "template", means: "The template's rules contradict each other (required but denied, or required but not allowed)." },
  denied: { group: "template", means: "The template denies this value." },
  duplicate_rule: { group: "template", means: "The same rule type is configured twice in one section of the template." },
  forbidden: { group: "template", means: "The template allows no value of this kind (allowed is empty)." },
  invalid_pattern: { group: "template", means: "A template pattern is not valid (a literal, `*`, or a `*.` wildcard of a DNS name)." },
  invalid_rule: { group: "template", means: "A template rule is not an object of the expected shape." },
  invalid_template: { group: "template", means: "The template is not an object." },
  required_missing: { group: "template", means: "The template requires a value that the request does not carry." },
  sans_unrestricted: { group: "template", means: "A warning, not a violation: the common name is restricted while some SAN types are not, and clients check SANs." },
  widens_preset: { group: "template", means: "Rules given with a preset can only narrow the preset." },

  // profile
  ca_not_ready: { group: "profile", means: "The CA is waiting for its certificate; import it before issuing from it." },
  not_defaultable: { group: "profile", means: "A profile cannot give a default for this attribute." },
  not_longer_than_renewal_window: { group: "profile", means: "The certificate lifetime is not longer than the renewal window, so auto-renewal would never settle." },
  scep_needs_ca: { group: "profile", means: "SCEP needs a profile whose certificates a Stamp CA issues (it issues the SCEP RA certificate)." },
  window_too_long: { group: "profile", means: "The renewal window must be shorter than the certificate's lifetime." },

  // issuance
  before_issuer: { group: "issuance", means: "notBefore is before the issuing CA's notBefore." },
  ca_template: { group: "issuance", means: "The template requires CA certificates, so it cannot issue a leaf." },
  common_name_not_dns_name: { group: "issuance", means: "With server_auth, the common name must be a DNS name or IP address (it must also be a SAN)." },
  is_ca: { group: "issuance", means: "A CA certificate was given where only end-entity certificates are accepted." },
  key_algorithm_changed: { group: "issuance", means: "The profile now asks for another key algorithm; renew with a new key." },
  key_algorithm_mismatch: { group: "issuance", means: "keyAlgorithm names another algorithm than the CSR's key." },
  key_algorithm_not_allowed: { group: "issuance", means: "The template does not allow this key algorithm." },
  key_cert_sign_in_leaf: { group: "issuance", means: "keyCertSign is only for CA certificates (RFC 5280 §4.2.1.3)." },
  key_usage_not_allowed_for_key: { group: "issuance", means: "The key usage does not fit the key's algorithm (RFC 3279 §2.3.1, RFC 5480 §3, RFC 8410 §5)." },
  outlives_issuer: { group: "issuance", means: "The certificate would end after the issuing CA's notAfter." },
  self_signed_needs_server_key: { group: "issuance", means: "A self-signed profile signs with the certificate's own key, which the server must generate: leave out the CSR." },
  signature_algorithm_mismatch: { group: "issuance", means: "The request asks for another signature algorithm than the one the CA's key signs with." },
  signature_algorithm_not_allowed: { group: "issuance", means: "The template does not allow the signature algorithm the CA signs with." },
  too_many_sans: { group: "issuance", means: "More subject alternative names than a certificate may carry." },
  ttl_and_not_after: { group: "issuance", means: "ttl and notAfter were both given; give one." },
  unsupported_eku: { group: "issuance", means: "An extended key usage Stamp does not issue." },
  unsupported_key_usage: { group: "issuance", means: "A key usage Stamp does not know." },
  validity_too_long: { group: "issuance", means: "The certificate would be valid longer than the template allows." },

  // csr
  bad_signature: { group: "csr", means: "The CSR's signature does not verify with the key it carries (RFC 2986 §3)." },
  ca_key_usage_requested: { group: "csr", means: "The CSR asks for keyCertSign or cRLSign, which only CA certificates carry." },
  ca_requested: { group: "csr", means: "The CSR asks for a CA certificate (basicConstraints cA TRUE); profiles issue leaves." },
  missing_common_name: { group: "csr", means: "The CSR's subject has no commonName." },
  multiple_common_names: { group: "csr", means: "The CSR's subject has several common names; a certificate carries one." },
  san_changed: { group: "csr", means: "A re-enrollment must keep the certificate's subjectAltName (RFC 7030 §4.2.2)." },
  subject_changed: { group: "csr", means: "A re-enrollment must keep the certificate's subject (RFC 7030 §4.2.2)." },
  unknown_critical_extension: { group: "csr", means: "The CSR asks for a critical extension Stamp does not issue." },
  unsupported_key: { group: "csr", means: "The key's algorithm or size is not one Stamp accepts here." },

  // key
  ec_point_invalid: { group: "key", means: "The EC public key is not a valid point of its curve (SEC 1 §3.2.2.1)." },
  ec_unsupported_curve: { group: "key", means: "EC keys must name P-256, P-384 or P-521 (RFC 5480 §2.1.1)." },
  ed25519_bad_length: { group: "key", means: "An Ed25519 public key must be 32 bytes with no parameters (RFC 8410 §3–4)." },
  key_is_ca_key: { group: "key", means: "The key is one of this server's CA keys; every certificate needs a key of its own." },
  malformed_key: { group: "key", means: "The public key could not be parsed." },
  rsa_bad_exponent: { group: "key", means: "RSA keys must use the public exponent 65537." },
  rsa_even_modulus: { group: "key", means: "The RSA modulus is even, so it is not the product of two large primes." },
  rsa_fermat: { group: "key", means: "The RSA primes are so close that Fermat's method factors the modulus (CA/B BR §6.1.1.3)." },
  rsa_roca: { group: "key", means: "The RSA key has the ROCA fingerprint (CVE-2017-15361): its private key can be computed." },
  rsa_small_factor: { group: "key", means: "The RSA modulus has a small prime factor." },
  rsa_too_large: { group: "key", means: "The RSA key is larger than Stamp accepts." },
  rsa_too_small: { group: "key", means: "The RSA key is smaller than 2048 bits." },
  unsupported_key_type: { group: "key", means: "Not an RSA, EC (P-256/P-384/P-521) or Ed25519 key." },

  // names
  control_character: { group: "names", means: "A name attribute holds a control character." },
  empty: { group: "names", means: "A name attribute is empty." },
  empty_name: { group: "names", means: "The subject or issuer name must not be empty here." },
  empty_subject_without_sans: { group: "names", means: "A certificate with an empty subject needs subject alternative names (RFC 5280 §4.1.2.6)." },
  invalid_country: { group: "names", means: "country must be two ASCII letters (ISO 3166)." },
  invalid_dns_name: { group: "names", means: "Not a valid DNS name (or wildcard) for a certificate." },
  invalid_email: { group: "names", means: "Not an ASCII mailbox local@domain." },
  invalid_ip_address: { group: "names", means: "Not an IPv4 dotted quad or an IPv6 address." },
  invalid_oid: { group: "names", means: "Not a dotted object identifier." },
  invalid_san_type: { group: "names", means: "A subject alternative name of a type Stamp does not issue." },
  invalid_uri: { group: "names", means: "Not an absolute URI of printable ASCII." },
  invalid_url: { group: "names", means: "Not an http(s) or ldap URL of printable ASCII." },
  non_ascii_dns_name: { group: "names", means: "DNS names must be ASCII: write an internationalized name as its A-label (RFC 5280 §7.2)." },
  surrounding_whitespace: { group: "names", means: "A name attribute starts or ends with whitespace." },

  // ca
  before_parent: { group: "ca", means: "notBefore is before the parent CA's notBefore." },
  chain_missing: { group: "ca", means: "The issuing CA's certificate and its chain up to the root are needed." },
  duplicate_eku: { group: "ca", means: "extendedKeyUsage lists a purpose twice." },
  duplicate_key_usage: { group: "ca", means: "keyUsage lists a bit twice." },
  empty_key_usage: { group: "ca", means: "A certificate needs at least one key usage (RFC 5280 §4.2.1.3)." },
  encipher_decipher_without_key_agreement: { group: "ca", means: "encipherOnly and decipherOnly need keyAgreement (RFC 5280 §4.2.1.3)." },
  invalid_path_length: { group: "ca", means: "pathLength must be null or an integer from 0 to 255." },
  invalid_serial: { group: "ca", means: "A serial number must be positive and at most 20 octets (RFC 5280 §4.1.2.2)." },
  invalid_validity: { group: "ca", means: "The validity times are not valid, or not in order." },
  issuer_path_length: { group: "ca", means: "This CA has maxPathLength 0 and cannot sign CA certificates." },
  missing_key_cert_sign: { group: "ca", means: "The CA certificate's key usage lacks keyCertSign." },
  not_a_ca: { group: "ca", means: "The certificate is not a CA certificate (basicConstraints cA TRUE is missing)." },
  not_one_certificate: { group: "ca", means: "Exactly one certificate was expected." },
  ocsp_nocheck_without_ocsp_signing: { group: "ca", means: "id-pkix-ocsp-nocheck belongs only in OCSP responder certificates (RFC 6960 §4.2.2.2)." },
  outlives_parent: { group: "ca", means: "The CA would end after its parent CA's notAfter." },
  parent_not_active: { group: "ca", means: "Only an active CA can sign." },
  parent_path_length: { group: "ca", means: "The parent CA has maxPathLength 0 and cannot sign CA certificates." },
  path_length_exceeds_issuer: { group: "ca", means: "maxPathLength must be below the signing CA's." },
  path_length_exceeds_parent: { group: "ca", means: "maxPathLength must be below the parent CA's." },
  root_has_parent: { group: "ca", means: "A root CA signs itself: it has no parent." },
  self_signed_key_mismatch: { group: "ca", means: "A self-signed certificate's issuer key must be its own key." },
  unknown_key_usage: { group: "ca", means: "A key usage name that RFC 5280 §4.2.1.3 does not define." },
  unknown_parent: { group: "ca", means: "No CA with this id in the project to be the parent." },

  // chain
  expired: { group: "chain", means: "A certificate of the chain has expired." },
  issuer_mismatch: { group: "chain", means: "A certificate of the chain is not the issuer of the one before it." },
  key_identifier_mismatch: { group: "chain", means: "An authority key identifier does not match its issuer's subject key identifier." },
  not_self_signed: { group: "chain", means: "The chain does not end in a self-signed root." },
  not_yet_valid: { group: "chain", means: "A certificate of the chain is not valid yet." },
  path_length_exceeded: { group: "chain", means: "More CA certificates below a CA than its pathLenConstraint allows." },
  signature_invalid: { group: "chain", means: "A signature in the chain does not verify." },
  unsupported_critical_extension: { group: "chain", means: "A CA certificate has critical extensions Stamp does not process." },

  // lint (the name after lint_ is the lint's)
  lint_aki_missing: { group: "lint", means: "A certificate that is not self-signed must carry an authorityKeyIdentifier (RFC 5280 §4.2.1.1)." },
  lint_basic_constraints_ca: { group: "lint", means: "A leaf's basicConstraints must have cA FALSE and no pathLenConstraint (RFC 5280 §4.2.1.9)." },
  lint_ca_basic_constraints: { group: "lint", means: "A CA certificate must carry a critical basicConstraints (RFC 5280 §4.2.1.9)." },
  lint_ca_key_usage: { group: "lint", means: "A CA certificate must carry a critical keyUsage with keyCertSign (RFC 5280 §4.2.1.3)." },
  lint_ca_key_usage_in_leaf: { group: "lint", means: "A leaf must not assert keyCertSign or cRLSign (RFC 5280 §4.2.1.3)." },
  lint_ca_subject_empty: { group: "lint", means: "A CA certificate's subject must not be empty (RFC 5280 §4.1.2.6)." },
  lint_cn_not_in_san: { group: "lint", means: "The commonName must also appear in subjectAltName (CA/B BR §7.1.4.3)." },
  lint_control_characters: { group: "lint", means: "A subject attribute holds NUL or control characters (CA/B BR §7.1.4.1)." },
  lint_country_encoding: { group: "lint", means: "countryName must be a PrintableString of two capital letters (RFC 5280 Appendix A)." },
  lint_directory_string_encoding: { group: "lint", means: "A subject attribute has the wrong string type or length (RFC 5280 Appendix A)." },
  lint_dns_name_invalid: { group: "lint", means: "A dNSName is not a valid preferred-syntax name (RFC 5280 §4.2.1.6)." },
  lint_duplicate_extension: { group: "lint", means: "An extension appears more than once (RFC 5280 §4.2)." },
  lint_empty_subject_san: { group: "lint", means: "A certificate with an empty subject must carry a critical subjectAltName (RFC 5280 §4.2.1.6)." },
  lint_ip_address_invalid: { group: "lint", means: "An iPAddress must be 4 or 16 octets (RFC 5280 §4.2.1.6)." },
  lint_key_usage_key_type: { group: "lint", means: "The keyUsage bits do not fit the key type, or none is asserted (RFC 5280 §4.2.1.3)." },
  lint_key_usage_missing: { group: "lint", means: "Leaf certificates must carry keyUsage (CA/B BR §7.1.2.7.11)." },
  lint_key_usage_not_critical: { group: "lint", means: "keyUsage must be critical (CA/B BR §7.1.2.7.11)." },
  lint_malformed: { group: "lint", means: "The certificate or its TBSCertificate is not well-formed DER (RFC 5280 §4.1)." },
  lint_malformed_extension: { group: "lint", means: "An extension's value cannot be decoded." },
  lint_ocsp_nocheck_malformed: { group: "lint", means: "id-pkix-ocsp-nocheck must be non-critical with a NULL value (RFC 6960 §4.2.2.2.1)." },
  lint_ocsp_nocheck_without_ocsp_signing: { group: "lint", means: "id-pkix-ocsp-nocheck needs the id-kp-OCSPSigning EKU (RFC 6960 §4.2.2.2)." },
  lint_san_empty: { group: "lint", means: "subjectAltName must hold at least one name (RFC 5280 §4.2.1.6)." },
  lint_serial_not_minimal: { group: "lint", means: "The serial number is not minimally encoded (X.690 §8.3.2)." },
  lint_serial_not_positive: { group: "lint", means: "The serial number must be positive (RFC 5280 §4.1.2.2)." },
  lint_serial_too_long: { group: "lint", means: "The serial number is longer than 20 octets (RFC 5280 §4.1.2.2)." },
  lint_serial_too_short: { group: "lint", means: "The serial number carries fewer than 64 random bits (CA/B BR §7.1)." },
  lint_server_auth_without_san: { group: "lint", means: "A TLS server certificate must list a DNS name or IP address (CA/B BR §7.1.2.7.12)." },
  lint_signature_algorithm: { group: "lint", means: "The TBS names another signature algorithm than the signing key's (RFC 5280 §4.1.1.2)." },
  lint_ski_missing: { group: "lint", means: "The certificate must carry a subjectKeyIdentifier (RFC 5280 §4.2.1.2)." },
  lint_time_encoding: { group: "lint", means: "A time must be UTCTime or GeneralizedTime in Zulu with seconds (RFC 5280 §4.1.2.5)." },
  lint_validity_order: { group: "lint", means: "notAfter must be later than notBefore (RFC 5280 §4.1.2.5)." },
  lint_validity_outside_issuer: { group: "lint", means: "The validity must lie within the issuer's." },
  lint_version: { group: "lint", means: "Certificates must be version 3 (RFC 5280 §4.1.2.1)." },

  // crl
  freshest_in_delta: { group: "crl", means: "A delta CRL must not carry a Freshest CRL extension (RFC 5280 §5.2.6)." },
  invalid_base_crl_number: { group: "crl", means: "A delta CRL's base must be a CRL number below its own (RFC 5280 §5.2.4)." },
  invalid_crl_number: { group: "crl", means: "crlNumber must be a non-negative integer of at most 20 octets (RFC 5280 §5.2.3)." },
  invalid_reason: { group: "crl", means: "Not a CRLReason value (RFC 5280 §5.3.1)." },
  invalid_time: { group: "crl", means: "Not a time from 1950 to 9999." },

  // account
  incorrect: { group: "account", means: "The current password is wrong." },
  repeated_character: { group: "account", means: "The password is one character repeated." },
  same_as_email: { group: "account", means: "The password is the email address or its part before the @." },
  too_short: { group: "account", means: "The password is shorter than 12 characters." },
  unchanged: { group: "account", means: "The new password is the current one." },
  unknown_identity: { group: "account", means: "No machine identity with this id in a project you administer." },

  // acme
  rejectedIdentifier: { group: "acme", means: "The identifier is not a valid DNS name or IP address (RFC 8555 §6.7)." },
  unsupportedIdentifier: { group: "acme", means: "The identifier type is neither dns nor ip (RFC 8555 §6.7)." },

  // est
  no_certificates: { group: "est", means: "The bootstrap CA chain holds no PEM certificate." },

  // external
  account_refused: { group: "external", means: "The external CA refused to create the ACME account." },
  eab_refused: { group: "external", means: "The external CA refused the external account binding (RFC 8555 §7.3.4)." },
  egress_refused: { group: "external", means: "The egress policy does not allow connections to this address (docs/egress.md)." },
  not_acme: { group: "external", means: "The URL does not serve an ACME directory." },
  tls_untrusted: { group: "external", means: "The server's TLS certificate is not trusted; add its root to the trust bundle." },
  unknown_hook: { group: "external", means: "No DNS hook of this name is registered on the server (--dns-hook)." },
  unreachable: { group: "external", means: "The ACME directory could not be reached." },

  // alerts
  smtp_not_configured: { group: "alerts", means: "The server has no SMTP server configured, so email rules cannot be delivered." },
  wrong_channel: { group: "alerts", means: "The setting belongs to the rule's other channel (webhook or email)." },

  // config
  missing_files: { group: "config", means: "--tls files needs both --tls-cert and --tls-key." },
  missing_value: { group: "config", means: "The option needs a value." },
  needs_postgres: { group: "config", means: "The setting needs PostgreSQL (--database-url)." },
  unknown_option: { group: "config", means: "No such option; run with --help to list them." },
  without_listener: { group: "config", means: "The setting needs the plain-HTTP listener." },
} as const satisfies Record<string, ViolationEntry>;

/** A violation code from the catalog; a code not listed in `VIOLATION_CODES` does not compile. */
export type ViolationCode = keyof typeof VIOLATION_CODES;

/** A pre-issuance lint's name: its violation code without the `lint_` prefix. */
export type LintName = { [K in ViolationCode]: K extends `lint_${infer N}` ? N : never }[ViolationCode];

/** True when `code` is in the catalog (for codes that arrive as strings, such as zod's issue codes). */
export function isViolationCode(code: string): code is ViolationCode {
  return Object.hasOwn(VIOLATION_CODES, code);
}
