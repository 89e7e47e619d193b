import type { CacheHub } from "./cache.js";
import type { Store } from "./store.js";

/** Tables whose rows the caches hold; migration 0017 puts a notifying trigger on each. */
export const CACHED_TABLES = ["users", "identities", "identity_client_secrets", "revoked_tokens", "memberships", "certificate_profiles", "certificate_templates", "cas", "ca_keys", "ca_certificates", "alert_rules", "acme_accounts"] as const;

const CACHED = new Set<string>(CACHED_TABLES);
// insert into "t", update "t", delete from "t": as Kysely compiles them and as raw SQL writes them.
const WRITE = /\b(?:insert\s+into|update|delete\s+from)\s+"?([a-z_][a-z0-9_]*)"?/gi;

/** The cached tables a statement writes to (none for a read). */
export function tablesWritten(sqlText: string): string[] {
  const out: string[] = [];
  for (const m of sqlText.matchAll(WRITE)) if (CACHED.has(m[1].toLowerCase())) out.push(m[1].toLowerCase());
  return out;
}

// The CA-key SPKI set is held whole up to this many keys; past it isCaKey asks the database.
const MAX_CA_KEYS = 100_000;
const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("hex");

/**
 * The top-level store with its hot reads cached (docs/adr/0007-caches.md): same names and
 * signatures, so callers do not change. Transactions' repositories stay uncached: a read
 * inside a transaction must see that transaction. `observe` hears every statement run on the
 * database, so this server's own writes drop what they change at once (and again after
 * their transaction commits), before their notification comes back.
 */
export function withCache(inner: Store, hub: CacheHub, observe: (fn: (sql: string) => void) => () => void): Store & { stopObserving(): void } {
  const c = hub.cached;
  // Transactions open now: the tables they wrote are dropped again once they end.
  const open = new Set<Set<string>>();
  const stopObserving = observe((text) => {
    for (const t of tablesWritten(text)) {
      hub.invalidateTable(t);
      for (const s of open) s.add(t);
    }
  });
  async function tracked<T>(run: () => Promise<T>): Promise<T> {
    const written = new Set<string>();
    open.add(written);
    try {
      return await run();
    } finally {
      open.delete(written);
      for (const t of written) hub.invalidateTable(t);
    }
  }

  const spkis = c({ max: 1, key: () => "", tags: () => ["ca_keys"] }, async () => {
    const rows = await inner.ca.caKeySpkis(MAX_CA_KEYS + 1);
    return rows.length > MAX_CA_KEYS ? null : new Set(rows.map((r) => hex(r.spki)));
  });

  return {
    ...inner,
    stopObserving,
    transaction: (fn) => tracked(() => inner.transaction(fn)),
    identity: {
      ...inner.identity,
      userForToken: c({ max: 20_000, key: (id, tokenId) => `${id}/${tokenId}`, tags: (id, tokenId) => [`users:${id}`, `revoked_tokens:${tokenId}`] }, inner.identity.userForToken),
      identityForToken: c(
        { max: 20_000, key: (id, secretId, tokenId) => `${id}/${secretId}/${tokenId}`, tags: (id, secretId, tokenId) => [`identities:${id}`, `identity_client_secrets:${secretId}`, `revoked_tokens:${tokenId}`] },
        inner.identity.identityForToken,
      ),
      membership: c({ max: 20_000, key: (p, t, id) => `${p}/${t}/${id}`, tags: (p, t, id) => [`memberships:${p}/${t}/${id}`] }, inner.identity.membership),
    },
    cert: {
      ...inner.cert,
      profileById: c({ max: 5_000, key: (id) => id, tags: (id) => [`certificate_profiles:${id}`] }, inner.cert.profileById),
      templateById: c({ max: 5_000, key: (id) => id, tags: (id) => [`certificate_templates:${id}`] }, inner.cert.templateById),
    },
    ca: {
      ...inner.ca,
      caById: c({ max: 2_000, key: (id) => id, tags: (id) => [`cas:${id}`] }, inner.ca.caById),
      keyById: c({ max: 4_000, key: (id) => id, tags: (id) => [`ca_keys:${id}`] }, inner.ca.keyById),
      certificateById: c({ max: 4_000, key: (id) => id, tags: (id) => [`ca_certificates:${id}`] }, inner.ca.certificateById),
      async isCaKey(spki) {
        const set = hub.isLive() ? await spkis() : null;
        return set ? set.has(hex(spki)) : inner.ca.isCaKey(spki);
      },
    },
    acme: {
      ...inner.acme,
      // Every ACME request reads its account (the JWS kid); deactivation and key change notify.
      accountById: c({ max: 20_000, key: (id) => id, tags: (id) => [`acme_accounts:${id}`] }, inner.acme.accountById),
    },
    alert: {
      ...inner.alert,
      enabledRulesFor: c({ max: 5_000, key: (p, e) => `${p}/${e}`, tags: (p) => [`alert_rules:${p}`] }, inner.alert.enabledRulesFor),
    },
  };
}
