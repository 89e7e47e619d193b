import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_ALGORITHMS } from "../src/pki/algorithms.js";
import { startServer, type TestServer } from "./helpers/harness.js";
import { openssl, verifyChain, x509Text } from "./helpers/openssl.js";

const CA = "/api/v1/cert-manager/ca/internal";
const TEMPLATES = "/api/v1/cert-manager/certificate-templates";
const PROFILES = "/api/v1/cert-manager/certificate-profiles";
const CERTS = "/api/v1/cert-manager/certificates";

let s: TestServer;
let tmp: string;
beforeAll(async () => {
  s = await startServer();
  tmp = mkdtempSync(path.join(os.tmpdir(), "stamp-seed-"));
});
afterAll(async () => {
  await s?.close();
  rmSync(tmp, { recursive: true, force: true });
});

/** A CSR made by `openssl req` for `cn` with a DNS SAN. */
function opensslCsr(cn: string, dir: string): string {
  execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "r.pem"), "-subj", `/CN=${cn}`, "-addext", `subjectAltName=DNS:${cn}`], { stdio: "ignore" });
  return readFileSync(path.join(dir, "r.pem"), "utf8");
}

// The seed's guide: root CA → intermediate CA → template from the TLS-server preset allowing CN
// *.acme.com with a 1-year maximum → profile with API enrollment → issue with a CSR from
// `openssl req` and without a CSR → renew → revoke; for each CA key algorithm.
describe("ok/ the seed's guide", () => {
  for (const alg of KEY_ALGORITHMS) {
    it(`${alg}`, async () => {
      const t = s.adminToken;
      const p = s.defaultProjectId;
      const root = await s.api("POST", CA, { token: t, body: { projectId: p, name: `seed-root-${alg}`, configuration: { type: "root", commonName: `Acme Root ${alg}`, organization: "Acme", keyAlgorithm: alg } } });
      expect(root.status, JSON.stringify(root.body)).toBe(200);
      const int = await s.api("POST", CA, { token: t, body: { projectId: p, name: `seed-int-${alg}`, configuration: { type: "intermediate", commonName: `Acme Issuing ${alg}`, organization: "Acme", keyAlgorithm: alg, parentCaId: root.body.id } } });
      expect(int.status, JSON.stringify(int.body)).toBe(200);
      const tpl = await s.api("POST", TEMPLATES, {
        token: t,
        body: { projectId: p, name: `seed-${alg}`, preset: "tls-server", subject: [{ type: "common_name", allowed: ["*.acme.com"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"] }], validity: { max: "1y" } },
      });
      expect(tpl.status, JSON.stringify(tpl.body)).toBe(200);
      const prof = await s.api("POST", PROFILES, { token: t, body: { projectId: p, slug: `seed-${alg.toLowerCase().replace(/_/g, "-")}`, templateId: tpl.body.certificateTemplate.id, caId: int.body.id, defaults: { ttl: "90d" } } });
      expect(prof.status, JSON.stringify(prof.body)).toBe(200);
      const profileId = prof.body.certificateProfile.id;
      const rootPem = (await s.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body.certificate;

      // With a CSR made by openssl.
      const dir = mkdtempSync(path.join(tmp, "csr-"));
      const withCsr = await s.api("POST", CERTS, { token: t, body: { profileId, csr: opensslCsr("api.acme.com", dir) } });
      expect(withCsr.status, JSON.stringify(withCsr.body)).toBe(200);
      expect(withCsr.body.certificate.privateKey).toBeUndefined();
      const leaf1 = withCsr.body.certificate;
      expect(verifyChain(rootPem, leaf1.certificateChain, leaf1.certificate, ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");

      // Without a CSR: the server makes the key and returns it once.
      const noCsr = await s.api("POST", CERTS, { token: t, body: { profileId, attributes: { commonName: "web.acme.com", altNames: [{ type: "dns_name", value: "web.acme.com" }], ttl: "30d" } } });
      expect(noCsr.status, JSON.stringify(noCsr.body)).toBe(200);
      const leaf2 = noCsr.body.certificate;
      expect(leaf2.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
      expect(verifyChain(rootPem, leaf2.certificateChain, leaf2.certificate, ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");
      // The key matches the certificate.
      const pub1 = openssl(() => ["pkey", "-in", "k.pem", "-pubout"], { "k.pem": leaf2.privateKey }).out;
      const pub2 = openssl(() => ["x509", "-in", "c.pem", "-pubkey", "-noout"], { "c.pem": leaf2.certificate }).out;
      expect(pub1).toBe(pub2);
      const text = x509Text(leaf2.certificate);
      expect(text).toContain("DNS:web.acme.com");
      expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature/);
      expect(text).toContain("TLS Web Server Authentication");
      expect(text).toContain("X509v3 Subject Key Identifier");
      expect(text).toContain("X509v3 Authority Key Identifier");
      expect(text).toContain("CA Issuers - URI:");
      expect(text).toContain("OCSP - URI:");
      expect(text).toContain("X509v3 CRL Distribution Points");

      // Renew: a new certificate linked to the old; the old stays valid.
      const renewed = await s.api("POST", `${CERTS}/${leaf2.certificateId}/renew`, { token: t, body: {} });
      expect(renewed.status, JSON.stringify(renewed.body)).toBe(200);
      expect(renewed.body.serialNumber).not.toBe(leaf2.serialNumber);
      expect(verifyChain(rootPem, renewed.body.certificateChain, renewed.body.certificate, ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");
      const old = (await s.api("GET", `${CERTS}/${leaf2.certificateId}`, { token: t })).body.certificate;
      expect(old.renewedByCertificateId).toBe(renewed.body.certificateId);
      expect(old.lifecycleStatus).toBe("renewed");
      const fresh = (await s.api("GET", `${CERTS}/${renewed.body.certificateId}`, { token: t })).body.certificate;
      expect(fresh.renewedFromCertificateId).toBe(leaf2.certificateId);

      // A CSR-issued certificate renews with a new CSR.
      const dir2 = mkdtempSync(path.join(tmp, "csr-"));
      const renewedCsr = await s.api("POST", `${CERTS}/${leaf1.certificateId}/renew`, { token: t, body: { csr: opensslCsr("api.acme.com", dir2) } });
      expect(renewedCsr.status, JSON.stringify(renewedCsr.body)).toBe(200);

      // Revoke.
      const revoked = await s.api("POST", `${CERTS}/${leaf1.certificateId}/revoke`, { token: t, body: { revocationReason: "SUPERSEDED" } });
      expect(revoked.status, JSON.stringify(revoked.body)).toBe(200);
      expect(revoked.body.certificate.status).toBe("revoked");
      expect(revoked.body.certificate.revocationReasonName).toBe("SUPERSEDED");
      expect(revoked.body.certificate.revocationReason).toBe(4);
      expect(revoked.body.message).toBe("Successfully revoked certificate");
    });
  }
});
