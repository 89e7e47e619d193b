import crypto from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assembleCsr, buildCsrInfo } from "../src/pki/csr.js";
import { encodeName } from "../src/pki/name.js";
import { toPem } from "../src/pki/pem.js";
import { dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";
import { createHierarchy, type Hierarchy } from "./helpers/hierarchy.js";
import { verifyChain } from "./helpers/openssl.js";

const CERTS = "/api/v1/cert-manager/certificates";
const PROFILES = "/api/v1/cert-manager/certificate-profiles";
const TEMPLATES = "/api/v1/cert-manager/certificate-templates";

/**
 * Probes until `probe` returns `want`; throws with the last value when no probe that started
 * within `ms` saw it (`ms` = 0: the first probe must). Every wait is bounded.
 */
async function within<T>(ms: number, want: T, probe: () => Promise<T>): Promise<void> {
  const start = Date.now();
  for (;;) {
    const began = Date.now() - start;
    const last = await probe();
    if (last === want) return;
    if (began >= ms) throw new Error(`still ${String(last)} after ${ms} ms (wanted ${String(want)})`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// On PostgreSQL two servers share one database and B must honour A's changes within a second;
// on PGlite there is one server, and a change must be honoured at once.
const two = dbKind === "postgres";

describe(two ? "caches on two Stamp servers sharing one PostgreSQL" : "caches on the embedded store", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let a: TestServer;
  let b: TestServer;
  let h: Hierarchy;
  let member: { token: string; membershipId: string };
  const deadline = two ? 1000 : 0;

  const issue = (srv: TestServer, token: string, attributes: Record<string, unknown> = {}) =>
    srv.api("POST", CERTS, { token, body: { profileId: h.profileId, attributes: { commonName: "cache.example.com", ttl: "30d", ...attributes } } });

  beforeAll(async () => {
    db = await freshDatabase();
    a = await startServer({ db });
    b = two ? await startServer({ db }) : a;
    h = await createHierarchy(a, "cache", "Cache");
    const pw = "cache member password";
    expect((await a.api("POST", "/api/v1/users", { token: a.adminToken, body: { email: "cache-member@example.com", password: pw } })).status).toBe(200);
    const m = await a.api("POST", `/api/v1/projects/${a.defaultProjectId}/memberships`, { token: a.adminToken, body: { email: "cache-member@example.com", role: "member" } });
    expect(m.status, JSON.stringify(m.body)).toBe(200);
    const login = await b.api("POST", "/api/v1/auth/login", { body: { email: "cache-member@example.com", password: pw } });
    member = { token: login.body.accessToken, membershipId: m.body.membership.id };
  });
  afterAll(async () => {
    await a?.close();
    if (two) await b?.close();
    await db?.drop();
  });

  it("ok/ a warm issuance on B reads none of the cached tables; its certificate verifies", async () => {
    const first = await issue(b, member.token);
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(verifyChain(h.rootPem, h.intPem, first.body.certificate.certificate).out).toContain("cert.pem: OK");
    const seen: string[] = [];
    const stop = b.server.db.onQuery((q) => seen.push(q));
    try {
      expect((await issue(b, member.token)).status).toBe(200);
    } finally {
      stop();
    }
    const cachedReads = seen.filter((q) => /^select/i.test(q.trim()) && /from "(users|identities|memberships|certificate_profiles|certificate_templates|cas|ca_keys|ca_certificates|alert_rules)"/.test(q));
    expect(cachedReads).toEqual([]);
    console.log(`statements in a warm issuance (${dbKind}, cache on): ${seen.length}\n${seen.map((q) => q.slice(0, 90)).join("\n")}`);
  });

  it("fail/ a template rule tightened on A: B decides with the new rule", async () => {
    expect((await issue(b, member.token, { ttl: "60d" })).status).toBe(200);
    const tplId = (await a.api("GET", `${PROFILES}/${h.profileId}`, { token: a.adminToken })).body.certificateProfile.templateId;
    const patched = await a.api("PATCH", `${TEMPLATES}/${tplId}`, { token: a.adminToken, body: { validity: { max: "45d" } } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await within(deadline, 422, async () => (await issue(b, member.token, { ttl: "60d" })).status);
    const refused = await issue(b, member.token, { ttl: "60d" });
    expect(refused.body.violations.map((v: { code: string }) => v.code)).toContain("validity_too_long");
    // And loosened again: B follows that too.
    expect((await a.api("PATCH", `${TEMPLATES}/${tplId}`, { token: a.adminToken, body: { validity: { max: "90d" } } })).status).toBe(200);
    await within(deadline, 200, async () => (await issue(b, member.token, { ttl: "60d" })).status);
  });

  it("fail/ API enrollment switched off on A: B refuses the next issuance", async () => {
    expect((await issue(b, member.token)).status).toBe(200);
    expect((await a.api("PATCH", `${PROFILES}/${h.profileId}`, { token: a.adminToken, body: { enrollmentMethods: ["acme"] } })).status).toBe(200);
    await within(deadline, 403, async () => (await issue(b, member.token)).status);
    expect((await a.api("PATCH", `${PROFILES}/${h.profileId}`, { token: a.adminToken, body: { enrollmentMethods: ["api"] } })).status).toBe(200);
    await within(deadline, 200, async () => (await issue(b, member.token)).status);
  });

  it("fail/ a CA disabled on A: B stops issuing from it", async () => {
    expect((await a.api("PATCH", `/api/v1/cert-manager/ca/internal/${h.intId}`, { token: a.adminToken, body: { status: "disabled" } })).status).toBe(200);
    await within(deadline, 409, async () => (await issue(b, member.token)).status);
    expect((await a.api("PATCH", `/api/v1/cert-manager/ca/internal/${h.intId}`, { token: a.adminToken, body: { status: "active" } })).status).toBe(200);
    await within(deadline, 200, async () => (await issue(b, member.token)).status);
  });

  it("fail/ a membership deleted on A: B refuses the member's issuance", async () => {
    expect((await issue(b, member.token)).status).toBe(200);
    expect((await a.api("DELETE", `/api/v1/projects/${a.defaultProjectId}/memberships/${member.membershipId}`, { token: a.adminToken })).status).toBe(204);
    await within(deadline, 404, async () => (await issue(b, member.token)).status);
    // Added back: the "not a member" B remembered is forgotten too.
    const m = await a.api("POST", `/api/v1/projects/${a.defaultProjectId}/memberships`, { token: a.adminToken, body: { email: "cache-member@example.com", role: "member" } });
    member.membershipId = m.body.membership.id;
    await within(deadline, 200, async () => (await issue(b, member.token)).status);
  });

  it("fail/ a CA created on A: B refuses a CSR carrying its key at once (the CA-key set is dropped by any ca_keys change)", async () => {
    // A CSR for `spki`, signed by some other key: the signature is wrong, but the key check is what is looked at here.
    const csrFor = (spki: Uint8Array) => {
      const info = buildCsrInfo(encodeName({ commonName: "cache.example.com" }), spki);
      const other = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).privateKey;
      return toPem(assembleCsr(info, "EC_prime256v1", crypto.sign("sha256", info, other)), "CERTIFICATE REQUEST");
    };
    const codes = async (csr: string) => {
      const r = await b.api("POST", CERTS, { token: member.token, body: { profileId: h.profileId, csr, attributes: { commonName: "cache.example.com" } } });
      return (r.body.violations ?? []).map((v: { code: string }) => v.code) as string[];
    };
    // B holds the set of CA keys after this.
    const own = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" }).publicKey.export({ type: "spki", format: "der" });
    expect(await codes(csrFor(own))).not.toContain("key_is_ca_key");
    const ca = await a.api("POST", "/api/v1/cert-manager/ca/internal", { token: a.adminToken, body: { projectId: a.defaultProjectId, name: "cache-new-root", configuration: { type: "root", commonName: "Cache New Root", keyAlgorithm: "EC_prime256v1" } } });
    expect(ca.status, JSON.stringify(ca.body)).toBe(200);
    const pem = (await a.api("GET", `/api/v1/cert-manager/ca/internal/${ca.body.id}/certificate`, { token: a.adminToken })).body.certificate;
    const spki = new crypto.X509Certificate(pem).publicKey.export({ type: "spki", format: "der" });
    await within(deadline, true, async () => (await codes(csrFor(spki))).includes("key_is_ca_key"));
  });

  it("fail/ a token logged out on A, or all of a user's tokens revoked on A, is refused by B", async () => {
    const me = (token: string) => async () => (await b.api("GET", "/api/v1/auth/me", { token })).status;
    const login = async () => (await b.api("POST", "/api/v1/auth/login", { body: { email: "cache-member@example.com", password: "cache member password" } })).body.accessToken as string;
    const t1 = await login();
    expect(await me(t1)()).toBe(200);
    expect((await a.api("POST", "/api/v1/auth/logout", { token: t1, body: {} })).status).toBe(204);
    await within(deadline, 401, me(t1));

    const t2 = await login();
    expect(await me(t2)()).toBe(200);
    const userId = (await b.api("GET", "/api/v1/auth/me", { token: t2 })).body.id;
    const revoked = await a.api("POST", `/api/v1/users/${userId}/revoke-tokens`, { token: a.adminToken });
    expect(revoked.status, JSON.stringify(revoked.body)).toBeLessThan(300);
    await within(deadline, 401, me(t2));
    expect((await issue(b, t2)).status).toBe(401);
  });

  it.skipIf(!two)("fail/ B's listener connection killed: B serves nothing from its cache until it listens again, then caches anew", async () => {
    const pg = (await import("pg")).default;
    const admin = new pg.Client({ connectionString: db.databaseUrl! });
    await admin.connect();
    try {
      // The test before revoked every token of the member: log in again.
      member.token = (await b.api("POST", "/api/v1/auth/login", { body: { email: "cache-member@example.com", password: "cache member password" } })).body.accessToken;
      expect((await issue(b, member.token)).status).toBe(200);
      const killed = await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'stamp-cache-listener' and datname = current_database()");
      expect(killed.rowCount).toBe(2);
      // A change made while nobody listens: its notification is lost, so B must not trust its cache.
      expect((await a.api("PATCH", `${PROFILES}/${h.profileId}`, { token: a.adminToken, body: { enrollmentMethods: ["acme"] } })).status).toBe(200);
      await within(deadline, 403, async () => (await issue(b, member.token)).status);
      await within(10_000, true, async () => b.server.cache.isLive());
      expect((await issue(b, member.token)).status).toBe(403);
      expect((await a.api("PATCH", `${PROFILES}/${h.profileId}`, { token: a.adminToken, body: { enrollmentMethods: ["api"] } })).status).toBe(200);
      await within(deadline, 200, async () => (await issue(b, member.token)).status);
      const hits = b.server.cache.stats.hits;
      expect((await issue(b, member.token)).status).toBe(200);
      expect(b.server.cache.stats.hits).toBeGreaterThan(hits);
    } finally {
      await admin.end();
    }
  });
});
