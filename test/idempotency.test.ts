import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createClient } from "../src/client/client.js";
import { ADMIN_EMAIL, ADMIN_PASSWORD, startServer, type TestServer } from "./helpers/harness.js";

const CERTS = "/api/v1/cert-manager/certificates";

let s: TestServer;
let profileId = "";
const body = (cn: string) => ({ profileId, attributes: { commonName: cn, ttl: "2d" } });
const key = (k: string) => ({ "idempotency-key": k });

/** How many certificates the profile has. */
async function count(): Promise<number> {
  return (await s.api("GET", `${CERTS}?projectId=${s.defaultProjectId}&profileId=${profileId}&limit=500`, { token: s.adminToken })).body.certificates.length;
}

beforeAll(async () => {
  s = await startServer();
  const t = s.adminToken;
  const p = s.defaultProjectId;
  const ca = await s.api("POST", "/api/v1/cert-manager/ca/internal", { token: t, body: { projectId: p, name: "idem-root", configuration: { type: "root", commonName: "Idem Root", keyAlgorithm: "EC_prime256v1" } } });
  const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: "idem-tpl", preset: "tls-server" } });
  const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug: "idem", templateId: tpl.body.certificateTemplate.id, caId: ca.body.id } });
  profileId = prof.body.certificateProfile.id;
});
afterAll(async () => s?.close());

describe("Idempotency-Key on issue, renew and revoke", () => {
  it("ok/ the same key twice gives the first answer again (same certificate and key), marked replayed; one certificate exists", async () => {
    const before = await count();
    const a = await s.api("POST", CERTS, { token: s.adminToken, body: body("a.idem.test"), headers: key("k-issue-1") });
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    expect(a.headers.get("idempotent-replayed")).toBeNull();
    const b = await s.api("POST", CERTS, { token: s.adminToken, body: body("a.idem.test"), headers: key("k-issue-1") });
    expect(b.status).toBe(200);
    expect(b.headers.get("idempotent-replayed")).toBe("true");
    expect(b.body.certificate.certificateId).toBe(a.body.certificate.certificateId);
    expect(b.body.certificate.privateKey).toBe(a.body.certificate.privateKey);
    expect(b.headers.get("cache-control")).toBe("no-store");
    expect(await count()).toBe(before + 1);
    // Without a key, or with another, each request signs anew.
    const c = await s.api("POST", CERTS, { token: s.adminToken, body: body("a.idem.test"), headers: key("k-issue-2") });
    expect(c.body.certificate.certificateId).not.toBe(a.body.certificate.certificateId);
  });

  it("fail/ the same key with a different request is refused (422 key_reused), and signs nothing", async () => {
    await s.api("POST", CERTS, { token: s.adminToken, body: body("b.idem.test"), headers: key("k-reuse") });
    const before = await count();
    const r = await s.api("POST", CERTS, { token: s.adminToken, body: body("other.idem.test"), headers: key("k-reuse") });
    expect(r.status).toBe(422);
    expect(r.body.violations).toEqual([expect.objectContaining({ field: "headers.idempotency-key", code: "key_reused" })]);
    expect(await count()).toBe(before);
  });

  it("ok/ keys belong to their caller: another principal's same key is a new request", async () => {
    const other = await s.api("POST", "/api/v1/users", { token: s.adminToken, body: { email: "idem-other@example.com", password: "another long passphrase" } });
    expect(other.status, JSON.stringify(other.body)).toBe(200);
    await s.api("POST", `/api/v1/projects/${s.defaultProjectId}/memberships`, { token: s.adminToken, body: { email: "idem-other@example.com", role: "member" } });
    const token = (await s.api("POST", "/api/v1/auth/login", { body: { email: "idem-other@example.com", password: "another long passphrase" } })).body.accessToken;
    const mine = await s.api("POST", CERTS, { token: s.adminToken, body: body("c.idem.test"), headers: key("k-shared") });
    const theirs = await s.api("POST", CERTS, { token, body: body("c.idem.test"), headers: key("k-shared") });
    expect(theirs.status, JSON.stringify(theirs.body)).toBe(200);
    expect(theirs.headers.get("idempotent-replayed")).toBeNull();
    expect(theirs.body.certificate.certificateId).not.toBe(mine.body.certificate.certificateId);
  });

  it("ok/ renew and revoke: a retried renewal renews once; a retried revocation answers as the first did", async () => {
    const orig = (await s.api("POST", CERTS, { token: s.adminToken, body: body("d.idem.test") })).body.certificate.certificateId;
    const r1 = await s.api("POST", `${CERTS}/${orig}/renew`, { token: s.adminToken, body: {}, headers: key("k-renew") });
    const r2 = await s.api("POST", `${CERTS}/${orig}/renew`, { token: s.adminToken, body: {}, headers: key("k-renew") });
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expect(r2.body.certificateId).toBe(r1.body.certificateId);
    const renewed = r1.body.certificateId;
    const v1 = await s.api("POST", `${CERTS}/${renewed}/revoke`, { token: s.adminToken, body: { revocationReason: "SUPERSEDED" }, headers: key("k-revoke") });
    const v2 = await s.api("POST", `${CERTS}/${renewed}/revoke`, { token: s.adminToken, body: { revocationReason: "SUPERSEDED" }, headers: key("k-revoke") });
    expect(v1.status, JSON.stringify(v1.body)).toBe(200);
    expect(v2.status).toBe(200);
    expect(v2.headers.get("idempotent-replayed")).toBe("true");
    expect(v2.body).toEqual(v1.body);
    // The same key names a different operation on another certificate: refused.
    const v3 = await s.api("POST", `${CERTS}/${orig}/revoke`, { token: s.adminToken, body: { revocationReason: "SUPERSEDED" }, headers: key("k-revoke") });
    expect(v3.status).toBe(422);
  });

  it("ok/ a refused request frees its key: the retry runs again (and is refused again, not replayed)", async () => {
    const bad = { profileId, attributes: { commonName: "nope@evil.example", ttl: "2d" } };
    const r1 = await s.api("POST", CERTS, { token: s.adminToken, body: bad, headers: key("k-refused") });
    expect(r1.status).toBe(422);
    const r2 = await s.api("POST", CERTS, { token: s.adminToken, body: bad, headers: key("k-refused") });
    expect(r2.status).toBe(422);
    expect(r2.body.violations[0].code).not.toBe("key_reused");
    const ok = await s.api("POST", CERTS, { token: s.adminToken, body: body("e.idem.test"), headers: key("k-refused") });
    expect(ok.status).toBe(200);
  });

  it("ok/ ten concurrent requests with one key sign one certificate; the rest replay it or are told to retry (409 + Retry-After)", async () => {
    const before = await count();
    const rs = await Promise.all(Array.from({ length: 10 }, () => s.api("POST", CERTS, { token: s.adminToken, body: body("f.idem.test"), headers: key("k-race") })));
    const ids = new Set(rs.filter((r) => r.status === 200).map((r) => r.body.certificate.certificateId));
    expect(ids.size).toBe(1);
    for (const r of rs.filter((x) => x.status !== 200)) {
      expect(r.status).toBe(409);
      expect(r.headers.get("retry-after")).toBe("2");
    }
    expect(await count()).toBe(before + 1);
  });

  it("fail/ a key that is too long or not visible ASCII: 400 naming the header", async () => {
    const r = await s.api("POST", CERTS, { token: s.adminToken, body: body("g.idem.test"), headers: key("x".repeat(256)) });
    expect(r.status).toBe(400);
    expect(r.body.violations[0].field).toBe("headers.idempotency-key");
  });

  it("ok/ the typed client (CLI and agent) sends a key on issue, so its retries are replays", async () => {
    const token = (await createClient({ baseUrl: s.url }).login(ADMIN_EMAIL, ADMIN_PASSWORD)).accessToken;
    const seen: string[] = [];
    const client = createClient({
      baseUrl: s.url,
      token,
      fetch: async (url, init) => {
        const h = new Headers(init?.headers);
        if (h.get("idempotency-key")) seen.push(h.get("idempotency-key")!);
        const res = await fetch(url, init);
        // The first answer is lost on the way back, as a dropped connection would lose it.
        if (seen.length === 1) throw Object.assign(new TypeError("fetch failed"), { cause: Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }) });
        return res;
      },
    });
    const before = await count();
    const r = await client.certificates.issue(body("h.idem.test"));
    expect(seen).toHaveLength(2);
    expect(seen[0]).toBe(seen[1]);
    expect(r.certificate!.certificateId).toBeTruthy();
    expect(await count()).toBe(before + 1);
  });
});
