/** Who is calling: a user or a machine identity, as proven by an access token. */
export interface Principal {
  type: "user" | "identity";
  id: string;
  /** Email for users, name for machine identities. */
  label: string;
  isServerAdmin: boolean;
}

/** What every use case gets about the request it serves. */
export interface RequestContext {
  principal: Principal | null;
  /** Who acted when it is not a token holder (an ACME account, authorized by its key); for the audit log. */
  actor?: { type: string; id: string };
  sourceIp: string | null;
  /** The access token the caller presented (its id and expiry, seconds since 1970), so logout can revoke it. */
  token?: { id: string; expiresAt: number };
}

export type { CrlFailure, Runtime } from "../shared-types.js";
