import type { ProfileRow } from "../../store/cert.repo.js";
import type { ScepSettingsRow } from "../../store/scep.repo.js";
import type { CertDeps } from "../certs/issue.js";

/** A profile that serves SCEP, with its settings. */
export interface ScepProfile {
  profile: ProfileRow & { ca_id: string };
  settings: ScepSettingsRow;
}

/** One RA certificate and the operations of its key (held by server/ca). */
export interface ScepRaKeyPort {
  id: string;
  certificate: Uint8Array;
  notAfter: Date;
  /** The raw RSA private-key operation (the caller unpads with implicit rejection); never throws on bad input. */
  rawDecrypt(block: Uint8Array): Promise<Uint8Array>;
  /** A PKCS#1 v1.5 signature over `hash`. */
  sign(hash: string, data: Uint8Array): Promise<Uint8Array>;
}

/** The narrow view of server/ca's SCEP RA the use cases need (compose.ts wires it). */
export interface ScepRaPort {
  forProfile(profile: { id: string; slug: string; caId: string }, settings: { raLifetimeDays: number; raRenewBeforeDays: number }): Promise<{ current: ScepRaKeyPort; valid: ScepRaKeyPort[]; caChain: Uint8Array[] }>;
}

/** What the SCEP use cases need. */
export interface ScepDeps {
  certs: CertDeps;
  ra: ScepRaPort;
  /** The newest full CRL of a CA key (built on demand when there is none yet). */
  crl(caKeyId: string): Promise<{ der: Uint8Array }>;
  publicUrl: string;
}
