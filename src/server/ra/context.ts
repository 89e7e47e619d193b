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

/** Injected time and randomness (house rule 11). */
export interface Runtime {
  clock: () => Date;
  random: (bytes: number) => Buffer;
  uuid: () => string;
}

/** What a publishing pass tells about a CA whose CRL could not be built. */
export interface CrlFailure {
  caId: string;
  error: string;
  /** When this CA's CRL builds started failing (the same on every server). */
  failingSince: Date;
  /** True when the newest CRL is past its nextUpdate (or there is none): relying parties now fail. */
  stale: boolean;
}
