import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_ALGORITHMS } from "../src/pki/algorithms.js";
import { startServer, type TestServer } from "./helpers/harness.js";
import { openssl, verifyChain, x509Text } from "./helpers/openssl.js";

const CA = "/api/v1/cert-manager/ca/internal";
let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => s?.close());

function body(name: string, configuration: Record<string, unknown>) {
  return { projectId: s.defaultProjectId, name, configuration: { organization: "Acme", country: "US", ...configuration } };
}

describe("ok/ CA hierarchies for every key algorithm", () => {
  for (const alg of KEY_ALGORITHMS) {
    it(`${alg}: root → intermediate → intermediate signed outside (CSR + import)`, async () => {
      const t = s.adminToken;
      const root = await s.api("POST", CA, { token: t, body: body(`root-${alg}`, { type: "root", commonName: `Root ${alg}`, keyAlgorithm: alg, maxPathLength: 2 }) });
      expect(root.status, JSON.stringify(root.body)).toBe(200);
      expect(root.body.status).toBe("active");
      expect(root.body.configuration.maxPathLength).toBe(2);

      const int1 = await s.api("POST", CA, { token: t, body: body(`int-${alg}`, { type: "intermediate", commonName: `Issuing ${alg}`, keyAlgorithm: alg, parentCaId: root.body.id }) });
      expect(int1.status, JSON.stringify(int1.body)).toBe(200);
      expect(int1.body.configuration.maxPathLength).toBe(1);

      const ext = await s.api("POST", CA, { token: t, body: body(`ext-${alg}`, { type: "intermediate", commonName: `Outside ${alg}`, keyAlgorithm: alg, maxPathLength: 0 }) });
      expect(ext.status, JSON.stringify(ext.body)).toBe(200);
      expect(ext.body.status).toBe("pending-certificate");
      const csr = await s.api("GET", `${CA}/${ext.body.id}/csr`, { token: t });
      expect(csr.status).toBe(200);
      expect(openssl(() => ["req", "-verify", "-noout", "-in", "r.pem"], { "r.pem": csr.body.csr }).out).toMatch(/verify OK|Certificate request self-signature verify OK/);

      const notAfter = new Date(Date.now() + 365 * 86400_000).toISOString();
      const signed = await s.api("POST", `${CA}/${int1.body.id}/sign-intermediate`, { token: t, body: { csr: csr.body.csr, notAfter, maxPathLength: 0 } });
      expect(signed.status, JSON.stringify(signed.body)).toBe(200);
      const imp = await s.api("POST", `${CA}/${ext.body.id}/import-certificate`, { token: t, body: { certificate: signed.body.certificate, certificateChain: signed.body.certificateChain } });
      expect(imp.status, JSON.stringify(imp.body)).toBe(200);
      expect(imp.body).toMatchObject({ message: "Successfully imported certificate to CA", caId: ext.body.id });
      expect(imp.body.certificateAuthority.status).toBe("active");

      const rootCert = (await s.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body;
      const int1Cert = (await s.api("GET", `${CA}/${int1.body.id}/certificate`, { token: t })).body;
      const extCert = (await s.api("GET", `${CA}/${ext.body.id}/certificate`, { token: t })).body;
      expect(rootCert.certificateChain).toBe("");
      expect(int1Cert.certificateChain).toBe(rootCert.certificate);
      expect(extCert.certificateChain).toBe(int1Cert.certificate + rootCert.certificate);

      for (const [cert, untrusted] of [
        [rootCert.certificate, ""],
        [int1Cert.certificate, ""],
        [extCert.certificate, int1Cert.certificate],
      ]) {
        const r = verifyChain(rootCert.certificate, untrusted, cert);
        expect(r.out).toContain("cert.pem: OK");
      }
      const rootText = x509Text(rootCert.certificate);
      expect(rootText).toMatch(/CA:TRUE, pathlen:2/);
      expect(rootText).toMatch(/X509v3 Basic Constraints: critical/);
      expect(rootText).toMatch(/X509v3 Key Usage: critical\s+Digital Signature, Certificate Sign, CRL Sign/);
      expect(rootText).toContain("X509v3 Subject Key Identifier");
      expect(rootText).not.toContain("X509v3 Authority Key Identifier");
      const int1Text = x509Text(int1Cert.certificate);
      expect(int1Text).toMatch(/CA:TRUE, pathlen:1/);
      expect(int1Text).toContain("X509v3 Authority Key Identifier");
      expect(int1Text).toContain("CA Issuers - URI:");
      expect(x509Text(extCert.certificate)).toMatch(/CA:TRUE, pathlen:0/);
    });
  }
});

describe("ok/ rollover", () => {
  it("renews a root with the same key and with a new key; old certificates keep verifying what they signed", async () => {
    const t = s.adminToken;
    const root = await s.api("POST", CA, { token: t, body: body("roll-root", { type: "root", commonName: "Roll Root", keyAlgorithm: "EC_prime256v1" }) });
    const int1 = await s.api("POST", CA, { token: t, body: body("roll-int", { type: "intermediate", commonName: "Roll Int", keyAlgorithm: "EC_prime256v1", parentCaId: root.body.id }) });
    const oldRoot = (await s.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body;
    const oldInt = (await s.api("GET", `${CA}/${int1.body.id}/certificate`, { token: t })).body;

    const same = await s.api("POST", `${CA}/${root.body.id}/renew`, { token: t, body: { type: "existing" } });
    expect(same.status, JSON.stringify(same.body)).toBe(200);
    const sameRoot = (await s.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body;
    expect(sameRoot.serialNumber).not.toBe(oldRoot.serialNumber);
    // Infisical's answer: the new active certificate; the CA beside it.
    expect(same.body).toMatchObject({ certificate: sameRoot.certificate, certificateChain: sameRoot.certificateChain, serialNumber: sameRoot.serialNumber });
    expect(same.body.certificateAuthority.configuration.serialNumber).toBe(sameRoot.serialNumber);
    // Same key: the old intermediate verifies under the renewed root too.
    expect(verifyChain(sameRoot.certificate, "", oldInt.certificate).out).toContain("cert.pem: OK");

    const rolled = await s.api("POST", `${CA}/${root.body.id}/renew`, { token: t, body: { type: "new" } });
    expect(rolled.status, JSON.stringify(rolled.body)).toBe(200);
    const newRoot = (await s.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body;
    const versions = (await s.api("GET", `${CA}/${root.body.id}/ca-certificates`, { token: t })).body;
    expect(versions.map((v: { version: number }) => v.version)).toEqual([3, 2, 1]);
    expect(versions.filter((v: { active: boolean }) => v.active)).toHaveLength(1);
    // Old root certificate still verifies the intermediate it signed; the new one does not.
    expect(verifyChain(versions[2].certificate, "", oldInt.certificate).out).toContain("cert.pem: OK");
    expect(verifyChain(newRoot.certificate, "", oldInt.certificate).ok).toBe(false);
    // An intermediate renewed after the rollover chains to the new root.
    const renewedInt = await s.api("POST", `${CA}/${int1.body.id}/renew`, { token: t, body: { type: "new" } });
    expect(renewedInt.status, JSON.stringify(renewedInt.body)).toBe(200);
    const newInt = (await s.api("GET", `${CA}/${int1.body.id}/certificate`, { token: t })).body;
    expect(verifyChain(newRoot.certificate, "", newInt.certificate).out).toContain("cert.pem: OK");
    // The AIA caIssuers URL serves the issuing certificate as DER without authentication.
    const aia = /CA Issuers - URI:(\S+)/.exec(x509Text(newInt.certificate))![1];
    const der = await fetch(s.url + new URL(aia).pathname);
    expect(der.status).toBe(200);
    expect(der.headers.get("content-type")).toBe("application/pkix-cert");
    const bytes = Buffer.from(await der.arrayBuffer());
    expect(bytes.toString("base64")).toBe(newRoot.certificate.replace(/-----[^-]+-----|\s/g, ""));
  });
});
