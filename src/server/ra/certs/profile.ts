import { errors } from "../../../errors.js";
import type { ProfileDefaults } from "../../../policy/issuance.js";
import type { ProfileRow } from "../../store/cert.repo.js";

/** A profile as the use cases read it: the stored row with its defaults typed. */
export interface Profile extends Omit<ProfileRow, "defaults"> {
  defaults: ProfileDefaults;
}

// Parsed profiles per row version: the cached store hands out one row object until the row
// changes (docs/adr/0007-caches.md), so the row object is the version (as for templates).
const parsed = new WeakMap<ProfileRow, Profile>();

/**
 * Parses a stored profile once: its defaults must be an object (they were checked against the
 * template when saved, and decideIssuance checks every value again), so a failure means a
 * corrupt row. The one place a profile's JSON becomes `ProfileDefaults`.
 */
export function parseProfile(row: ProfileRow): Profile {
  const hit = parsed.get(row);
  if (hit) return hit;
  const d: unknown = row.defaults ?? {};
  if (typeof d !== "object" || d === null || Array.isArray(d)) throw errors.internal(`Profile ${row.id}'s defaults are not an object.`);
  const profile: Profile = { ...row, defaults: d as ProfileDefaults };
  parsed.set(row, profile);
  return profile;
}
