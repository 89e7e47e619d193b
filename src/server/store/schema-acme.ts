import type { Created, Json } from "./schema-columns.js";

/** Row types of the ACME server's tables (RFC 8555), as Kysely sees them; schema.ts re-exports them. */

/** A profile's ACME settings. */
export interface AcmeConfig {
  eabRequired: boolean;
  challengeTypes: ("http-01" | "dns-01" | "tls-alpn-01")[];
  orderLifetimeSeconds: number;
  authorizationLifetimeSeconds: number;
}
export interface AcmeEabKeysTable {
  key_id: string;
  profile_id: string;
  hmac_sealed: Json<unknown>;
  description: string;
  account_id: string | null;
  created_at: Created;
  revoked_at: Date | null;
}
/** The first use of each ACME nonce, kept until it expires (migration 0025). */
export interface AcmeUsedNoncesTable { nonce: string; expires_at: Date }
export interface AcmeAccountsTable {
  id: string;
  profile_id: string;
  jwk: Json<Record<string, unknown>>;
  thumbprint: string;
  status: "valid" | "deactivated" | "revoked";
  contact: Json<string[]>;
  eab_key_id: string | null;
  created_at: Created;
}
export interface AcmeOrdersTable {
  id: string;
  account_id: string;
  profile_id: string;
  status: "pending" | "ready" | "processing" | "valid" | "invalid";
  identifiers: Json<{ type: "dns" | "ip"; value: string }[]>;
  not_before: Date | null;
  not_after: Date | null;
  expires_at: Date;
  error: Json<Record<string, unknown>> | null;
  certificate_id: string | null;
  replaces: string | null;
  created_at: Created;
}
export interface AcmeAuthzsTable {
  id: string;
  order_id: string;
  identifier_type: "dns" | "ip";
  identifier_value: string;
  wildcard: boolean;
  status: "pending" | "valid" | "invalid" | "deactivated" | "expired" | "revoked";
  expires_at: Date;
  created_at: Created;
}
export interface AcmeChallengesTable {
  id: string;
  authz_id: string;
  type: "http-01" | "dns-01" | "tls-alpn-01";
  token: string;
  status: "pending" | "processing" | "valid" | "invalid";
  validated_at: Date | null;
  error: Json<Record<string, unknown>> | null;
  created_at: Created;
}
