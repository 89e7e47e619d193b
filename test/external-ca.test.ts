import { execFileSync } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ADMIN_EMAIL, ADMIN_PASSWORD, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";
import { runStamp } from "./helpers/cli-run.js";
import { openssl, verifyChain } from "./helpers/openssl.js";
import { startPebbleBind, VALIDITY_DAYS, writeHook, type PebbleBind } from "./helpers/pebble-bind.js";
import { call, spawnServer } from "./helpers/spawned-server.js";

// External CAs of type ACME (issue 11) against Debian's pebble as the public CA, whose DNS lookups
// go to a BIND9 this file starts on loopback with a TSIG key and a dynamic zone. Everything talks
// to 127.0.0.1 only, which the server reaches because the test lists it in --egress-allow.

const ACME_CA = "/api/v1/cert-manager/ca/acme";
const TPL = "/api/v1/cert-manager/certificate-templates";
const PRO = "/api/v1/cert-manager/certificate-profiles";
const CERTS = "/api/v1/cert-manager/certificates";
const REQS = "/api/v1/cert-manager/certificate-requests";

let env: PebbleBind;
let s: TestServer;
let t: string;
let p: string;
let pebbleRoot: string;
/** How far the shared server's clock runs ahead (renewal windows and expiry alerts without waiting days). */
let skewMs = 0;

async function ok<T = any>(r: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const res = await r;
  if (res.status !== 200) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Polls a request until it leaves pending/pending_validation (bounded). */
async function settle(id: string, seen: Set<string> = new Set()) {
  for (let i = 0; i < 300; i++) {
    const r = await s.api("GET", `${REQS}/${id}`, { token: t });
    expect(r.status).toBe(200);
    seen.add(r.body.status);
    if (!["pending", "pending_validation"].includes(r.body.status)) return r.body;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`request ${id} still waiting`);
}

/** Waits (bounded) until alert rule `ruleId` has queued an event matching `type` for `certificateId` (alerts are queued after the change commits). */
async function alerted(ruleId: string, type: RegExp, certificateId: string, token = t) {
  let log: { eventType: string; certificateId: string }[] = [];
  for (let i = 0; i < 50 && !log.some((d) => type.test(d.eventType) && d.certificateId === certificateId); i++) {
    if (i) await new Promise((r) => setTimeout(r, 100));
    log = (await ok(s.api("GET", `/api/v1/projects/${p}/alert-rules/${ruleId}/deliveries`, { token }), "deliveries")).deliveries;
  }
  expect(log).toEqual(expect.arrayContaining([expect.objectContaining({ eventType: expect.stringMatching(type), certificateId })]));
}

const rfc2136 = (secret = env.tsig.secret) => ({ type: "rfc2136", server: "127.0.0.1", port: env.bindPort, zone: env.zone, keyName: env.tsig.keyName, algorithm: env.tsig.algorithm, secret });
const createCa = (name: string, dnsSolver: unknown, extra: Record<string, unknown> = {}) =>
  s.api("POST", ACME_CA, { token: t, body: { projectId: p, name, configuration: { directoryUrl: env.directoryUrl, accountEmail: "ops@example.test", trustBundle: env.pebbleTlsCa, dnsSolver, propagationTimeoutSeconds: 10, ...extra } } });
async function profileOn(caId: string, slug: string) {
  const tpl = await ok(s.api("POST", TPL, { token: t, body: { projectId: p, name: `${slug}-tpl`, preset: "tls-server", sans: [{ type: "dns_name", allowed: [`*.${env.zone}`] }], subject: [{ type: "common_name", allowed: [`*.${env.zone}`] }], validity: { max: "90d" } } }), "template");
  return (await ok(s.api("POST", PRO, { token: t, body: { projectId: p, slug, templateId: tpl.certificateTemplate.id, caId, defaults: { ttl: "30d" } } }), "profile")).certificateProfile.id as string;
}

beforeAll(async () => {
  env = await startPebbleBind();
  const good = writeHook(env, "good");
  const bad = writeHook(env, "bad", { fail: true });
  s = await startServer({ rt: { clock: () => new Date(Date.now() + skewMs) }, env: { STAMP_EGRESS_ALLOW: "127.0.0.1", STAMP_ACME_DNS_RESOLVER: `127.0.0.1:${env.bindPort}`, STAMP_DNS_HOOKS: `good=${good},bad=${bad}` } });
  s.server.jobs.start();
  t = s.adminToken;
  p = s.defaultProjectId;
  pebbleRoot = (await env.mgmt("/roots/0")).text;
}, 90_000);
afterEach(() => {
  skewMs = 0;
});
afterAll(async () => {
  await s?.close();
  await env?.close();
});

describe("ACME external CA against pebble", () => {
  let hookCa: string;
  let hookProfile: string;
  let eabCa: string;
  let firstCert: string;
  let renewedCert: string;
  let alertRule: string;

  it("ok/creates an ACME CA with a hook solver: the account is registered, no secret is answered", async () => {
    const r = await createCa("pebble-hook", { type: "hook", hook: "good" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toMatchObject({ type: "acme", status: "active", name: "pebble-hook", configuration: { directoryUrl: env.directoryUrl, dnsSolver: { type: "hook", hook: "good" } } });
    expect(r.body.configuration.accountUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
    hookCa = r.body.id;
    const list = await s.api("GET", `${ACME_CA}?projectId=${p}`, { token: t });
    expect(list.body.map((c: { id: string }) => c.id)).toContain(hookCa);
    // Infisical's list of every CA of a project names it too, with its type.
    const all = await ok(s.api("GET", `/api/v1/cert-manager/ca?projectId=${p}`, { token: t }), "all CAs");
    expect(all.certificateAuthorities.find((c: { id: string }) => c.id === hookCa)).toMatchObject({ type: "acme", name: "pebble-hook", configuration: { directoryUrl: env.directoryUrl } });
    hookProfile = await profileOn(hookCa, "pebble-hook");
  }, 90_000);

  it("fail/a profile on an external CA takes API enrollment only: ACME, EST and SCEP are refused at create and update, every violation listed", async () => {
    const tplId = (await ok(s.api("GET", `${PRO}/${hookProfile}`, { token: t }), "profile")).certificateProfile.templateId;
    const made = await s.api("POST", PRO, { token: t, body: { projectId: p, slug: "ext-acme", templateId: tplId, caId: hookCa, enrollmentMethods: ["api", "acme", "est"] } });
    expect(made.status, JSON.stringify(made.body)).toBe(422);
    expect(made.body.violations).toEqual(expect.arrayContaining([expect.objectContaining({ code: "not_supported_by_ca", value: "acme, est" })]));
    const patched = await s.api("PATCH", `${PRO}/${hookProfile}`, { token: t, body: { enrollmentMethods: ["api", "scep"] } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(422);
    expect(patched.body.violations).toEqual(expect.arrayContaining([expect.objectContaining({ code: "not_supported_by_ca", value: "scep" })]));
  });

  it("ok/issues without a CSR: 202 pending, then issued with the synchronous path's certificate, verified against pebble's root", async () => {
    const r = await s.api("POST", CERTS, { token: t, body: { profileId: hookProfile, attributes: { commonName: `www.${env.zone}`, altNames: [{ type: "dns_name", value: `api.${env.zone}` }] } } });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    expect(r.body).toMatchObject({ certificate: null, status: "pending" });
    const seen = new Set<string>();
    const done = await settle(r.body.certificateRequestId, seen);
    expect(done.status, done.errorMessage).toBe("issued");
    expect(seen.has("issued")).toBe(true);
    firstCert = done.certificateId;
    const cert = await ok(s.api("GET", `${CERTS}/${done.certificateId}/bundle`, { token: t }), "bundle");
    expect(cert.privateKey).toContain("PRIVATE KEY");
    const v = verifyChain(pebbleRoot, cert.certificateChain, cert.certificate);
    expect(v.ok, v.out).toBe(true);
    const text = openssl((d) => ["x509", "-noout", "-ext", "subjectAltName", "-in", `${d}/c.pem`], { "c.pem": cert.certificate }).out;
    expect(text).toContain(`DNS:www.${env.zone}`);
    expect(text).toContain(`DNS:api.${env.zone}`);
    // The records are gone again.
    expect(env.txt(`_acme-challenge.www.${env.zone}`)).toEqual([]);
  }, 90_000);

  it("ok/server-driven renewal re-orders an external certificate once; expiry and renewal alerts name it", async () => {
    // The server's clock runs 10 days ahead: the 20-day certificate issued above is half-way through its life.
    skewMs = 10 * 86_400_000;
    const t = (await ok(s.api("POST", "/api/v1/auth/login", { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } }), "login")).accessToken as string;
    const rules = `/api/v1/projects/${p}/alert-rules`;
    const rule = (await ok(s.api("POST", rules, { token: t, body: { name: "external", events: ["expiration", "renewed", "renewal_failed"], expirationDays: [VALIDITY_DAYS], filters: { caIds: [hookCa] }, channel: "webhook", webhookUrl: "http://127.0.0.1:9/hook" } }), "rule")).alertRule;
    await s.server.jobs.runNow("alert-expiry");
    await alerted(rule.id, /expiring/, firstCert, t);
    // 15 days before expiry: due now (10 days are left), shorter than the lifetime (so the renewed one is not).
    const patched = await s.api("PATCH", `${CERTS}/${firstCert}`, { token: t, body: { autoRenew: true, renewBeforeDays: 15 } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    await s.server.jobs.runNow("auto-renew");
    // The renewal waits on the CA: a manual renewal meanwhile is refused (or, once done, the certificate is renewed).
    const again = await s.api("POST", `${CERTS}/${firstCert}/renew`, { token: t, body: {} });
    expect(again.status).toBe(409);
    expect(again.body.detail).toMatch(/already waiting on its external CA|already renewed/);
    let renewedBy: string | null = null;
    for (let i = 0; i < 300 && !renewedBy; i++) {
      renewedBy = (await ok(s.api("GET", `${CERTS}/${firstCert}`, { token: t }), "old")).certificate.renewedByCertificateId;
      if (!renewedBy) await new Promise((r) => setTimeout(r, 100));
    }
    expect(renewedBy).toBeTruthy();
    const renewed = await ok(s.api("GET", `${CERTS}/${renewedBy}/bundle`, { token: t }), "bundle");
    expect(renewed.privateKey).toContain("PRIVATE KEY");
    const v = verifyChain(pebbleRoot, renewed.certificateChain, renewed.certificate);
    expect(v.ok, v.out).toBe(true);
    await s.server.jobs.runNow("auto-renew");
    const list = await ok(s.api("GET", `${CERTS}?projectId=${p}&search=www.${env.zone}`, { token: t }), "list");
    expect(list.certificates.filter((c: { commonName: string }) => c.commonName === `www.${env.zone}`)).toHaveLength(2);
    await alerted(rule.id, /renewed/, renewedBy!, t);
    renewedCert = renewedBy!;
    alertRule = rule.id;
  }, 90_000);

  it("fail/a renewal the CA cannot validate ends failed and is recorded on the certificate it was to replace, with a renewal_failed alert", async () => {
    const bad = await s.api("PATCH", `${ACME_CA}/${hookCa}`, { token: t, body: { configuration: { dnsSolver: { type: "hook", hook: "bad" } } } });
    expect(bad.status, JSON.stringify(bad.body)).toBe(200);
    try {
      const r = await s.api("POST", `${CERTS}/${renewedCert}/renew`, { token: t, body: {} });
      expect(r.status, JSON.stringify(r.body)).toBe(202);
      const done = await settle(r.body.certificateRequestId);
      expect(done.status).toBe("failed");
      const old = (await ok(s.api("GET", `${CERTS}/${renewedCert}`, { token: t }), "old")).certificate;
      expect(old.renewalFailedAt).not.toBeNull();
      expect(old.renewedByCertificateId).toBeNull();
      await alerted(alertRule, /renewal_failed/, renewedCert);
    } finally {
      await s.api("PATCH", `${ACME_CA}/${hookCa}`, { token: t, body: { configuration: { dnsSolver: { type: "hook", hook: "good" } } } });
    }
  }, 90_000);

  it("fail/a hook that exits 1: the request ends failed with a readable message", async () => {
    const ca = await ok(createCa("pebble-bad-hook", { type: "hook", hook: "bad" }), "ca");
    const prof = await profileOn(ca.id, "pebble-bad-hook");
    const r = await s.api("POST", CERTS, { token: t, body: { profileId: prof, attributes: { commonName: `bad.${env.zone}` } } });
    expect(r.status).toBe(202);
    const done = await settle(r.body.certificateRequestId);
    expect(done.status).toBe("failed");
    expect(done.errorMessage).toMatch(/DNS hook bad \(present _acme-challenge\.bad\.example\.test\) exited with 1: hook refuses present/);
    expect(env.txt(`_acme-challenge.bad.${env.zone}`)).toEqual([]);
  }, 90_000);

  it("fail/bad configuration is refused at creation with every violation listed", async () => {
    const r = await s.api("POST", ACME_CA, { token: t, body: { projectId: p, name: "broken", configuration: { directoryUrl: "https://127.0.0.1:1/dir", accountEmail: "ops@example.test" } } });
    expect(r.status).toBe(422);
    const fields = r.body.violations.map((v: { field: string; code: string }) => `${v.field}:${v.code}`);
    expect(fields).toEqual(expect.arrayContaining(["configuration.dnsSolver:required", "configuration.directoryUrl:unreachable"]));
    const hook = await createCa("unknown-hook", { type: "hook", hook: "nope" }, { directoryUrl: env.eabDirectoryUrl });
    expect(hook.status).toBe(422);
    expect(hook.body.violations.map((v: { field: string; code: string }) => `${v.field}:${v.code}`)).toEqual(expect.arrayContaining(["configuration.dnsSolver.hook:unknown_hook", "configuration.eabKid:required"]));
    const wrongEab = await createCa("wrong-eab", { type: "hook", hook: "good" }, { directoryUrl: env.eabDirectoryUrl, eabKid: env.eab.kid, eabHmacKey: Buffer.from("not the key at all, not at all").toString("base64url") });
    expect(wrongEab.status).toBe(422);
    expect(wrongEab.body.violations[0]).toMatchObject({ field: "configuration.eabHmacKey", code: "eab_refused" });
    const rightEab = await createCa("right-eab", { type: "hook", hook: "good" }, { directoryUrl: env.eabDirectoryUrl, eabKid: env.eab.kid, eabHmacKey: env.eab.hmacKey });
    expect(rightEab.status, JSON.stringify(rightEab.body)).toBe(200);
    eabCa = rightEab.body.id;
  }, 90_000);

  it("fail/the CA refuses the challenge (its DNS sees another value): failed with the CA's problem document, no record left", async () => {
    // The EAB pebble resolves through pebble-challtestsrv, which answers a wrong TXT value, while
    // Stamp's hook puts the right one on the BIND and sees it there (a split-horizon mistake).
    const prof = await profileOn(eabCa, "pebble-split");
    await env.eabDnsTxt(`_acme-challenge.split.${env.zone}`, "not-the-key-authorization");
    const r = await s.api("POST", CERTS, { token: t, body: { profileId: prof, attributes: { commonName: `split.${env.zone}` } } });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const done = await settle(r.body.certificateRequestId);
    expect(done.status).toBe("failed");
    expect(done.errorMessage).toMatch(/^The CA could not validate split\.example\.test: Correct value not found for DNS challenge/);
    expect(done.problem).toMatchObject({ type: "urn:ietf:params:acme:error:unauthorized", detail: expect.stringContaining("Correct value not found") });
    expect(done.certificateId).toBeNull();
    expect(env.txt(`_acme-challenge.split.${env.zone}`)).toEqual([]);
  }, 90_000);
});

describe("RFC 2136 solver on BIND9", () => {
  let ca: string;
  let profile: string;
  let issuedId: string;

  it("ok/issues from a client CSR through a CNAME-delegated _acme-challenge, verified by openssl", async () => {
    const r = await createCa("pebble-bind", rfc2136());
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.configuration.dnsSolver).toMatchObject({ type: "rfc2136", zone: env.zone, hasSecret: true });
    expect(JSON.stringify(r.body)).not.toContain(env.tsig.secret);
    ca = r.body.id;
    profile = await profileOn(ca, "pebble-bind");
    // _acme-challenge.deleg delegates to a name the solver writes (RFC 8555 §8.4 with a CNAME).
    execFileSync("nsupdate", ["-y", `${env.tsig.algorithm}:${env.tsig.keyName}:${env.tsig.secret}`], { input: `server 127.0.0.1 ${env.bindPort}\nzone ${env.zone}\nupdate add _acme-challenge.deleg.${env.zone}. 60 IN CNAME target.acme.${env.zone}.\nsend\n` });
    const key = openssl((d) => ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${d}/k.pem`, "-subj", `/CN=deleg.${env.zone}`, "-addext", `subjectAltName=DNS:deleg.${env.zone}`], {});
    const csr = key.out.match(/-----BEGIN CERTIFICATE REQUEST-----[\s\S]+?-----END CERTIFICATE REQUEST-----/)![0];
    // A CSR without the names as subjectAltName cannot go to an ACME CA (RFC 8555 §7.4): refused before any order.
    const bare = openssl((d) => ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", `${d}/k.pem`, "-subj", `/CN=deleg.${env.zone}`], {}).out.match(/-----BEGIN CERTIFICATE REQUEST-----[\s\S]+?-----END CERTIFICATE REQUEST-----/)![0];
    const refused = await s.api("POST", CERTS, { token: t, body: { profileId: profile, csr: bare, attributes: { commonName: `deleg.${env.zone}` } } });
    expect(refused.status, JSON.stringify(refused.body)).toBe(422);
    expect(refused.body.violations).toEqual([expect.objectContaining({ field: "csr", code: "names_mismatch", value: "(none)" })]);
    const q = await s.api("POST", CERTS, { token: t, body: { profileId: profile, csr, attributes: { commonName: `deleg.${env.zone}` } } });
    expect(q.status, JSON.stringify(q.body)).toBe(202);
    const done = await settle(q.body.certificateRequestId);
    expect(done.status, done.errorMessage).toBe("issued");
    issuedId = done.certificateId;
    const cert = await ok(s.api("GET", `${CERTS}/${issuedId}/bundle`, { token: t }), "bundle");
    expect(cert.privateKey).toBeNull();
    const v = verifyChain(pebbleRoot, cert.certificateChain, cert.certificate);
    expect(v.ok, v.out).toBe(true);
    expect(env.txt(`target.acme.${env.zone}`)).toEqual([]);
  }, 90_000);

  it("ok/renews by re-ordering (202, then a new certificate linked to the old) and revokes at the CA", async () => {
    const first = await s.api("POST", CERTS, { token: t, body: { profileId: profile, attributes: { commonName: `renew.${env.zone}` } } });
    const a = await settle(first.body.certificateRequestId);
    expect(a.status, a.errorMessage).toBe("issued");
    const r = await s.api("POST", `${CERTS}/${a.certificateId}/renew`, { token: t, body: {} });
    expect(r.status, JSON.stringify(r.body)).toBe(202);
    const b = await settle(r.body.certificateRequestId);
    expect(b.status, b.errorMessage).toBe("issued");
    expect(b.certificateId).not.toBe(a.certificateId);
    const old = await ok(s.api("GET", `${CERTS}/${a.certificateId}`, { token: t }), "old");
    expect(old.certificate.renewedByCertificateId).toBe(b.certificateId);
    const renewed = await ok(s.api("GET", `${CERTS}/${b.certificateId}/bundle`, { token: t }), "bundle");
    expect(verifyChain(pebbleRoot, renewed.certificateChain, renewed.certificate).ok).toBe(true);
    // Revoke: forwarded to pebble (its management interface reports the certificate revoked).
    const rv = await s.api("POST", `${CERTS}/${b.certificateId}/revoke`, { token: t, body: { revocationReason: "KEY_COMPROMISE" } });
    expect(rv.status, JSON.stringify(rv.body)).toBe(200);
    const serial = renewed.serialNumber.replace(/^0+/, "");
    const status = await env.mgmt(`/cert-status-by-serial/${serial}`);
    expect(status.text).toMatch(/"Status":\s*"Revoked"/);
  }, 120_000);

  it("fail/a wrong TSIG key: the request ends failed with nsupdate's reason and no record is left", async () => {
    const bad = await ok(createCa("pebble-bad-tsig", rfc2136(Buffer.from("x".repeat(32)).toString("base64"))), "ca");
    const prof = await profileOn(bad.id, "pebble-bad-tsig");
    const r = await s.api("POST", CERTS, { token: t, body: { profileId: prof, attributes: { commonName: `tsig.${env.zone}` } } });
    const done = await settle(r.body.certificateRequestId);
    expect(done.status).toBe("failed");
    expect(done.errorMessage).toMatch(/RFC 2136 update of _acme-challenge\.tsig\.example\.test at 127\.0\.0\.1:\d+ failed: .*(BADSIG|NOTAUTH|tsig)/i);
    expect(env.txt(`_acme-challenge.tsig.${env.zone}`)).toEqual([]);
  }, 90_000);
});

describe("CLI", () => {
  it("ok/stamp ca create --type acme (RFC 2136) and stamp cert request-status", async () => {
    const config = join(env.dir, "cli.json");
    const stamp = (args: string[], e: Record<string, string> = {}) => runStamp(args, { config, env: e, timeoutMs: 60_000 });
    const login = await stamp(["login", "--server", s.url, "--email", ADMIN_EMAIL], { STAMP_PASSWORD: ADMIN_PASSWORD });
    expect(login.code, login.stderr).toBe(0);
    const secretFile = join(env.dir, "tsig.b64");
    const trust = join(env.dir, "tlsca.pem");
    writeFileSync(secretFile, `${env.tsig.secret}\n`, { mode: 0o600 });
    const c = await stamp(["ca", "create", "--type", "acme", "--name", "cli-acme", "--directory-url", env.directoryUrl, "--email", "cli@example.test", "--rfc2136-server", `127.0.0.1:${env.bindPort}`, "--zone", env.zone, "--tsig-key-name", env.tsig.keyName, "--tsig-secret-file", secretFile, "--trust-bundle", trust, "--json"]);
    expect(c.code, c.stderr).toBe(0);
    const ca = JSON.parse(c.stdout);
    expect(ca).toMatchObject({ type: "acme", name: "cli-acme", configuration: { dnsSolver: { type: "rfc2136", port: env.bindPort, hasSecret: true } } });
    const listed = await stamp(["ca", "list"]);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`${ca.id}\\s+cli-acme\\s+acme\\s+active\\s+.*${env.directoryUrl.replace(/[.]/g, "\\.")}`));
    const prof = await profileOn(ca.id, "cli-acme");
    const q = await s.api("POST", CERTS, { token: t, body: { profileId: prof, attributes: { commonName: `cli.${env.zone}` } } });
    await settle(q.body.certificateRequestId);
    const viaCli = await stamp(["cert", "issue", "--profile", "cli-acme", "--cn", `cli2.${env.zone}`, "--san", `dns:cli2.${env.zone}`, "--key-out", join(env.dir, "cli2.key")]);
    expect(viaCli.code, viaCli.stderr).toBe(0);
    expect(viaCli.stdout).toMatch(/certificate request [0-9a-f-]{36} is pending on the external CA; no file was written\. Follow it with: stamp cert request-status/);
    expect(existsSync(join(env.dir, "cli2.key"))).toBe(false);
    const st = await stamp(["cert", "request-status", q.body.certificateRequestId]);
    expect(st.code, st.stderr).toBe(0);
    expect(st.stdout).toMatch(/status:\s+issued/);
    expect(st.stdout).toMatch(/certificate:\s+[0-9a-f-]{36}/);
    // The host agent on the same profile waits on the 202 request, then writes the files.
    const ident = await ok(s.api("POST", "/api/v1/identities", { token: t, body: { projectId: p, name: "ext-agent", role: "member" } }), "identity");
    const sec = await ok(s.api("POST", `/api/v1/identities/${ident.identity.id}/universal-auth/client-secrets`, { token: t, body: { description: "agent" } }), "secret");
    const agentDir = mkdtempSync(join(env.dir, "agent-"));
    writeFileSync(join(agentDir, "secret"), `${sec.clientSecret}\n`, { mode: 0o600 });
    const files = { certificate: join(agentDir, "ext.pem"), chain: join(agentDir, "chain.pem"), privateKey: join(agentDir, "ext.key") };
    writeFileSync(join(agentDir, "agent.yaml"), JSON.stringify({ server: s.url, auth: { clientId: ident.identity.clientId, clientSecretFile: join(agentDir, "secret") }, interval: "5m", certificates: [{ name: "ext", profile: "cli-acme", commonName: `agent.${env.zone}`, altNames: [`dns:agent.${env.zone}`], files }] }));
    const run = await runStamp(["agent", "--config", join(agentDir, "agent.yaml"), "--once"], { config: join(agentDir, "session.json"), timeoutMs: 60_000 });
    expect(run.code, run.stderr + run.stdout).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/pending[\s\S]*issued/);
    const v = verifyChain(pebbleRoot, readFileSync(files.chain, "utf8"), readFileSync(files.certificate, "utf8"));
    expect(v.ok, v.out).toBe(true);
    const pub = (f: string, kind: "x509" | "pkey") => openssl((d) => (kind === "x509" ? ["x509", "-noout", "-pubkey", "-in", `${d}/f`] : ["pkey", "-pubout", "-in", `${d}/f`]), { f: readFileSync(f, "utf8") }).out;
    expect(pub(files.privateKey, "pkey")).toBe(pub(files.certificate, "x509"));
    const missing = await stamp(["ca", "create", "--type", "acme", "--name", "cli-broken", "--directory-url", "https://127.0.0.1:1/dir", "--email", "cli@example.test"]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toMatch(/configuration\.dnsSolver/);
    expect(missing.stderr).toMatch(/configuration\.directoryUrl/);
  }, 120_000);
});

describe("requests are database jobs", () => {
  it("ok/kill -9 while a request is pending: after restart it completes exactly once, with two servers taking it over in turn (lease + attempt fence)", async () => {
    const db = await freshDatabase();
    const gate = { file: join(env.dir, "gate"), log: join(env.dir, "gate.log") };
    const hook = writeHook(env, "gate", { gate });
    const envVars = { STAMP_EGRESS_ALLOW: "127.0.0.1", STAMP_ACME_DNS_RESOLVER: `127.0.0.1:${env.bindPort}`, STAMP_DNS_HOOKS: `gate=${hook}` };
    const presents = () => (existsSync(gate.log) ? readFileSync(gate.log, "utf8").split("\n").filter(Boolean) : []);
    const waitPresents = async (n: number) => {
      for (let i = 0; i < 200 && presents().length < n; i++) await new Promise((r) => setTimeout(r, 100));
      expect(presents()).toHaveLength(n);
    };
    const cn = `killed.${env.zone}`;
    writeFileSync(gate.file, "");
    // Server A, a real process: it claims the request and hangs in the DNS hook until killed.
    const a = await spawnServer(["--database-url", db.databaseUrl!, "--data-dir", db.dataDir, "--external-ca-lease", "30"], { env: { ...envVars, STAMP_BOOTSTRAP_EMAIL: ADMIN_EMAIL, STAMP_BOOTSTRAP_PASSWORD: ADMIN_PASSWORD } });
    const servers: TestServer[] = [];
    try {
      const at = (await call(a.url, "POST", "/api/v1/auth/login", { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })).body.accessToken as string;
      const ap = (await call(a.url, "GET", "/api/v1/projects", { token: at })).body.projects[0].id as string;
      const ca = (await call(a.url, "POST", ACME_CA, { token: at, body: { projectId: ap, name: "killed", configuration: { directoryUrl: env.directoryUrl, accountEmail: "ops@example.test", trustBundle: env.pebbleTlsCa, dnsSolver: { type: "hook", hook: "gate" }, propagationTimeoutSeconds: 10 } } })).body;
      expect(ca.id, JSON.stringify(ca)).toBeTruthy();
      const tpl = (await call(a.url, "POST", TPL, { token: at, body: { projectId: ap, name: "killed-tpl", preset: "tls-server", sans: [{ type: "dns_name", allowed: [`*.${env.zone}`] }], subject: [{ type: "common_name", allowed: [`*.${env.zone}`] }] } })).body;
      const prof = (await call(a.url, "POST", PRO, { token: at, body: { projectId: ap, slug: "killed", templateId: tpl.certificateTemplate.id, caId: ca.id, defaults: { ttl: "30d" } } })).body;
      const q = await call(a.url, "POST", CERTS, { token: at, body: { profileId: prof.certificateProfile.id, attributes: { commonName: cn } } });
      expect(q.status, JSON.stringify(q.body)).toBe(202);
      const requestId = q.body.certificateRequestId as string;
      await waitPresents(1);
      a.child.kill("SIGKILL");
      await new Promise((r) => (a.alive() ? a.child.once("exit", r) : r(null)));

      // B restarts on the same database; its clock is 40 s ahead, so A's 30 s lease has run out and
      // B takes the request over (attempt 2), then hangs in the hook too. C, 80 s ahead, sees B's
      // lease run out and takes it over again (attempt 3). Only attempt 3 may record an outcome.
      const skewed = (s: number) => ({ clock: () => new Date(Date.now() + s * 1000) });
      const opts = { db, env: envVars, args: ["--external-ca-lease", "30"] };
      servers.push(await startServer({ ...opts, rt: skewed(40) }));
      servers[0].server.jobs.start();
      await waitPresents(2);
      servers.push(await startServer({ ...opts, rt: skewed(80) }));
      servers[1].server.jobs.start();
      await waitPresents(3);
      const pids = presents().map((l) => l.split(" ")[2]);
      expect(new Set(pids).size).toBe(2); // A's process, then B and C (both this test process)
      rmSync(gate.file);

      const [b, c] = servers;
      let done: any;
      for (let i = 0; i < 300; i++) {
        done = (await c.api("GET", `${REQS}/${requestId}`, { token: c.adminToken })).body;
        if (done.status === "issued" || done.status === "failed") break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(done.status, done.errorMessage).toBe("issued");
      // Both servers' jobs run again: still one certificate for the request, the one it names.
      await Promise.all(servers.map((x) => x.server.jobs.runNow("external-ca-requests")));
      const list = await ok(b.api("GET", `${CERTS}?projectId=${b.defaultProjectId}&search=killed`, { token: b.adminToken }), "list");
      const mine = list.certificates.filter((x: { commonName: string }) => x.commonName === cn);
      expect(mine.map((x: { id: string }) => x.id)).toEqual([done.certificateId]);
      const cert = await ok(c.api("GET", `${CERTS}/${done.certificateId}/bundle`, { token: c.adminToken }), "bundle");
      const v = verifyChain(pebbleRoot, cert.certificateChain, cert.certificate);
      expect(v.ok, v.out).toBe(true);
      // Every record is gone: B's and C's cleaned up, and A's abandoned hook never wrote one.
      for (let i = 0; i < 50 && env.txt(`_acme-challenge.${cn}`).length; i++) await new Promise((r) => setTimeout(r, 100));
      expect(env.txt(`_acme-challenge.${cn}`)).toEqual([]);
    } finally {
      if (existsSync(gate.file)) rmSync(gate.file);
      if (a.alive()) a.child.kill("SIGKILL");
      for (const x of servers) await x.close();
      await db.drop();
    }
  }, 120_000);
});
