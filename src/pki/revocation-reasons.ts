/** CRLReason codes (RFC 5280 §5.3.1) by the names the API uses (Infisical's spelling). */
export const REVOCATION_REASON_CODES = {
  UNSPECIFIED: 0,
  KEY_COMPROMISE: 1,
  CA_COMPROMISE: 2,
  AFFILIATION_CHANGED: 3,
  SUPERSEDED: 4,
  CESSATION_OF_OPERATION: 5,
  CERTIFICATE_HOLD: 6,
  PRIVILEGE_WITHDRAWN: 9,
  A_A_COMPROMISE: 10,
} as const;

/** One revocation reason name. */
export type RevocationReason = keyof typeof REVOCATION_REASON_CODES;

/** removeFromCRL (8): only in delta CRLs, for a lifted certificateHold (RFC 5280 §5.3.1). */
export const REMOVE_FROM_CRL = 8;

/** The reason code of a stored reason name (unspecified for anything unknown). */
export function reasonCode(name: string | null): number {
  return name && name in REVOCATION_REASON_CODES ? REVOCATION_REASON_CODES[name as RevocationReason] : 0;
}
