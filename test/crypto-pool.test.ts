import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers/harness.js";
import { createHierarchy, type Hierarchy } from "./helpers/hierarchy.js";
import { opensslAsync } from "./helpers/openssl.js";

// Issue 12, "All cores": RSA key generation and PKCS#12 encryption run in the crypto pool's
// worker threads (src/server/keys/crypto-pool.ts). What those threads make must be as good as
// what the event loop made: keys OpenSSL accepts, certificates that verify, PKCS#12 that opens.

const CERTS = "/api/v1/cert-manager/certificates";
let s: TestServer;
let h: Hierarchy;
let profileId = "";
const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-pool-p12-"));

beforeAll(async () => {
  s = await startServer();
  h = await createHierarchy(s, "pool", "Pool");
  const t = s.adminToken;
  const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: s.defaultProjectId, name: "pool-rsa", preset: "tls-server", algorithms: { keyAlgorithm: ["RSA_2048", "RSA_3072"] } } });
  expect(tpl.status, JSON.stringify(tpl.body)).toBe(200);
  const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: s.defaultProjectId, slug: "pool-rsa", templateId: tpl.body.certificateTemplate.id, caId: h.intId } });
  expect(prof.status, JSON.stringify(prof.body)).toBe(200);
  profileId = prof.body.certificateProfile.id;
});
afterAll(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("RSA keys and PKCS#12 from the worker-thread pool", () => {
  it.each([
    ["RSA_2048", 2048],
    ["RSA_3072", 3072],
  ] as const)("ok/%s: an issuance without a CSR returns a key OpenSSL checks and a certificate that verifies and holds it", async (alg, bits) => {
    const cn = `${alg.toLowerCase().replace("_", "-")}.pool.test`;
    // Two at once, so both pool threads work.
    const replies = await Promise.all([0, 1].map((i) => s.api("POST", CERTS, { token: s.adminToken, body: { profileId, attributes: { commonName: `${i}.${cn}`, altNames: [{ type: "dns_name", value: `${i}.${cn}` }], keyAlgorithm: alg } } })));
    for (const r of replies) {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const c = r.body.certificate;
      const v = await opensslAsync(() => ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "root.pem", "-untrusted", "chain.pem", "cert.pem"], { "root.pem": h.rootPem, "chain.pem": c.certificateChain, "cert.pem": c.certificate });
      expect(v.out).toContain("cert.pem: OK");
      const check = await opensslAsync(() => ["pkey", "-in", "k.pem", "-check", "-noout"], { "k.pem": c.privateKey });
      expect(check.ok, check.out).toBe(true);
      const key = createPrivateKey(c.privateKey);
      expect(key.asymmetricKeyDetails?.modulusLength).toBe(bits);
      expect(new X509Certificate(c.certificate).publicKey.equals(createPublicKey(key))).toBe(true);
    }
    expect(replies[0].body.certificate.privateKey).not.toBe(replies[1].body.certificate.privateKey);
  });

  it("ok/a preview with an RSA key algorithm answers (its throwaway key also comes from the pool)", async () => {
    const r = await s.api("POST", `${CERTS}/preview`, { token: s.adminToken, body: { profileId, attributes: { commonName: "preview.pool.test", altNames: [{ type: "dns_name", value: "preview.pool.test" }], keyAlgorithm: "RSA_2048" } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.preview.tbsCertificate).toMatch(/^[A-Za-z0-9+/=]+$/);
  });

  it("ok/PKCS#12 files built in the pool open with openssl pkcs12, hold the certificate, its chain and its key, and refuse a wrong password", async () => {
    const issued = await s.api("POST", CERTS, { token: s.adminToken, body: { profileId, attributes: { commonName: "p12.pool.test", altNames: [{ type: "dns_name", value: "p12.pool.test" }], keyAlgorithm: "RSA_2048" } } });
    expect(issued.status).toBe(200);
    const c = issued.body.certificate;
    const download = () =>
      fetch(`${s.url}${CERTS}/${c.certificateId}/pkcs12`, { method: "POST", headers: { authorization: `Bearer ${s.adminToken}`, "content-type": "application/json" }, body: JSON.stringify({ password: "pool p12 password" }), signal: AbortSignal.timeout(30_000) });
    const rs = await Promise.all([download(), download(), download()]);
    const files = await Promise.all(rs.map(async (r) => ({ status: r.status, der: Buffer.from(await r.arrayBuffer()) })));
    for (const f of files) expect(f.status).toBe(200);
    // Fresh salts each time: the three files differ.
    expect(new Set(files.map((f) => f.der.toString("base64"))).size).toBe(3);
    const p12File = path.join(dir, "a.p12");
    writeFileSync(p12File, files[0].der);
    const opened = await opensslAsync(() => ["pkcs12", "-in", p12File, "-passin", "pass:pool p12 password", "-nodes"], {});
    expect(opened.ok, opened.out).toBe(true);
    const pems = [...opened.out.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]));
    expect(pems.some((x) => x.subject.includes("p12.pool.test"))).toBe(true);
    expect(pems.some((x) => x.subject.includes("Pool Issuing"))).toBe(true);
    const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(opened.out)?.[0];
    expect(keyPem && createPublicKey(createPrivateKey(keyPem)).equals(new X509Certificate(c.certificate).publicKey)).toBe(true);
    const wrong = await opensslAsync(() => ["pkcs12", "-in", p12File, "-passin", "pass:not it", "-nodes"], {});
    expect(wrong.ok).toBe(false);
  });
});
