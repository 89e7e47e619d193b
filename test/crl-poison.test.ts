import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_EMAIL, ADMIN_PASSWORD, startServer, type TestServer } from "./helpers/harness.js";
import { openssl } from "./helpers/openssl.js";

// Issue 14 finding 1: one revocation with an invalidity date a CRL cannot hold stopped CRL
// publishing for every CA on the server. Now the API refuses such dates, each CA key is built
// on its own, and a CA whose CRL fails shows it, alerts once, and holds back no other CA.

const CA = "/api/v1/cert-manager/ca/internal";
const CERTS = "/api/v1/cert-manager/certificates";

let s: TestServer;
let hook: { url: string; events: { type: string; data: any }[]; close(): Promise<void> };

/** A project with a root CA and a tls-server profile on it. */
async function projectWithCa(name: string, projectId?: string) {
  const t = s.adminToken;
  const p = projectId ?? (await s.api("POST", "/api/v1/projects", { token: t, body: { name } })).body.project?.id;
  if (!p) throw new Error(`project ${name} not created`);
  const ca = await s.api("POST", CA, { token: t, body: { projectId: p, name: `${name}-root`, configuration: { type: "root", commonName: `${name} Root`, keyAlgorithm: "EC_prime256v1" } } });
  const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: `${name}-tpl`, preset: "tls-server" } });
  const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug: `${name}-prof`, templateId: tpl.body.certificateTemplate.id, caId: ca.body.id } });
  if (prof.status !== 200) throw new Error(JSON.stringify(prof.body));
  return { projectId: p, caId: ca.body.id as string, profileId: prof.body.certificateProfile.id as string, caPem: (await s.api("GET", `${CA}/${ca.body.id}/certificate`, { token: t })).body.certificate as string };
}
async function issue(profileId: string, cn: string) {
  const r = await s.api("POST", CERTS, { token: s.adminToken, body: { profileId, attributes: { commonName: cn, altNames: [{ type: "dns_name", value: cn }] } } });
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  return r.body.certificate as { certificate: string; certificateId: string; serialNumber: string };
}
const revoke = (id: string, body: Record<string, unknown>) => s.api("POST", `${CERTS}/${id}/revoke`, { token: s.adminToken, body });
async function crlPem(caId: string) {
  const ca = (await s.api("GET", `${CA}/${caId}`, { token: s.adminToken })).body;
  const res = await fetch(`${s.url}${new URL(ca.crl.url).pathname}?format=pem`, { signal: AbortSignal.timeout(30_000) });
  return { status: res.status, body: await res.text() };
}

beforeAll(async () => {
  s = await startServer({ args: ["--egress-allow", "127.0.0.1"] });
  const events: { type: string; data: any }[] = [];
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      events.push(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      res.end("ok");
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  hook = { url: `http://127.0.0.1:${(srv.address() as { port: number }).port}/crl`, events, close: () => new Promise((r) => srv.close(() => r())) };
});
afterAll(async () => {
  await hook?.close();
  await s?.close();
});

describe("fail/ invalidity dates a CRL cannot carry are refused at the API", () => {
  it("before 1950, after 9999 (in UTC) or after the revocation: 4xx problem+json naming invalidityDate; 1950-01-01 is written into the CRL", async () => {
    const { profileId, caId, caPem } = await projectWithCa("dates", s.defaultProjectId);
    const c = await issue(profileId, "dates.crl.test");
    for (const bad of ["0001-01-01T00:00:00Z", "1949-12-31T23:59:59Z", "1949-12-31T23:59:59+00:00", "9999-12-31T23:59:59-01:00"]) {
      const r = await revoke(c.certificateId, { revocationReason: "KEY_COMPROMISE", invalidityDate: bad });
      expect(r.status, bad).toBe(400);
      expect(r.headers.get("content-type")).toMatch(/application\/problem\+json/);
      expect(r.body.violations.map((v: { field: string }) => v.field)).toEqual(["invalidityDate"]);
      expect(r.body.violations[0].message).toContain("1950-01-01");
    }
    const future = await revoke(c.certificateId, { revocationReason: "KEY_COMPROMISE", invalidityDate: new Date(Date.now() + 86_400_000).toISOString() });
    expect(future.status).toBe(422);
    expect(future.body.violations[0]).toMatchObject({ field: "invalidityDate", code: "in_the_future" });
    // Still active: nothing was half-written.
    expect((await s.api("GET", `${CERTS}/${c.certificateId}`, { token: s.adminToken })).body.certificate.status).toBe("active");

    // The earliest accepted instant, offset spelled out, is written as GeneralizedTime.
    expect((await revoke(c.certificateId, { revocationReason: "KEY_COMPROMISE", invalidityDate: "1950-01-01T01:00:00+01:00" })).status).toBe(200);
    await s.server.jobs.runNow("crl");
    const crl = await crlPem(caId);
    const text = openssl(() => ["crl", "-in", "c.pem", "-noout", "-text", "-CAfile", "ca.pem"], { "c.pem": crl.body, "ca.pem": caPem }).out;
    expect(text).toContain("verify OK");
    expect(text).toContain(c.serialNumber.toUpperCase());
    expect(text).toMatch(/Invalidity Date:\s+Jan\s+1 00:00:00 1950 GMT/);
  });
});

describe("ok/ one CA's broken revocation never stops another CA's CRL", () => {
  it("project A's poisoned row fails only A's CRL (shown on A, alerted once); project B's revocation reaches B's CRL", async () => {
    const a = await projectWithCa("poison-a");
    const b = await projectWithCa("poison-b");
    const rule = await s.api("POST", `/api/v1/projects/${a.projectId}/alert-rules`, { token: s.adminToken, body: { name: "crl health", events: ["crl_failed"], channel: "webhook", webhookUrl: hook.url } });
    expect(rule.status).toBe(200);
    const aCert = await issue(a.profileId, "a.poison.test");
    const bCert = await issue(b.profileId, "b.poison.test");
    // Both CAs have a CRL before anything goes wrong.
    expect((await crlPem(a.caId)).status).toBe(200);
    expect((await crlPem(b.caId)).status).toBe(200);

    // A row written before the API checked the date (or by hand): 1900 cannot be encoded in a CRL.
    await s.server.store.transaction(async (tx) => {
      const seq = await tx.cert.nextRevocationSeq(a.caId);
      await tx.cert.revoke(aCert.certificateId, { at: new Date(), reason: "KEY_COMPROMISE", invalidityDate: new Date("1900-01-01T00:00:00Z"), seq });
    });
    expect((await revoke(bCert.certificateId, { revocationReason: "SUPERSEDED" })).status).toBe(200);
    await s.server.jobs.runNow("crl");
    await s.server.jobs.runNow("crl");

    // B's CRL lists B's revocation, and OpenSSL rejects the revoked certificate with it.
    const bCrl = (await crlPem(b.caId)).body;
    const bText = openssl(() => ["crl", "-in", "c.pem", "-noout", "-text", "-CAfile", "ca.pem"], { "c.pem": bCrl, "ca.pem": b.caPem }).out;
    expect(bText).toContain("verify OK");
    expect(bText).toContain(bCert.serialNumber.toUpperCase());
    expect(openssl(() => ["verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "ca.pem", "leaf.pem"], { "crl.pem": bCrl, "ca.pem": b.caPem, "leaf.pem": bCert.certificate }).out).toContain("certificate revoked");
    const bView = (await s.api("GET", `${CA}/${b.caId}`, { token: s.adminToken })).body;
    expect(bView.crl).toMatchObject({ error: null, failingSince: null, stale: false });
    expect(bView.crl.lastPublishedAt).not.toBeNull();

    // A's CA view names the failure and the serial; its last good CRL is still served.
    const aView = (await s.api("GET", `${CA}/${a.caId}`, { token: s.adminToken })).body;
    expect(aView.crl.error).toContain(aCert.serialNumber);
    expect(aView.crl.error).toContain("1950");
    expect(aView.crl.failingSince).not.toBeNull();
    expect(aView.crl.stale).toBe(false);
    expect(aView.crl.nextUpdate).not.toBeNull();
    expect((await crlPem(a.caId)).status).toBe(200);
    // An admin's rebuild of A says why, as a conflict, not a 400 about their request or a 500.
    const rebuild = await s.api("POST", `${CA}/${a.caId}/crls`, { token: s.adminToken });
    expect(rebuild.status).toBe(409);
    expect(rebuild.body.detail ?? rebuild.body.title).toBeDefined();
    expect(JSON.stringify(rebuild.body)).toContain(aCert.serialNumber);

    // One alert for this failure, however many passes ran.
    await s.server.jobs.runNow("alert-delivery");
    const failed = hook.events.filter((e) => e.type === "dev.stamp.ca.crl_failed" && e.data.ca.id === a.caId);
    expect(failed).toHaveLength(1);
    expect(failed[0].data.ca).toMatchObject({ id: a.caId });
    expect(failed[0].data.crl.error).toContain(aCert.serialNumber);
  });
});

describe("ok/ a failing CRL that goes past its nextUpdate is shown stale and alerted once more", () => {
  it("the CA view turns stale and a second crl_failed alert says so; a fixed row heals the CA", async () => {
    let offsetMs = 0;
    const t = await startServer({ rt: { clock: () => new Date(Date.now() + offsetMs) }, args: ["--egress-allow", "127.0.0.1"] });
    try {
      const p = t.defaultProjectId;
      let token = t.adminToken;
      const ca = await t.api("POST", CA, { token, body: { projectId: p, name: "stale-root", configuration: { type: "root", commonName: "Stale Root", keyAlgorithm: "EC_prime256v1" } } });
      const tpl = await t.api("POST", "/api/v1/cert-manager/certificate-templates", { token, body: { projectId: p, name: "stale-tpl", preset: "tls-server" } });
      const prof = await t.api("POST", "/api/v1/cert-manager/certificate-profiles", { token, body: { projectId: p, slug: "stale", templateId: tpl.body.certificateTemplate.id, caId: ca.body.id } });
      expect((await t.api("POST", `/api/v1/projects/${p}/alert-rules`, { token, body: { name: "stale crl", events: ["crl_failed"], channel: "webhook", webhookUrl: `${hook.url}/stale`, filters: { caIds: [ca.body.id] } } })).status).toBe(200);
      const cert = (await t.api("POST", CERTS, { token, body: { profileId: prof.body.certificateProfile.id, attributes: { commonName: "stale.test", altNames: [{ type: "dns_name", value: "stale.test" }] } } })).body.certificate;
      await t.server.jobs.runNow("crl");
      await t.server.store.transaction(async (tx) => {
        const seq = await tx.cert.nextRevocationSeq(ca.body.id);
        await tx.cert.revoke(cert.certificateId, { at: new Date(), reason: "KEY_COMPROMISE", invalidityDate: new Date("1900-01-01T00:00:00Z"), seq });
      });
      await t.server.jobs.runNow("crl");
      let view = (await t.api("GET", `${CA}/${ca.body.id}`, { token })).body;
      expect(view.crl).toMatchObject({ stale: false });
      expect(view.crl.error).toContain(cert.serialNumber);

      // Eight days on (the CRL is valid for seven), still failing: stale.
      offsetMs = 8 * 86_400_000;
      token = (await t.api("POST", "/api/v1/auth/login", { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })).body.accessToken;
      await t.server.jobs.runNow("crl");
      view = (await t.api("GET", `${CA}/${ca.body.id}`, { token })).body;
      expect(view.crl.stale).toBe(true);
      await t.server.jobs.runNow("alert-delivery");
      const mine = hook.events.filter((e) => e.type === "dev.stamp.ca.crl_failed" && e.data.ca.id === ca.body.id);
      expect(mine.map((e) => e.data.crl.stale)).toEqual([false, true]);

      // Once the row is repaired, the next pass publishes and clears the failure.
      await t.server.store.transaction(async (tx) => {
        const seq = await tx.cert.nextRevocationSeq(ca.body.id);
        await tx.cert.revoke(cert.certificateId, { at: new Date(), reason: "KEY_COMPROMISE", invalidityDate: null, seq });
      });
      await t.server.jobs.runNow("crl");
      view = (await t.api("GET", `${CA}/${ca.body.id}`, { token })).body;
      expect(view.crl).toMatchObject({ error: null, failingSince: null, stale: false });
    } finally {
      await t.close();
    }
  });
});
