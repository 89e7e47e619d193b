/**
 * PATCH semantics shared by every update use case (README "PATCH"): a field left out is
 * unchanged; a nested object merges member by member; arrays and scalars replace; in maps whose
 * members may be removed (profile defaults, template rules) null removes one (RFC 7396 §2).
 */

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** `patch` merged into `current`: undefined members are skipped, objects merge, the rest replaces. */
export function mergePatch<T>(current: T, patch: unknown): T {
  if (patch === undefined) return current;
  if (!isPlainObject(patch) || !isPlainObject(current)) return patch as T;
  const out: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    out[k] = isPlainObject(v) && isPlainObject(out[k]) ? mergePatch(out[k], v) : v;
  }
  return out as T;
}

/** The map without its null members: how a PATCH removes a member of `defaults` or a template rule. */
export function withoutNulls<T extends Record<string, unknown>>(map: T): T {
  return Object.fromEntries(Object.entries(map).filter(([, v]) => v !== null && v !== undefined)) as T;
}

/** True when a PATCH body names no field at all (`{}`): the update is then a no-op. */
export function isEmptyPatch(body: Record<string, unknown>): boolean {
  return Object.values(body).every((v) => v === undefined);
}
