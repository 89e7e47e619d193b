import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_EMAIL, ADMIN_PASSWORD, dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";
import { verifyChain } from "./helpers/openssl.js";

const DAY = 86_400_000;
const CERTS = "/api/v1/cert-manager/certificates";

/** A clock tests move by hand (house rule 11: no sleeping). */
function movableClock() {
  let offset = 0;
  return { clock: () => new Date(Date.now() + offset), advance: (ms: number) => (offset += ms) };
}

async function setup(s: TestServer, slug: string, apiConfig: { autoRenew: boolean; renewBeforeDays: number | null }) {
  // A fresh token: the tests move the server's clock past the harness token's expiry.
  const t = await relogin(s);
  const p = s.defaultProjectId;
  const ca = await s.api("POST", "/api/v1/cert-manager/ca/internal", { token: t, body: { projectId: p, name: `${slug}-root`, configuration: { type: "root", commonName: `${slug} Root`, keyAlgorithm: "EC_prime256v1" } } });
  const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: `${slug}-tpl`, preset: "tls-server" } });
  const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug, templateId: tpl.body.certificateTemplate.id, caId: ca.body.id, apiConfig } });
  if (prof.status !== 200) throw new Error(JSON.stringify(prof.body));
  const rootPem = (await s.api("GET", `/api/v1/cert-manager/ca/internal/${ca.body.id}/certificate`, { token: t })).body.certificate;
  return { caId: ca.body.id as string, profileId: prof.body.certificateProfile.id as string, rootPem };
}
async function relogin(s: TestServer) {
  const r = await s.api("POST", "/api/v1/auth/login", { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  return r.body.accessToken as string;
}

describe("server-driven renewal", () => {
  const time = movableClock();
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ rt: { clock: time.clock } });
  });
  afterAll(async () => s?.close());

  it("ok/ renews inside the profile's window, links old and new; /latest follows the chain; a certificate can opt out", async () => {
    const { profileId, rootPem } = await setup(s, "auto", { autoRenew: true, renewBeforeDays: 10 });
    const t = s.adminToken;
    const a = (await s.api("POST", CERTS, { token: t, body: { profileId, attributes: { commonName: "a.auto.test", ttl: "30d" } } })).body.certificate;
    const b = (await s.api("POST", CERTS, { token: t, body: { profileId, attributes: { commonName: "b.auto.test", ttl: "30d" } } })).body.certificate;
    const csr = await s.api("PATCH", `${CERTS}/${b.certificateId}`, { token: t, body: { autoRenew: false } });
    expect(csr.status, JSON.stringify(csr.body)).toBe(200);
    expect(csr.body.certificate.autoRenew).toBe(false);

    await s.server.jobs.runNow("auto-renew");
    expect((await s.api("GET", `${CERTS}/${a.certificateId}`, { token: t })).body.certificate.renewedByCertificateId).toBeNull();

    time.advance(21 * DAY); // 9 days left: inside the 10-day window
    await s.server.jobs.runNow("auto-renew");
    const t2 = await relogin(s);
    const old = (await s.api("GET", `${CERTS}/${a.certificateId}`, { token: t2 })).body.certificate;
    expect(old.renewedByCertificateId).toBeTruthy();
    expect(old.lifecycleStatus).toBe("renewed");
    const latest = (await s.api("GET", `${CERTS}/${a.certificateId}/latest`, { token: t2 })).body.certificate;
    expect(latest.id).toBe(old.renewedByCertificateId);
    expect(latest.renewedFromCertificateId).toBe(a.certificateId);
    expect(new Date(latest.notAfter).getTime()).toBeGreaterThan(new Date(old.notAfter).getTime());
    const pem = (await s.api("GET", `${CERTS}/${latest.id}/bundle`, { token: t2 })).body;
    expect(verifyChain(rootPem, pem.certificateChain, pem.certificate, ["-purpose", "sslserver", "-attime", String(Math.floor(time.clock().getTime() / 1000))]).out).toContain("cert.pem: OK");
    // The opted-out certificate was left alone.
    expect((await s.api("GET", `${CERTS}/${b.certificateId}`, { token: t2 })).body.certificate.renewedByCertificateId).toBeNull();
    // A second pass renews nothing twice.
    await s.server.jobs.runNow("auto-renew");
    expect((await s.api("GET", `${CERTS}/${latest.id}`, { token: t2 })).body.certificate.renewedByCertificateId).toBeNull();
  });

  it("fail/ a renewal the CA refuses is recorded on the certificate with the reason", async () => {
    const { caId, profileId } = await setup(s, "auto-fail", { autoRenew: true, renewBeforeDays: 5 });
    const t = await relogin(s);
    const c = (await s.api("POST", CERTS, { token: t, body: { profileId, attributes: { commonName: "c.auto.test", ttl: "10d" } } })).body.certificate;
    expect((await s.api("PATCH", `/api/v1/cert-manager/ca/internal/${caId}`, { token: t, body: { status: "disabled" } })).status).toBe(200);
    time.advance(6 * DAY);
    await s.server.jobs.runNow("auto-renew");
    const t2 = await relogin(s);
    const after = (await s.api("GET", `${CERTS}/${c.certificateId}`, { token: t2 })).body.certificate;
    expect(after.renewedByCertificateId).toBeNull();
    expect(after.renewalError).toContain("disabled");
    expect(after.renewalFailedAt).toBeTruthy();
  });

  it("fail/ a window as long as the lifetime is refused; a CSR certificate cannot be auto-renewed", async () => {
    const { profileId } = await setup(s, "auto-bad", { autoRenew: false, renewBeforeDays: null });
    const t = await relogin(s);
    const c = (await s.api("POST", CERTS, { token: t, body: { profileId, attributes: { commonName: "d.auto.test", ttl: "10d" } } })).body.certificate;
    const r = await s.api("PATCH", `${CERTS}/${c.certificateId}`, { token: t, body: { autoRenew: true, renewBeforeDays: 10 } });
    expect(r.status).toBe(422);
    expect(r.body.violations[0].field).toBe("renewBeforeDays");
  });
});

describe("auto-renewal converges", () => {
  const time = movableClock();
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ rt: { clock: time.clock } });
  });
  afterAll(async () => s?.close());

  it("fail/ under a 10-day window a 5-day (or 10-day) certificate is refused with 422; an 11-day one is issued and renewed once, not again", async () => {
    const { profileId } = await setup(s, "conv", { autoRenew: true, renewBeforeDays: 10 });
    const t = await relogin(s);
    for (const ttl of ["5d", "10d"]) {
      for (const path of [CERTS, `${CERTS}/preview`]) {
        const r = await s.api("POST", path, { token: t, body: { profileId, attributes: { commonName: "short.conv.test", ttl } } });
        expect(r.status, `${path} ${ttl}`).toBe(422);
        expect(r.body.violations).toEqual([expect.objectContaining({ field: "attributes.ttl", code: "not_longer_than_renewal_window" })]);
        expect(r.body.violations[0].message).toContain("not longer than the renewal window of 10 days");
      }
    }
    const ok = await s.api("POST", CERTS, { token: t, body: { profileId, attributes: { commonName: "ok.conv.test", ttl: "11d" } } });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    time.advance(2 * DAY);
    await s.server.jobs.runNow("auto-renew");
    await s.server.jobs.runNow("auto-renew");
    const t2 = await relogin(s);
    const list = (await s.api("GET", `${CERTS}?projectId=${s.defaultProjectId}&profileId=${profileId}&limit=50`, { token: t2 })).body.certificates as { id: string; renewedFromCertificateId: string | null }[];
    // One renewal of the one certificate: the renewal (11 days again) is outside its window.
    expect(list).toHaveLength(2);
    expect(list.filter((c) => c.renewedFromCertificateId === ok.body.certificate.certificateId)).toHaveLength(1);
  });

  it("fail/ a profile whose default ttl or template maximum is not longer than its window is refused", async () => {
    const t = await relogin(s);
    const p = s.defaultProjectId;
    const ca = await s.api("POST", "/api/v1/cert-manager/ca/internal", { token: t, body: { projectId: p, name: "convp-root", configuration: { type: "root", commonName: "ConvP Root", keyAlgorithm: "EC_prime256v1" } } });
    const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: "convp-tpl", preset: "tls-server", validity: { max: "7d" } } });
    expect(tpl.status, JSON.stringify(tpl.body)).toBe(200);
    const r = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", {
      token: t,
      body: { projectId: p, slug: "convp", templateId: tpl.body.certificateTemplate.id, caId: ca.body.id, defaults: { ttl: "5d" }, apiConfig: { autoRenew: true, renewBeforeDays: 10 } },
    });
    expect(r.status).toBe(422);
    expect(r.body.violations.map((v: { field: string; code: string }) => `${v.field}:${v.code}`).sort()).toEqual(["apiConfig.renewBeforeDays:not_longer_than_renewal_window", "defaults.ttl:not_longer_than_renewal_window"]);
  });
});

describe.skipIf(dbKind !== "postgres")("server-driven renewal on two servers", () => {
  it("ok/ both run the job at once: every certificate renewed exactly once", async () => {
    const db = await freshDatabase();
    const time = movableClock();
    const [a, b] = await Promise.all([startServer({ db, rt: { clock: time.clock } }), startServer({ db, rt: { clock: time.clock } })]);
    try {
      const { profileId } = await setup(a, "two", { autoRenew: true, renewBeforeDays: 10 });
      const ids: string[] = [];
      for (let i = 0; i < 12; i++) ids.push((await a.api("POST", CERTS, { token: a.adminToken, body: { profileId, attributes: { commonName: `n${i}.two.test`, ttl: "30d" } } })).body.certificate.certificateId);
      time.advance(25 * DAY);
      await Promise.all([a.server.jobs.runNow("auto-renew"), b.server.jobs.runNow("auto-renew"), a.server.jobs.runNow("auto-renew"), b.server.jobs.runNow("auto-renew")]);
      const t = await relogin(a);
      const list = (await a.api("GET", `${CERTS}?projectId=${a.defaultProjectId}&profileId=${profileId}&limit=500`, { token: t })).body.certificates as { id: string; renewedFromCertificateId: string | null }[];
      const renewals = list.filter((c) => c.renewedFromCertificateId);
      expect(renewals).toHaveLength(12);
      expect(new Set(renewals.map((c) => c.renewedFromCertificateId)).size).toBe(12);
      expect(renewals.map((c) => c.renewedFromCertificateId).sort()).toEqual([...ids].sort());
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
