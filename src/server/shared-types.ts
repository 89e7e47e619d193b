/**
 * Types that the RA and the CA both speak and neither owns: the injected runtime and what a CRL
 * publishing pass reports. They live here so that `ca/` never imports from `ra/`.
 */

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

/** An OCSP answer, how long an HTTP cache may keep it, its response status (RFC 6960 §4.2.1) and whether it came from the responder's cache (metrics). */
export interface OcspAnswer {
  der: Uint8Array;
  maxAgeSeconds: number;
  status: "successful" | "malformedRequest" | "unauthorized" | "tryLater" | "internalError";
  cached: boolean;
}
