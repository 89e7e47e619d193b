import type { Store } from "../../store/store.js";
import type { Runtime } from "../context.js";
import type { CertDeps } from "../certs/issue.js";
import type { Nonces } from "./nonces.js";

/** A validation's outcome, as server/va reports it. */
export type VaResult = { ok: true; record: Record<string, unknown> } | { ok: false; problem: { type: string; detail: string } };

/** The narrow view of server/va the ACME use cases need (compose.ts wires it). */
export interface VaPort {
  http01(id: { type: "dns" | "ip"; value: string }, token: string, keyAuthorization: string): Promise<VaResult>;
  dns01(id: { type: "dns" | "ip"; value: string }, expectedTxt: string): Promise<VaResult>;
  tlsAlpn01(id: { type: "dns" | "ip"; value: string }, check: (certDer: Uint8Array) => string | null): Promise<VaResult>;
}

/** Sealing for EAB HMAC keys (envelope encryption under the root key; compose.ts wires it). */
export interface SecretPort {
  seal(plaintext: Uint8Array, aad: string): unknown;
  open(sealed: unknown, aad: string): Uint8Array;
}

/** What the ACME use cases need. */
export interface AcmeDeps {
  store: Store;
  rt: Runtime;
  certs: CertDeps;
  va: VaPort;
  secrets: SecretPort;
  /** Self-authenticating nonces under a key every server shares (nonces.ts). */
  nonces: Nonces;
  publicUrl: string;
  limits: { requestsPerMinutePerIp: number; ordersPerHourPerAccount: number };
}

/** What an ACME endpoint answers: status, JSON (or PEM) body and headers. */
export interface AcmeReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Set for certificate downloads (application/pem-certificate-chain). */
  pem?: string;
}

/** The URLs of one profile's ACME server (RFC 8555 §7.1). */
export function acmeUrls(publicUrl: string, profileId: string) {
  const base = `${publicUrl}/api/v1/cert-manager/acme/profiles/${profileId}`;
  return {
    base,
    directory: `${base}/directory`,
    newNonce: `${base}/new-nonce`,
    newAccount: `${base}/new-account`,
    newOrder: `${base}/new-order`,
    revokeCert: `${base}/revoke-cert`,
    keyChange: `${base}/key-change`,
    renewalInfo: `${base}/renewal-info`,
    account: (id: string) => `${base}/account/${id}`,
    orders: (id: string) => `${base}/account/${id}/orders`,
    order: (id: string) => `${base}/order/${id}`,
    finalize: (id: string) => `${base}/order/${id}/finalize`,
    authz: (id: string) => `${base}/authz/${id}`,
    chall: (id: string) => `${base}/chall/${id}`,
    cert: (id: string) => `${base}/cert/${id}`,
  };
}

/** The AAD that binds a sealed EAB HMAC key to its key id. */
export const eabAad = (keyId: string) => `acme-eab:${keyId}`;
