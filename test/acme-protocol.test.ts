import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ariCertId } from "../src/pki/acme-crypto.js";
import { parseCertificate } from "../src/pki/certificate-parse.js";
import { AcmeClient, acmeKey, b64u, firstDer, httpsCall, jws, makeCsr, startHttp01, verifyPemChain, type AcmeAnswer, type Http01Server } from "./helpers/acme-client.js";
import { startAcmeEnv, type AcmeEnv } from "./helpers/acme-env.js";

const ERR = "urn:ietf:params:acme:error:";

/** An ACME problem document (RFC 8555 §6.7) of `type` with `status`, carrying a fresh nonce. */
function expectProblem(r: AcmeAnswer, type: string, status: number) {
  expect(r.status, r.text).toBe(status);
  expect(r.headers["content-type"], r.text).toMatch(/^application\/problem\+json/);
  expect(r.body?.type, r.text).toBe(`${ERR}${type}`);
  expect(r.body?.status).toBe(status);
  expect(typeof r.body?.detail).toBe("string");
  expect(r.headers["replay-nonce"]).toMatch(/^[A-Za-z0-9_-]+$/);
}

let env: AcmeEnv;
let ca: string;
let http01: Http01Server;
const agent = new https.Agent({ keepAlive: true, maxSockets: 16 });

beforeAll(async () => {
  env = await startAcmeEnv({ env: { STAMP_ACME_REQUESTS_PER_MINUTE: "1000000" } });
  ca = readFileSync(env.s.tlsCaFile, "utf8");
  http01 = await startHttp01(env.ports.http01);
});
afterAll(async () => {
  agent.destroy();
  await http01?.close();
  await env?.close();
});

async function client(key = acmeKey()) {
  const c = new AcmeClient(env.directory, { ca, agent, key });
  await c.init();
  return c;
}
/** A client with a fresh account bound to a fresh EAB key. */
async function account() {
  const c = await client();
  const r = await c.newAccount({ contact: ["mailto:ops@stamp.test"] }, await env.eab());
  expect(r.status, r.text).toBe(201);
  return c;
}
/** Orders `names`, proves them with http-01, finalizes and downloads: the certificate and its key. */
async function issue(c: AcmeClient, names: string[], extra: Record<string, unknown> = {}) {
  const o = await c.newOrder(names, extra);
  expect(o.status, o.text).toBe(201);
  await c.authorize(o.body, http01);
  const csr = await makeCsr(names);
  const f = await c.finalize(o.body, csr.der);
  expect(f.status, f.text).toBe(200);
  expect(f.body.status).toBe("valid");
  const pem = await c.download(f.body.certificate);
  expect(pem.status, pem.text).toBe(200);
  return { orderUrl: o.headers.location, order: f.body, pem: pem.text, der: firstDer(pem.text), key: csr.key, newOrder: o };
}

describe("ACME protocol against Stamp", () => {
  it("fail/ badNonce: a reused or made-up nonce is refused with a fresh Replay-Nonce, and a retry with it succeeds; new-nonce and the directory", async () => {
    const head = await httpsCall(`${env.directory.replace(/directory$/, "new-nonce")}`, { method: "HEAD", ca, agent });
    expect(head.status).toBe(200);
    expect(head.headers["replay-nonce"]).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(head.headers["cache-control"]).toBe("no-store");
    const get = await httpsCall(`${env.directory.replace(/directory$/, "new-nonce")}`, { method: "GET", ca, agent });
    expect(get.status).toBe(204);
    expect(get.headers["replay-nonce"]).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    expect(get.headers["replay-nonce"]).not.toBe(head.headers["replay-nonce"]);
    expect(get.headers["cache-control"]).toBe("no-store");
    const dir = await httpsCall(env.directory, { method: "GET", ca, agent });
    expect(dir.status).toBe(200);
    expect(dir.body.meta.externalAccountRequired).toBe(true);

    const c = await account();
    const n = await c.nonce();
    expect((await c.post(c.kid!, "", { nonce: n })).status).toBe(200);
    c.nonces.length = 0;
    // One of ours with its expiry pushed out: the MAC no longer matches.
    const tampered = Buffer.from(await c.nonce(), "base64url");
    tampered[2] ^= 0xff;
    c.nonces.length = 0;
    for (const bad of [n, b64u(randomBytes(16)), b64u(randomBytes(32)), tampered.toString("base64url")]) {
      const r = await c.post(c.kid!, "", { nonce: bad });
      expectProblem(r, "badNonce", 400);
      const fresh = c.nonces.pop()!;
      expect(fresh).toBe(r.headers["replay-nonce"]);
      expect(fresh).not.toBe(bad);
      const retry = await c.post(c.kid!, "", { nonce: fresh });
      expect(retry.status, retry.text).toBe(200);
      expect(retry.body.status).toBe("valid");
      c.nonces.length = 0;
    }
    // A missing nonce is badNonce too.
    const noNonce = await c.call("POST", c.kid!, jws(c.key, { url: c.kid, kid: c.kid }, ""));
    expectProblem(noNonce, "badNonce", 400);
  });

  it("fail/ accounts: EAB required, wrong HMAC, an EAB key binds one account, onlyReturnExisting, contacts, deactivation", async () => {
    const none = await client();
    expectProblem(await none.newAccount({}), "externalAccountRequired", 400);

    const eab = await env.eab();
    const wrong = await client();
    expectProblem(await wrong.newAccount({}, { keyId: eab.keyId, hmacKey: b64u(Buffer.alloc(32, 7)) }), "unauthorized", 403);

    const c = await client();
    const created = await c.newAccount({ contact: ["mailto:a@stamp.test"] }, eab);
    expect(created.status, created.text).toBe(201);
    expect(created.body).toMatchObject({ status: "valid", contact: ["mailto:a@stamp.test"] });
    // RFC 8555 §7.1.2: externalAccountBinding is the client's JWS; echoing anything else breaks clients that re-send the account.
    expect(created.body).not.toHaveProperty("externalAccountBinding");
    const other = await client();
    const twice = await other.newAccount({}, eab);
    expectProblem(twice, "unauthorized", 403);
    expect(twice.body.detail).toMatch(/already bound/);

    const unknown = await client();
    expectProblem(await unknown.newAccount({ onlyReturnExisting: true }), "accountDoesNotExist", 400);
    const again = await client(c.key);
    const found = await again.newAccount({ onlyReturnExisting: true });
    expect(found.status, found.text).toBe(200);
    expect(found.headers.location).toBe(c.kid);
    const againEab = await again.newAccount({}, eab);
    expect(againEab.status, againEab.text).toBe(200);
    expect(againEab.headers.location).toBe(c.kid);

    const updated = await c.post(c.kid!, { contact: ["mailto:b@stamp.test", "mailto:c@stamp.test"] });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.body.contact).toEqual(["mailto:b@stamp.test", "mailto:c@stamp.test"]);
    expectProblem(await c.post(c.kid!, { contact: ["tel:+15555550100"] }), "unsupportedContact", 400);
    expectProblem(await c.post(c.kid!, { contact: ["mailto:not an address"] }), "invalidContact", 400);
    expect((await c.post(c.kid!, "")).body.contact).toEqual(["mailto:b@stamp.test", "mailto:c@stamp.test"]);

    // Re-sending the account object as it was given (python-acme does) changes nothing; other statuses are refused.
    const resent = await c.post(c.kid!, { ...updated.body });
    expect(resent.status, resent.text).toBe(200);
    expect(resent.body.status).toBe("valid");
    expectProblem(await c.post(c.kid!, { status: "revoked" }), "malformed", 400);

    const off = await c.post(c.kid!, { status: "deactivated" });
    expect(off.status, off.text).toBe(200);
    expect(off.body.status).toBe("deactivated");
    expectProblem(await c.post(c.kid!, ""), "unauthorized", 403);
    expectProblem(await c.newOrder(["x.stamp.test"]), "unauthorized", 403);
    expectProblem(await c.post(c.kid!, { status: "valid" }), "unauthorized", 403);
    // RFC 8555 §7.3.6: newAccount signed by the deactivated account's key is refused too.
    expectProblem(await again.newAccount({ onlyReturnExisting: true }), "unauthorized", 403);
    expectProblem(await again.newAccount({}, eab), "unauthorized", 403);
  });

  it("fail/ keyChange: the new key works and the old one is refused; a key another account uses is a 409", async () => {
    const c = await account();
    const oldKey = c.key;
    const newKey = acmeKey();
    const r = await c.keyChange(newKey);
    expect(r.status, r.text).toBe(200);
    const read = await c.post(c.kid!, "");
    expect(read.status, read.text).toBe(200);
    // Signed by the account's old key: not the account's any more (unauthorized, not malformed).
    const stale = await c.post(c.kid!, "", { key: oldKey });
    expectProblem(stale, "unauthorized", 403);
    expect(stale.body.detail).toMatch(/current key/);
    expectProblem(await c.post(c.dir.newOrder, { identifiers: [{ type: "dns", value: "old.stamp.test" }] }, { key: oldKey }), "unauthorized", 403);
    const byOld = await client(oldKey);
    expectProblem(await byOld.newAccount({ onlyReturnExisting: true }), "accountDoesNotExist", 400);
    const byNew = await client(newKey);
    expect((await byNew.newAccount({ onlyReturnExisting: true })).headers.location).toBe(c.kid);

    const d = await account();
    const clash = await c.keyChange(d.key);
    expectProblem(clash, "malformed", 409);
    expect(clash.headers.location).toBe(d.kid);
    expect(c.key).toBe(newKey);
    expect((await c.post(c.kid!, "")).status).toBe(200);
  });

  it("fail/ newOrder: a name the template forbids, an unsupported identifier type, a malformed body", async () => {
    const c = await account();
    const evil = await c.newOrder(["ok.stamp.test", "evil.example.com"]);
    expectProblem(evil, "rejectedIdentifier", 400);
    expect(JSON.stringify(evil.body.subproblems)).toContain("evil.example.com");
    expect(evil.body.subproblems.every((s: { type: string }) => s.type === `${ERR}rejectedIdentifier`)).toBe(true);
    expect(JSON.stringify(evil.body.subproblems)).not.toContain("ok.stamp.test");

    const email = await c.newOrder([{ type: "email", value: "a@stamp.test" }]);
    expectProblem(email, "unsupportedIdentifier", 400);
    expect(email.body.subproblems[0]).toMatchObject({ type: `${ERR}unsupportedIdentifier` });

    expectProblem(await c.post(c.dir.newOrder, { identifiers: "web.stamp.test" }), "malformed", 400);
    expectProblem(await c.post(c.dir.newOrder, {}), "malformed", 400);
    expectProblem(await c.newOrder(["web.stamp.test"], { notAfter: "tomorrow" }), "malformed", 400);
    expectProblem(await c.call("POST", c.dir.newOrder, "{not json"), "malformed", 400);
  });

  it("ok/ the whole order with http-01: pending → valid challenge at once → ready → valid; badCSR, orderNotReady, the orders list, authz deactivation", async () => {
    const c = await account();
    const o = await c.newOrder(["flow.stamp.test", "flow2.stamp.test"]);
    expect(o.status, o.text).toBe(201);
    expect(o.body.status).toBe("pending");
    expect(o.body.authorizations).toHaveLength(2);
    const orderUrl = o.headers.location;

    expectProblem(await c.finalize(o.body, (await makeCsr(["flow.stamp.test", "flow2.stamp.test"])).der), "orderNotReady", 403);

    for (const a of o.body.authorizations) {
      const authz = await c.post(a, "");
      expect(authz.body.status).toBe("pending");
      const ch = authz.body.challenges.find((x: { type: string }) => x.type === "http-01");
      http01.set(ch.token, c.keyAuthorization(ch.token));
      const started = Date.now();
      const r = await c.post(ch.url, {});
      expect(r.status, r.text).toBe(200);
      expect(r.body.status).toBe("valid");
      expect(r.body.validated).toBeTruthy();
      expect(Date.now() - started).toBeLessThan(10_000);
      expect((await c.post(a, "")).body.status).toBe("valid");
    }
    const ready = await c.post(orderUrl, "");
    expect(ready.body.status).toBe("ready");

    const bad = await c.finalize(o.body, (await makeCsr(["flow.stamp.test", "other.stamp.test"])).der);
    expectProblem(bad, "badCSR", 400);
    expect(bad.body.detail).toContain("other.stamp.test");
    expect(bad.body.detail).toContain("flow2.stamp.test");
    expectProblem(await c.post(o.body.finalize, { csr: "!!" }), "malformed", 400);
    expectProblem(await c.post(o.body.finalize, { csr: b64u(Buffer.from("not a csr")) }), "badCSR", 400);
    expect((await c.post(orderUrl, "")).body.status).toBe("ready");

    const csr = await makeCsr(["flow.stamp.test", "flow2.stamp.test"]);
    const f = await c.finalize(o.body, csr.der);
    expect(f.status, f.text).toBe(200);
    expect(f.body.status).toBe("valid");
    const cert = await c.download(f.body.certificate);
    expect(cert.status).toBe(200);
    expect(cert.headers["content-type"]).toMatch(/^application\/pem-certificate-chain/);
    const v = await verifyPemChain(env.rootPem, cert.text);
    expect(v.out).toContain("cert.pem: OK");
    const parsed = parseCertificate(firstDer(cert.text));
    expect(parsed.sans?.dns?.sort()).toEqual(["flow.stamp.test", "flow2.stamp.test"]);
    // Finalizing a valid order again answers the order, not a second certificate.
    const again = await c.finalize(o.body, csr.der);
    expect(again.body.certificate).toBe(f.body.certificate);

    const list = await c.post(`${c.kid}/orders`, "");
    expect(list.status, list.text).toBe(200);
    expect(list.body.orders).toContain(orderUrl);
    // Another account cannot see it.
    const stranger = await account();
    expectProblem(await stranger.post(orderUrl, ""), "malformed", 404);
    expectProblem(await stranger.download(f.body.certificate), "malformed", 404);

    const d = await c.newOrder(["deact.stamp.test"]);
    const authzUrl = d.body.authorizations[0];
    const off = await c.post(authzUrl, { status: "deactivated" });
    expect(off.status, off.text).toBe(200);
    expect(off.body.status).toBe("deactivated");
    expect((await c.post(d.headers.location, "")).body.status).toBe("invalid");
    expectProblem(await c.post(authzUrl, { status: "valid" }), "malformed", 400);
    expectProblem(await c.finalize(d.body, (await makeCsr(["deact.stamp.test"])).der), "orderNotReady", 403);
  });

  it("fail/ finalize with a CSR that asks for a CA and an unknown critical extension is badCSR with both reasons", async () => {
    const c = await account();
    const o = await c.newOrder(["csr-ca.stamp.test"]);
    expect(o.status, o.text).toBe(201);
    await c.authorize(o.body, http01);
    const csr = await makeCsr(["csr-ca.stamp.test"], { extra: ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "1.3.6.1.4.1.55555.1=critical,ASN1:NULL"] });
    const f = await c.finalize(o.body, csr.der);
    expectProblem(f, "badCSR", 400);
    expect(f.body.detail).toMatch(/basicConstraints cA TRUE/);
    expect(f.body.detail).toContain("1.3.6.1.4.1.55555.1");
    expect(f.body.subproblems.map((p: { detail: string }) => p.detail.split(":")[0]).sort()).toEqual(["csr.basicConstraints", "csr.extensions"]);
  });
  it("ok/ ARI: renewal-info for an issued certificate, and a newOrder that replaces it; a made-up id is malformed", async () => {
    const c = await account();
    const got = await issue(c, ["ari.stamp.test"]);
    const parsed = parseCertificate(got.der);
    const certId = ariCertId(parsed.aki!, Buffer.from(parsed.serialHex, "hex"));
    const ri = await httpsCall(`${c.dir.renewalInfo}/${certId}`, { method: "GET", ca, agent });
    expect(ri.status, ri.text).toBe(200);
    expect(Number(ri.headers["retry-after"])).toBeGreaterThan(0);
    const start = new Date(ri.body.suggestedWindow.start).getTime();
    const end = new Date(ri.body.suggestedWindow.end).getTime();
    expect(start).toBeLessThan(end);
    expect(start).toBeGreaterThanOrEqual(parsed.notBefore.getTime());
    expect(end).toBeLessThanOrEqual(parsed.notAfter.getTime());

    const renewal = await c.newOrder(["ari.stamp.test"], { replaces: certId });
    expect(renewal.status, renewal.text).toBe(201);
    expect(renewal.body.replaces).toBe(certId);
    // RFC 9773 §5: one live replacement per certificate.
    const twice = await c.newOrder(["ari.stamp.test"], { replaces: certId });
    expectProblem(twice, "alreadyReplaced", 409);
    expect(twice.body.detail).toContain(renewal.headers.location);
    // Once that order has failed (its authorization deactivated), the certificate may be replaced again.
    expect((await c.post(renewal.body.authorizations[0], { status: "deactivated" })).status).toBe(200);
    const retry = await c.newOrder(["ari.stamp.test"], { replaces: certId });
    expect(retry.status, retry.text).toBe(201);
    expectProblem(await c.newOrder(["ari.stamp.test"], { replaces: certId }), "alreadyReplaced", 409);
    // An order that replaces nothing is still fine.
    expect((await c.newOrder(["ari.stamp.test"])).status).toBe(201);

    const madeUp = `${b64u(randomBytes(20))}.${b64u(Buffer.from([0x12, 0x34, 0x56]))}`;
    expectProblem(await c.newOrder(["ari.stamp.test"], { replaces: madeUp }), "malformed", 400);
    expectProblem(await c.newOrder(["ari.stamp.test"], { replaces: 42 }), "malformed", 400);
    // Another account may not claim to replace it.
    expectProblem(await (await account()).newOrder(["ari.stamp.test"], { replaces: certId }), "malformed", 400);
    expectProblem(await httpsCall(`${c.dir.renewalInfo}/${madeUp}`, { method: "GET", ca, agent }), "malformed", 404);
    expectProblem(await httpsCall(`${c.dir.renewalInfo}/not-an-id`, { method: "GET", ca, agent }), "malformed", 400);
  });

  it("fail/ revokeCert: a bad reason, another account, the certificate's own key, then alreadyRevoked", async () => {
    const c = await account();
    const got = await issue(c, ["revoke.stamp.test"]);
    const certKey = acmeKey(got.key);
    expectProblem(await c.revoke(got.der, { reason: 7, key: certKey }), "badRevocationReason", 400);
    expectProblem(await c.revoke(got.der, { reason: "keyCompromise" }), "badRevocationReason", 400);
    const stranger = await account();
    expectProblem(await stranger.revoke(got.der), "unauthorized", 403);
    const ok = await c.revoke(got.der, { reason: 1, key: certKey });
    expect(ok.status, ok.text).toBe(200);
    expectProblem(await c.revoke(got.der, { key: certKey }), "alreadyRevoked", 400);
    expectProblem(await c.revoke(got.der), "alreadyRevoked", 400);
    const list = await env.s.api("GET", `/api/v1/cert-manager/certificates?projectId=${env.s.defaultProjectId}&search=revoke.stamp.test&limit=10`, { token: env.s.adminToken });
    expect(list.body.certificates.map((x: { status: string }) => x.status)).toEqual(["revoked"]);
    // A certificate this server did not issue.
    expectProblem(await c.revoke(firstDer(env.rootPem)), "malformed", 404);
  });

  it("fail/ POSTs that are not application/jose+json answer 415 malformed with a fresh nonce (RFC 8555 §6.2)", async () => {
    const c = await account();
    const signed = async (url: string, payload: unknown) => JSON.stringify(jws(c.key, { nonce: await c.nonce(), url, kid: c.kid }, payload));
    for (const [url, payload] of [[c.dir.newOrder, { identifiers: [{ type: "dns", value: "json.stamp.test" }] }], [c.kid!, ""], [c.dir.newAccount, {}], [c.dir.revokeCert, { certificate: "AA" }]] as const) {
      for (const type of ["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded"]) {
        const r = await c.call("POST", url, await signed(url, payload), { "content-type": type });
        expectProblem(r, "malformed", 415);
        expect(r.body.detail).toContain("application/jose+json");
      }
      const none = await httpsCall(url, { method: "POST", ca, agent, body: await signed(url, payload) });
      expect(none.status, none.text).toBe(415);
    }
    // The same request as application/jose+json is served.
    const ok = await c.call("POST", c.dir.newOrder, await signed(c.dir.newOrder, { identifiers: [{ type: "dns", value: "json.stamp.test" }] }), { "content-type": "application/jose+json" });
    expect(ok.status, ok.text).toBe(201);
  });

  it("ok/ a revocation through ACME raises the revoked alert, like a REST revocation", async () => {
    const hits: { path: string; body: string }[] = [];
    const receiver = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString("utf8")));
      req.on("end", () => (hits.push({ path: req.url ?? "", body }), res.end("ok")));
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    try {
      const hook = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/acme-revoked`;
      const rule = await env.s.api("POST", `/api/v1/projects/${env.s.defaultProjectId}/alert-rules`, { token: env.s.adminToken, body: { name: "acme-revocations", events: ["revoked"], channel: "webhook", webhookUrl: hook, filters: { namePattern: "alert*.stamp.test" } } });
      expect(rule.status, JSON.stringify(rule.body)).toBe(200);
      const c = await account();
      const byAccount = await issue(c, ["alert1.stamp.test"]);
      const byKey = await issue(c, ["alert2.stamp.test"]);
      expect((await c.revoke(byAccount.der, { reason: 4 })).status).toBe(200);
      expect((await c.revoke(byKey.der, { reason: 1, key: acmeKey(byKey.key) })).status).toBe(200);
      await env.s.server.jobs.runNow("alert-delivery");
      const events = hits.filter((h) => h.path === "/acme-revoked").map((h) => JSON.parse(h.body));
      expect(events.map((e) => e.type)).toEqual(["dev.stamp.certificate.revoked", "dev.stamp.certificate.revoked"]);
      const byName = Object.fromEntries(events.map((e) => [e.data.certificate.commonName, e]));
      expect(byName["alert1.stamp.test"].data.reason).toBe("SUPERSEDED");
      expect(byName["alert2.stamp.test"].data.reason).toBe("KEY_COMPROMISE");
      // Audited once each, as ACME revocations, by the account or by the certificate's key.
      const log = await env.s.api("GET", `/api/v1/projects/${env.s.defaultProjectId}/audit-logs?action=certificate.revoke&limit=100`, { token: env.s.adminToken });
      const mine = log.body.auditLogs.filter((a: { objectId: string }) => [byName["alert1.stamp.test"].subject, byName["alert2.stamp.test"].subject].includes(a.objectId));
      expect(mine.map((a: { actorType: string }) => a.actorType).sort()).toEqual(["acme-account", "acme-certificate-key"]);
      for (const a of mine) expect(a.detail).toMatchObject({ via: "acme" });
    } finally {
      await new Promise<void>((r) => receiver.close(() => r()));
    }
  });

  it("fail/ fuzz: 10,000+ mutated JWS bodies on new-account, new-order and an order URL answer < 500, problem+json when ≥ 400", { timeout: 180_000 }, async () => {
    const c = await account();
    const o = await c.newOrder(["fuzz.stamp.test"]);
    const orderUrl = o.headers.location;
    const targets = [c.dir.newAccount, c.dir.newOrder, orderUrl];
    const stale = b64u(randomBytes(16));
    const fresh = acmeKey();
    const str64 = fc.oneof(
      { weight: 4, arbitrary: fc.string({ maxLength: 40 }) },
      { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{0,64}$/) },
      { weight: 2, arbitrary: fc.base64String({ maxLength: 64 }) },
      { weight: 1, arbitrary: fc.constantFrom("", "=", "AA==", "\u0000", "é", "A".repeat(200_000), "A".repeat(131_073), "%%%%") },
    );
    const weird = fc.oneof(fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string(), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }), str64, fc.double());
    const jwkArb = fc.oneof(
      fc.constant(fresh.jwk as Record<string, unknown>),
      weird,
      fc.record(
        { kty: fc.oneof(fc.constantFrom("EC", "RSA", "OKP", "oct"), weird), crv: fc.oneof(fc.constantFrom("P-256", "P-384", "P-521", "Ed25519", "X25519", "secp256k1"), weird), x: fc.oneof(fc.constant(fresh.jwk.x), str64), y: fc.oneof(fc.constant(fresh.jwk.y), str64), n: str64, e: fc.oneof(fc.constant("AQAB"), str64), d: str64, k: str64 },
        { requiredKeys: [] },
      ),
    );
    const headerArb = (url: string) =>
      fc.record(
        {
          alg: fc.oneof(fc.constantFrom("ES256", "ES384", "RS256", "EdDSA", "none", "HS256", "PS256", ""), weird),
          nonce: fc.oneof(fc.constant(stale), weird),
          url: fc.oneof(fc.constant(url), fc.constant(`${url}/x`), weird),
          jwk: jwkArb,
          kid: fc.oneof(fc.constant(c.kid!), fc.constant(`${c.kid}x`), fc.constant(c.kid!.replace(/account\/.*/, "account/00000000-0000-0000-0000-000000000000")), weird),
          crit: weird,
          b64: fc.boolean(),
        },
        { requiredKeys: [] },
      );
    const identifier = fc.record({ type: fc.oneof(fc.constantFrom("dns", "ip", "email"), weird), value: fc.oneof(fc.domain(), fc.ipV4(), fc.ipV6(), fc.constantFrom("*.stamp.test", "*.*.stamp.test", "a.stamp.test", "127.0.0.1", "::1", "x".repeat(300)), weird) }, { requiredKeys: [] });
    const payloadArb = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.record(
        {
          identifiers: fc.oneof(fc.array(fc.oneof(identifier, weird), { maxLength: 4 }), weird),
          contact: fc.oneof(fc.array(fc.oneof(fc.constant("mailto:a@stamp.test"), fc.emailAddress().map((e) => `mailto:${e}`), weird), { maxLength: 3 }), weird),
          onlyReturnExisting: fc.oneof(fc.boolean(), weird),
          termsOfServiceAgreed: fc.boolean(),
          externalAccountBinding: fc.oneof(weird, fc.record({ protected: str64, payload: str64, signature: str64 }, { requiredKeys: [] })),
          notBefore: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), weird),
          notAfter: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), weird),
          replaces: fc.oneof(fc.constant("AAAA.AQ"), weird),
          status: fc.oneof(fc.constantFrom("deactivated", "valid"), weird),
          csr: str64,
        },
        { requiredKeys: [] },
      ),
    );
    const member = (original: string, json: fc.Arbitrary<unknown>) =>
      fc.oneof({ weight: 3, arbitrary: fc.constant(original) }, { weight: 3, arbitrary: json.map((v) => b64u(JSON.stringify(v) ?? "")) }, { weight: 2, arbitrary: str64 }, { weight: 1, arbitrary: weird });
    const caseArb = fc.integer({ min: 0, max: 2 }).chain((t) => {
      const url = targets[t];
      const base = jws(c.key, { nonce: stale, url, kid: c.kid }, { identifiers: [{ type: "dns", value: "a.stamp.test" }] });
      const body = fc.record(
        { protected: member(base.protected, headerArb(url)), payload: member(base.payload, payloadArb), signature: member(base.signature, fc.jsonValue({ maxDepth: 1 })), header: weird, signatures: weird, extra: weird },
        { requiredKeys: [] },
      );
      return fc.record({
        t: fc.constant(t),
        // "signed": a real signature with a fresh nonce over a generated header and payload, to reach the handlers.
        kind: fc.constantFrom("body", "body", "body", "signed", "signed", "json", "text"),
        body,
        header: headerArb(url),
        payload: fc.oneof(payloadArb, fc.constant("")),
        byJwk: fc.boolean(),
        mutateHeader: fc.integer({ min: 0, max: 3 }).map((n) => n === 0),
        json: fc.jsonValue({ maxDepth: 3 }),
        text: fc.string({ maxLength: 100 }),
        contentType: fc.constantFrom("application/jose+json", "application/jose+json", "application/jose+json", "application/json", "text/plain", ""),
      });
    });
    const cases = fc.sample(caseArb, { numRuns: 10_050, seed: 20240607 });
    const pool: string[] = [];
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;
    const started = Date.now();
    const worker = async () => {
      while (next < cases.length) {
        const k = cases[next++];
        const url = targets[k.t];
        let payload: string;
        if (k.kind === "json") payload = JSON.stringify(k.json);
        else if (k.kind === "text") payload = k.text;
        else if (k.kind === "signed") {
          const key = k.byJwk ? fresh : c.key;
          const id = k.byJwk ? { jwk: fresh.jwk } : { kid: c.kid };
          const h = k.mutateHeader ? { ...k.header } : {};
          payload = JSON.stringify(jws(key, { nonce: pool.pop() ?? stale, url, ...id, ...h }, k.payload));
        } else payload = JSON.stringify(k.body);
        const r = await httpsCall(url, { method: "POST", ca, agent, headers: k.contentType ? { "content-type": k.contentType } : {}, body: payload });
        if (r.headers["replay-nonce"]) pool.push(r.headers["replay-nonce"]);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        const problem = r.status < 400 || (/^application\/problem\+json/.test(r.headers["content-type"] ?? "") && typeof r.body?.type === "string" && r.body.type.startsWith(ERR));
        if (r.status >= 500 || !problem) failures.push(`${r.status} ${r.headers["content-type"]} ${r.text.slice(0, 200)} ← ${payload.slice(0, 300)}`);
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    const took = Date.now() - started;
    expect(failures.slice(0, 5), `${failures.length} bad answers`).toEqual([]);
    expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(10_000);
    // Some mutations must get past the JWS checks: new accounts refused for EAB, orders read or rejected.
    expect(statuses.get(400)).toBeGreaterThan(1000);
    console.log(`fuzz: ${cases.length} requests in ${took} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}`);
    // The server still works.
    expect((await c.post(orderUrl, "")).status).toBe(200);
  });
});

describe("ACME order rate limit", () => {
  let limited: AcmeEnv;
  let ca2: string;
  beforeAll(async () => {
    limited = await startAcmeEnv({ env: { STAMP_ACME_ORDERS_PER_HOUR: "3" } });
    ca2 = readFileSync(limited.s.tlsCaFile, "utf8");
  });
  afterAll(async () => limited?.close());

  it("fail/ the 4th newOrder within the hour is rateLimited (429) with Retry-After", async () => {
    const c = new AcmeClient(limited.directory, { ca: ca2, agent });
    await c.init();
    expect((await c.newAccount({}, await limited.eab())).status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const r = await c.newOrder([`rl${i}.stamp.test`]);
      expect(r.status, r.text).toBe(201);
    }
    const fourth = await c.newOrder(["rl3.stamp.test"]);
    expectProblem(fourth, "rateLimited", 429);
    const retry = Number(fourth.headers["retry-after"]);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(3600);
    // Another account has its own budget.
    const d = new AcmeClient(limited.directory, { ca: ca2, agent });
    await d.init();
    expect((await d.newAccount({}, await limited.eab())).status).toBe(201);
    expect((await d.newOrder(["rl4.stamp.test"])).status).toBe(201);
  });
});
