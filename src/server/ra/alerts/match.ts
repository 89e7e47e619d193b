import type { AlertFilters } from "../../store/schema.js";

/** The certificate facts a rule's filters look at. */
export interface AlertSubject {
  profileId: string | null;
  caId: string | null;
  commonName: string;
  altNames: { type: string; value: string }[];
}

/** True when `name` matches the glob `pattern` (`*` = any run of characters; case-insensitive). */
export function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.toLowerCase().replace(/[.^$+?()[\]{}|\\]/g, (m) => `\\${m}`).replace(/\*/g, ".*")}$`);
  return re.test(name.toLowerCase());
}

/** True when a certificate passes a rule's filters (an empty list = any profile or CA). */
export function matchesFilters(f: AlertFilters, c: AlertSubject): boolean {
  if (f.profileIds.length && !(c.profileId && f.profileIds.includes(c.profileId))) return false;
  if (f.caIds.length && !(c.caId && f.caIds.includes(c.caId))) return false;
  if (f.namePattern) {
    const p = f.namePattern;
    if (![c.commonName, ...c.altNames.map((a) => a.value)].some((n) => globMatch(p, n))) return false;
  }
  return true;
}
