import type { Bytes, Created, Json } from "./schema-columns.js";

/** Row types of the SCEP tables (RFC 8894, migration 0027); schema.ts lists them in Database. */

export interface ScepSettingsTable {
  profile_id: string;
  /** argon2id hash of the static challenge password; null when only dynamic challenges are accepted. */
  challenge_hash: string | null;
  ra_lifetime_days: number;
  ra_renew_before_days: number;
  challenge_ttl_seconds: number;
  max_pending_challenges: number;
  updated_at: Date;
}
export interface ScepRaCertificatesTable {
  id: string;
  profile_id: string;
  ca_id: string;
  key_algorithm: string;
  key_ref: Json<unknown>;
  certificate: Bytes;
  not_before: Date;
  not_after: Date;
  created_at: Created;
}
export interface ScepChallengesTable {
  id: string;
  profile_id: string;
  challenge_hash: string;
  created_by: string;
  expires_at: Date;
  used_at: Date | null;
}
export interface ScepTransactionsTable {
  profile_id: string;
  transaction_id: string;
  certificate_id: string;
  created_at: Created;
}
