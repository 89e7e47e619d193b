import type { ColumnType, Generated } from "kysely";
import type { AcmeAccountsTable, AcmeAuthzsTable, AcmeChallengesTable, AcmeConfig, AcmeEabKeysTable, AcmeOrdersTable, AcmeUsedNoncesTable } from "./schema-acme.js";
import type { Bytes, Created, Json } from "./schema-columns.js";
import type { ExternalCasTable } from "./schema-external.js";
import type { ScepChallengesTable, ScepRaCertificatesTable, ScepSettingsTable, ScepTransactionsTable } from "./schema-scep.js";

/** Row types of Stamp's tables, as Kysely sees them (the ACME ones in schema-acme.ts). */

export type { Bytes } from "./schema-columns.js";
export type { DnsSolverConfig, ExternalAcmeConfig, ExternalCasTable } from "./schema-external.js";
export type { AcmeAccountsTable, AcmeAuthzsTable, AcmeChallengesTable, AcmeConfig, AcmeEabKeysTable, AcmeOrdersTable, AcmeUsedNoncesTable } from "./schema-acme.js";

export interface ProjectsTable { id: string; name: string; created_at: Created }
export interface UsersTable { id: string; email: string; password_hash: string; is_server_admin: boolean; created_at: Created; token_generation: ColumnType<number, number | undefined, number> }
export interface IdentitiesTable { id: string; project_id: string; name: string; client_id: string; access_token_ttl: number; created_at: Created; token_generation: ColumnType<number, number | undefined, number> }
export interface IdentityClientSecretsTable {
  id: string;
  identity_id: string;
  secret_hash: string;
  secret_prefix: string;
  description: string;
  created_at: Created;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
}
export type Role = "admin" | "member" | "viewer";
export interface MembershipsTable {
  id: string;
  project_id: string;
  principal_type: "user" | "identity";
  principal_id: string;
  role: Role;
  profiles: Json<string[] | null>;
  can_read_private_keys: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Created;
}
export interface RevokedTokensTable { token_id: string; expires_at: Date }
export interface IdempotencyKeysTable {
  principal_type: string;
  principal_id: string;
  key: string;
  operation: string;
  request_hash: string;
  state: "pending" | "done";
  response_sealed: Json<unknown> | null;
  claimed_at: Date;
  created_at: Date;
}
export interface MembershipInvitationsTable {
  id: string;
  project_id: string;
  email: string;
  role: Role;
  profiles: Json<string[] | null>;
  can_read_private_keys: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Created;
}
export interface ServerSecretsTable { name: string; sealed: Json<unknown>; created_at: Created }
export interface RateLimitsTable { key: string; window_start: Date; count: number }
export type CaStatus = "active" | "disabled" | "pending-certificate";
export interface CasTable {
  id: string;
  project_id: string;
  name: string;
  type: "root" | "intermediate";
  status: CaStatus;
  parent_ca_id: string | null;
  subject: Json<CaSubject>;
  max_path_length: number;
  key_algorithm: string;
  active_key_id: string | null;
  active_certificate_id: string | null;
  not_before: Date | null;
  not_after: Date | null;
  revocation_seq: ColumnType<string, never, string>;
  crl_validity_seconds: ColumnType<number, number | undefined, number>;
  ocsp_signer: ColumnType<"delegated" | "ca", "delegated" | "ca" | undefined, "delegated" | "ca">;
  crl_published_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  crl_error: ColumnType<string | null, string | null | undefined, string | null>;
  crl_failing_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** Extra CRL distribution point URLs written beside Stamp's own (0021). */
  crl_distribution_point_urls: ColumnType<string[], string | undefined, string>;
  /** Whether the OCSP responder answers for this CA and its certificates name it (0021). */
  ocsp_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  created_at: Created;
  updated_at: Date;
}
export interface CaSubject { commonName: string; organization?: string; ou?: string; country?: string; province?: string; locality?: string }
export interface CaKeysTable {
  id: string;
  ca_id: string;
  key_algorithm: string;
  backend: "software" | "pkcs11";
  key_ref: Json<unknown>;
  spki: Bytes;
  pending_csr: Bytes | null;
  created_at: Created;
}
export interface CaCertificatesTable {
  id: string;
  ca_id: string;
  ca_key_id: string;
  version: number;
  serial: string;
  issuer_ca_id: string | null;
  certificate: Bytes;
  /** Issuer first, up to the root; empty for a root. */
  chain_pem: string;
  not_before: Date;
  not_after: Date;
  created_at: Created;
}
export interface SigningLogTable {
  id: Generated<string>;
  issuer_ca_id: string | null;
  serial: string;
  kind: string;
  subject_id: string | null;
  status: "intended" | "signed" | "failed" | "abandoned";
  created_at: Created;
  /** When reconciliation settled a record left `intended` (0015). */
  resolved_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}
export interface AuditLogTable {
  id: Generated<string>;
  project_id: string | null;
  actor_type: string;
  actor_id: string;
  action: string;
  object_type: string;
  object_id: string | null;
  outcome: "success" | "failure" | "denied";
  source_ip: string | null;
  detail: Json<Record<string, unknown>>;
  created_at: Created;
  /** The hash chain (migration 0008; docs/security.md): the previous entry's hash and this one's. */
  prev_hash: string;
  hash: string;
}

/** The newest entry of the audit chain; one row, locked by every append. */
export interface AuditChainHeadTable {
  id: number;
  last_id: string | null;
  last_hash: string;
}

export interface CertificateTemplatesTable {
  id: string;
  project_id: string;
  name: string;
  description: string;
  rules: Json<unknown>;
  created_at: Created;
  updated_at: Date;
}
export interface CertificateProfilesTable {
  id: string;
  project_id: string;
  slug: string;
  description: string;
  template_id: string;
  issuer_type: "ca" | "self-signed";
  ca_id: string | null;
  enrollment_methods: Json<string[]>;
  defaults: Json<Record<string, unknown>>;
  api_config: Json<{ autoRenew: boolean; renewBeforeDays: number | null }>;
  acme_config: ColumnType<AcmeConfig | null, string | null | undefined, string | null>;
  est_config: ColumnType<EstConfig | null, string | null | undefined, string | null>;
  /** The external CA that issues this profile's certificates (0028); ca_id is then null. */
  external_ca_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Created;
  updated_at: Date;
}
/** A profile's EST settings (migration 0026). */
export interface EstConfig {
  /** "sha256:<hex>" of a generated passphrase, or an argon2id hash of a chosen one; null: Basic is off. */
  passphraseHash: string | null;
  /** PEM certificates a client certificate may chain to (the bootstrap CA chain); null: only Stamp's own certificates. */
  bootstrapCaChain: string | null;
}
export interface CertificatesTable {
  id: string;
  project_id: string;
  profile_id: string | null;
  ca_id: string | null;
  ca_certificate_id: string | null;
  ca_key_id: string | null;
  serial: string;
  status: "active" | "revoked";
  revocation_seq: ColumnType<string | null, never, string | null>;
  common_name: string;
  alt_names: Json<{ type: string; value: string }[]>;
  /** Lower-cased CN and SAN values, for substring search. */
  search_text: string;
  not_before: Date;
  not_after: Date;
  key_algorithm: string;
  key_usages: Json<string[]>;
  extended_key_usages: Json<string[]>;
  certificate: Bytes;
  chain_pem: string;
  key_source: "server" | "csr" | "imported";
  key_ref: Json<unknown> | null;
  request: Json<Record<string, unknown>>;
  /** Key/value pairs the caller attached (Infisical's certificate metadata, 0022). */
  metadata: ColumnType<{ key: string; value: string }[], string | undefined, string>;
  /** SHA-1 of the DER (thumbprint lookups; null for certificates issued before 0022). */
  fingerprint_sha1: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
  /** Taken out of the inventory (DELETE); CRLs and OCSP still answer for it. */
  deleted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  renewed_from_id: string | null;
  renewed_by_id: string | null;
  revoked_at: Date | null;
  revocation_reason: string | null;
  invalidity_date: Date | null;
  hold_released_at: Date | null;
  auto_renew: ColumnType<boolean | null, boolean | null | undefined, boolean | null>;
  renew_before_days: ColumnType<number | null, number | null | undefined, number | null>;
  renewal_claimed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  renewal_failure: ColumnType<string | null, string | null | undefined, string | null>;
  renewal_failed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** An HTTP answer carrying it not yet written (pending), or never written (unconfirmed); null once written, or when issued otherwise (0015). */
  delivery: ColumnType<"pending" | "unconfirmed" | null, "pending" | null | undefined, "pending" | "unconfirmed" | null>;
  /** The external CA that issued it (0028): no CRL or OCSP of Stamp's answers for it. */
  external_ca_id: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Created;
}

export interface CrlsTable {
  id: string;
  ca_id: string;
  ca_key_id: string;
  crl_number: ColumnType<string, string, string>;
  delta_base: ColumnType<string | null, string | null, string | null>;
  revocation_seq: ColumnType<string, string, string>;
  this_update: Date;
  next_update: Date;
  entries: number;
  /** The CRL, when stored whole; null when it is in crl_parts. */
  der: ColumnType<Bytes | null, Bytes | null | undefined, Bytes | null>;
  /** The CRL's length in bytes when it is stored in crl_parts. */
  size: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Created;
}
export interface CrlPartsTable {
  crl_id: string;
  part: number;
  bytes: Bytes;
}
export interface OcspSignersTable {
  id: string;
  ca_id: string;
  ca_key_id: string;
  key_algorithm: string;
  key_ref: Json<unknown>;
  certificate: Bytes;
  not_before: Date;
  not_after: Date;
  created_at: Created;
}

/** What an alert rule listens to and where it sends. */
export type AlertEventType = "expiration" | "issued" | "renewed" | "renewal_failed" | "revoked" | "crl_failed";
export interface AlertFilters { profileIds: string[]; caIds: string[]; namePattern: string | null }
export interface AlertRulesTable {
  id: string;
  project_id: string;
  name: string;
  events: Json<AlertEventType[]>;
  expiration_days: Json<number[]>;
  filters: Json<AlertFilters>;
  channel: "webhook" | "email";
  webhook_url: string | null;
  secret_sealed: Json<unknown> | null;
  email_to: Json<string[]> | null;
  enabled: boolean;
  created_at: Date;
  updated_at: Date;
}
export interface AlertDeliveriesTable {
  id: string;
  rule_id: string;
  event_id: string;
  event_type: string;
  certificate_id: string | null;
  dedupe_key: string;
  status: "pending" | "delivered" | "failed";
  attempts: ColumnType<number, number | undefined, number>;
  next_attempt_at: Date;
  last_error: string | null;
  response_status: number | null;
  payload: Json<Record<string, unknown>>;
  created_at: Date;
  delivered_at: Date | null;
}

/** A certificate whose HTTP answer has not been confirmed written yet (0020). */
export interface PendingDeliveriesTable {
  certificate_id: string;
  created_at: Date;
}
/** The whole schema. */
export interface Database {
  pending_deliveries: PendingDeliveriesTable;
  projects: ProjectsTable;
  users: UsersTable;
  identities: IdentitiesTable;
  identity_client_secrets: IdentityClientSecretsTable;
  memberships: MembershipsTable;
  server_secrets: ServerSecretsTable;
  rate_limits: RateLimitsTable;
  revoked_tokens: RevokedTokensTable;
  idempotency_keys: IdempotencyKeysTable;
  membership_invitations: MembershipInvitationsTable;
  cas: CasTable;
  ca_keys: CaKeysTable;
  ca_certificates: CaCertificatesTable;
  signing_log: SigningLogTable;
  audit_log: AuditLogTable;
  audit_chain_head: AuditChainHeadTable;
  certificate_templates: CertificateTemplatesTable;
  certificate_profiles: CertificateProfilesTable;
  certificates: CertificatesTable;
  crls: CrlsTable;
  crl_parts: CrlPartsTable;
  ocsp_signers: OcspSignersTable;
  acme_eab_keys: AcmeEabKeysTable;
  acme_used_nonces: AcmeUsedNoncesTable;
  acme_accounts: AcmeAccountsTable;
  acme_orders: AcmeOrdersTable;
  acme_authzs: AcmeAuthzsTable;
  acme_challenges: AcmeChallengesTable;
  alert_rules: AlertRulesTable;
  alert_deliveries: AlertDeliveriesTable;
  certificate_requests: CertificateRequestsTable;
  external_cas: ExternalCasTable;
  scep_settings: ScepSettingsTable;
  scep_ra_certificates: ScepRaCertificatesTable;
  scep_challenges: ScepChallengesTable;
  scep_transactions: ScepTransactionsTable;
}

/** A certificate request that did not end in a certificate at once (0022); synchronous issuances are their certificate rows. */
export interface CertificateRequestsTable {
  id: string;
  project_id: string;
  profile_id: string | null;
  status: "pending_approval" | "pending" | "pending_validation" | "issued" | "failed" | "rejected" | "cancelled";
  certificate_id: string | null;
  common_name: string;
  request: Json<Record<string, unknown>>;
  metadata: ColumnType<{ key: string; value: string }[], string | undefined, string>;
  error_message: string | null;
  pending_message: string | null;
  created_at: Created;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  /** The external CA the request waits on (0028), its lease, attempts and the CA's problem document. */
  external_ca_id: ColumnType<string | null, string | null | undefined, string | null>;
  lease_until: ColumnType<Date | null, Date | null | undefined, Date | null>;
  attempts: ColumnType<number, number | undefined, number>;
  problem: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
}
