import type { ColumnType } from "kysely";
import type { Created, Json } from "./schema-columns.js";

/** How an ACME external CA proves control of names (DNS-01, RFC 8555 §8.4): its non-secret settings. */
export type DnsSolverConfig =
  | { type: "rfc2136"; server: string; port: number; zone: string; keyName: string; algorithm: string }
  | { type: "hook"; hook: string };

/** An ACME external CA's settings, as stored (secrets are in `secrets_sealed`). */
export interface ExternalAcmeConfig {
  directoryUrl: string;
  accountEmail: string;
  eabKid: string | null;
  dnsSolver: DnsSolverConfig;
  /** PEM bundle trusted for the CA's TLS; null: the system's roots. */
  trustBundle: string | null;
  /** How long to wait for the TXT record to be visible on the zone's authoritative servers. */
  propagationTimeoutSeconds: number;
}

/** A public CA Stamp orders certificates from (0028). */
export interface ExternalCasTable {
  id: string;
  project_id: string;
  name: string;
  type: "acme";
  status: "active" | "disabled";
  configuration: Json<ExternalAcmeConfig>;
  /** Sealed JSON `{accountKey, eabHmacKey?, tsigSecret?}` (keys/envelope.ts). */
  secrets_sealed: Json<unknown>;
  account_url: string | null;
  created_at: Created;
  updated_at: ColumnType<Date, Date | undefined, Date>;
}
