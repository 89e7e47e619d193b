import type { ScepSettingsRow } from "../../store/scep.repo.js";
import type { ReposOf } from "../../shared-types.js";
import { hashPassword, hashRandomSecret } from "../auth/passwords.js";

/** scepConfig as the profile API takes it (contract/profiles.ts). */
export interface ScepConfigInput {
  challengePassword?: string | null;
  raCertificateLifetimeDays?: number;
  raRenewBeforeDays?: number;
  challengeLifetimeSeconds?: number;
  maxPendingChallenges?: number;
}

/** Defaults of the scep enrollment method. */
export const SCEP_DEFAULTS = { raLifetimeDays: 365, raRenewBeforeDays: 30, challengeTtlSeconds: 3600, maxPendingChallenges: 1000 } as const;

/** A profile's SCEP settings in the API's words; the challenge itself is never shown again. */
export function scepConfigView(row: ScepSettingsRow | undefined, profileId: string, publicUrl: string) {
  if (!row) return null;
  return {
    url: `${publicUrl}/scep/${profileId}/pkiclient.exe`,
    challengePasswordSet: row.challenge_hash !== null,
    raCertificateLifetimeDays: row.ra_lifetime_days,
    raRenewBeforeDays: row.ra_renew_before_days,
    challengeLifetimeSeconds: row.challenge_ttl_seconds,
    maxPendingChallenges: row.max_pending_challenges,
  };
}

/** The argon2id hash of a new static challenge (null clears it; undefined leaves it); hashed before any transaction opens. */
export async function challengeHashOf(input: ScepConfigInput | undefined): Promise<string | null | undefined> {
  if (input?.challengePassword === undefined) return undefined;
  return input.challengePassword === null ? null : hashPassword(input.challengePassword);
}

/** Writes a profile's SCEP settings, merged over the stored ones (PATCH) or the defaults. */
export async function putScepSettings(tx: ReposOf<{ scep: "settings" | "putSettings" }>, profileId: string, input: ScepConfigInput | undefined, challengeHash: string | null | undefined) {
  const old = await tx.scep.settings(profileId);
  await tx.scep.putSettings(profileId, {
    challengeHash,
    raLifetimeDays: input?.raCertificateLifetimeDays ?? old?.ra_lifetime_days ?? SCEP_DEFAULTS.raLifetimeDays,
    raRenewBeforeDays: input?.raRenewBeforeDays ?? old?.ra_renew_before_days ?? SCEP_DEFAULTS.raRenewBeforeDays,
    challengeTtlSeconds: input?.challengeLifetimeSeconds ?? old?.challenge_ttl_seconds ?? SCEP_DEFAULTS.challengeTtlSeconds,
    maxPendingChallenges: input?.maxPendingChallenges ?? old?.max_pending_challenges ?? SCEP_DEFAULTS.maxPendingChallenges,
  });
}

/** A new random challenge password: 160 bits as hex (a PrintableString in any SCEP client's CSR). */
export function newChallengePassword(random: (n: number) => Buffer): string {
  return random(20).toString("hex");
}

/** SHA-256 of a one-time challenge (160 random bits: no dictionary to guess from, so a fast hash is enough). */
export function dynamicChallengeHash(challenge: string): string {
  return hashRandomSecret(challenge);
}
