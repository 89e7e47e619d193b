import { errors, isStampError, StampError } from "../../../errors.js";
import { parseCertificate, verifySignedBy, type ParsedCertificate } from "../../../pki/certificate-parse.js";
import { verifyChain } from "../../../pki/chain.js";
import { namesEqual } from "../../../pki/name.js";
import { pemBlocks } from "../../../pki/pem.js";
import type { CertificateRow, ProfileRow } from "../../store/cert.repo.js";
import { normalizeSerial } from "../certs/lookup.js";
import type { EstCredentials, EstDeps } from "./deps.js";
import { passphraseMatches } from "./passphrase.js";

/** Who an EST request came from, once authenticated. */
export type EstClient =
  | { kind: "passphrase" }
  /** A certificate Stamp issued in the profile's project (row: its record). */
  | { kind: "stamp-certificate"; cert: ParsedCertificate; row: CertificateRow }
  /** A certificate that chains to the profile's bootstrap CA chain (RFC 7030 §3.3.2). */
  | { kind: "bootstrap-certificate"; cert: ParsedCertificate };

/** The audit actor of a client. */
export function estActor(c: EstClient): { type: string; id: string } {
  if (c.kind === "passphrase") return { type: "est-passphrase", id: "passphrase" };
  return { type: c.kind === "stamp-certificate" ? "est-client-certificate" : "est-bootstrap-certificate", id: c.cert.serialHex };
}

/** 401 with the reason; the transport adds WWW-Authenticate (RFC 7235 §3.1, RFC 7030 §3.2.3). */
const unauthenticated = (m: string) => new StampError("unauthenticated", m);
const bytesEqual = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;
const MAX_PATH = 8;
/**
 * Wrong chosen passphrases per (profile, client address) in a window shared by every server.
 * Generated passphrases are 192 random bits (nothing to guess), so they are not counted.
 */
export const EST_PASSPHRASE_LIMIT = { failures: 10, windowSeconds: 300 };

/** EST client authentication: HTTP Basic with the profile's passphrase, or a trusted TLS client certificate. */
export function createEstAuth(deps: EstDeps) {
  const { store, rt } = deps;

  /** A certificate Stamp issued with exactly these bytes, if any. */
  async function stampRow(cert: ParsedCertificate): Promise<CertificateRow | undefined> {
    const row = await store.cert.certificateBySerial(normalizeSerial(cert.serialHex));
    return row && bytesEqual(new Uint8Array(row.certificate), cert.der) ? row : undefined;
  }

  /** Why a certificate Stamp issued may not authenticate here, or null when it may. */
  function stampRowProblem(profile: ProfileRow, row: CertificateRow, now: Date): string | null {
    if (row.project_id !== profile.project_id) return "The client certificate was issued in another project.";
    if (row.status === "revoked") return "The client certificate is revoked.";
    if (row.deleted_at) return "The client certificate was deleted.";
    if (new Date(row.not_after) <= now || new Date(row.not_before) > now) return "The client certificate is expired or not yet valid.";
    return null;
  }

  /** The path from `leaf` to a bootstrap anchor through the presented intermediates; violations name what is wrong. */
  function bootstrapPath(leaf: ParsedCertificate, presented: ParsedCertificate[], anchors: ParsedCertificate[], now: Date): string | null {
    const pool = [...presented, ...anchors];
    const path: ParsedCertificate[] = [];
    let current = leaf;
    for (let i = 0; i < MAX_PATH; i++) {
      if (anchors.some((a) => bytesEqual(a.der, current.der))) {
        const v = verifyChain(leaf, path, now);
        return v.length ? `The client certificate does not chain to the profile's bootstrap CA: ${v[0].message}` : null;
      }
      const issuer = pool.find((c) => c !== current && namesEqual(current.issuer, c.subject) && verifySignedBy(current, c.spki));
      if (!issuer) break;
      path.push(issuer);
      current = issuer;
    }
    return "The client certificate does not chain to the profile's bootstrap CA chain.";
  }

  /** Checks a TLS client certificate chain (leaf first) for `profile`; throws 403 with the reason when untrusted. */
  async function trustClientChain(profile: ProfileRow, chain: Uint8Array[]): Promise<EstClient> {
    const now = rt.clock();
    let leaf: ParsedCertificate;
    let presented: ParsedCertificate[];
    try {
      [leaf, ...presented] = chain.slice(0, MAX_PATH + 1).map((d) => parseCertificate(d));
    } catch (e) {
      if (isStampError(e)) throw errors.forbidden(`The client certificate could not be read: ${e.message}`);
      throw e;
    }
    const row = await stampRow(leaf);
    if (row) {
      const problem = stampRowProblem(profile, row, now);
      if (problem) throw errors.forbidden(problem);
      return { kind: "stamp-certificate", cert: leaf, row };
    }
    const pem = profile.est_config?.bootstrapCaChain;
    if (pem) {
      const anchors = pemBlocks(pem).map((b) => parseCertificate(b.der));
      const problem = bootstrapPath(leaf, presented, anchors, now);
      if (!problem) return { kind: "bootstrap-certificate", cert: leaf };
      throw errors.forbidden(problem);
    }
    throw errors.forbidden("The client certificate is not one Stamp issued in this project, and the profile has no bootstrap CA chain to check it against.");
  }

  return {
    /**
     * Authenticates an enrollment (RFC 7030 §3.2.3, §3.3.2): a Basic passphrase is checked when
     * sent; otherwise a client certificate must be trusted; with neither, 401.
     */
    async authenticate(profile: ProfileRow, creds: EstCredentials, ip: string | null): Promise<EstClient> {
      const stored = profile.est_config?.passphraseHash ?? null;
      if (creds.basic) {
        if (!stored) throw unauthenticated("This profile has no EST passphrase; authenticate with a TLS client certificate.");
        const limited = !stored.startsWith("sha256:");
        const key = `est:${profile.id}|${ip ?? "unknown"}`;
        const { failures, windowSeconds } = EST_PASSPHRASE_LIMIT;
        if (limited) {
          const seen = await store.misc.hitsOf(key, rt.clock(), windowSeconds);
          const retry = Math.max(1, Math.ceil((seen.window_start.getTime() + windowSeconds * 1000 - rt.clock().getTime()) / 1000));
          if (seen.count >= failures) throw errors.rateLimited(`Too many wrong EST passphrases from your address; try again in ${retry} seconds.`, retry);
        }
        if (!(await passphraseMatches(stored, creds.basic.password))) {
          if (limited) await store.misc.hit(key, rt.clock(), windowSeconds);
          throw unauthenticated("The EST passphrase is wrong.");
        }
        return { kind: "passphrase" };
      }
      if (creds.clientChain?.length) return trustClientChain(profile, creds.clientChain);
      throw unauthenticated(stored ? "EST enrollment needs HTTP Basic authentication with the profile's EST passphrase, or a TLS client certificate." : "EST enrollment on this profile needs a TLS client certificate.");
    },
    /**
     * simplereenroll's client (RFC 7030 §4.2.2): a current, unrevoked certificate this profile
     * issued, presented as the TLS client certificate.
     */
    async reenrollClient(profile: ProfileRow, creds: EstCredentials): Promise<{ cert: ParsedCertificate; row: CertificateRow }> {
      if (!creds.clientChain?.length) throw unauthenticated("simplereenroll needs the certificate being renewed as the TLS client certificate.");
      const c = await trustClientChain(profile, creds.clientChain);
      if (c.kind !== "stamp-certificate" || c.row.profile_id !== profile.id) throw errors.forbidden("simplereenroll renews certificates of this profile only; the client certificate is not one.");
      if (c.row.renewed_by_id) throw errors.forbidden(`The client certificate was already renewed by ${c.row.renewed_by_id}; re-enroll with that one.`);
      return c;
    },
  };
}
