import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers/harness.js";
import * as I from "./helpers/infisical-shapes.js";
import { openssl, verifyChain } from "./helpers/openssl.js";

// Infisical's guide, step by step, with the request bodies of /work/shared/infisical-api.md as
// written there and nothing of Stamp's own spellings: a CA → a certificate policy → a profile →
// a certificate with and without a CSR → renew → revoke → the CRL at the documented public path.
const CM = "/api/v1/cert-manager";
let s: TestServer;
let tmp: string;

beforeAll(async () => {
  s = await startServer();
  tmp = mkdtempSync(path.join(os.tmpdir(), "stamp-guide-"));
});
afterAll(async () => {
  await s?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A JSON request that must answer 200. */
async function ok(method: string, p: string, body?: unknown) {
  const r = await s.api(method, p, { token: s.adminToken, body });
  expect(r.status, `${method} ${p}: ${JSON.stringify(r.body)}`).toBe(200);
  return r.body;
}

describe("Infisical's guide, walked with its own request bodies", () => {
  it("ok/ CA → policy → profile → issue (server key, then CSR) → renew → revoke → public DER CRL; every certificate and the CRL checked by openssl", async () => {
    const projectId = s.defaultProjectId;
    // Step 1: an internal root CA (docs ca/crl-distribution body).
    const ca = await ok("POST", `${CM}/ca/internal`, {
      projectId, name: "my-internal-ca",
      configuration: { type: "root", commonName: "My Root CA", keyAlgorithm: "RSA_2048", crlDistributionPointUrls: ["https://crl.example.com/internal-ca.crl"] },
    });
    expect(ca).toMatchObject({ name: "my-internal-ca", type: "internal", status: "active" });
    const rootPem = (await ok("GET", `${CM}/ca/internal/${ca.id}/certificate`)).certificate as string;

    // Step 2: a certificate policy (§1.2 body).
    const { certificatePolicy } = await ok("POST", `${CM}/certificate-policies`, {
      projectId, name: "tls-server", description: "TLS servers",
      subject: [{ type: "common_name", allowed: ["*.acme.com"] }],
      sans: [{ type: "dns_name", allowed: ["*.acme.com"] }],
      keyUsages: { allowed: ["digital_signature", "key_encipherment"] },
      extendedKeyUsages: { allowed: ["server_auth"] },
      algorithms: { signature: ["RSA-SHA256", "ECDSA-SHA256"], keyAlgorithm: ["RSA_2048", "EC_prime256v1"] },
      validity: { max: "12m" },
      basicConstraints: { isCA: "denied", maxPathLength: -1 },
    });

    // Step 3: a profile (§1.3 G2 body).
    const { certificateProfile } = await ok("POST", `${CM}/certificate-profiles`, {
      projectId, caId: ca.id, certificatePolicyId: certificatePolicy.id, slug: "web-servers", description: "web",
      enrollmentType: "api", issuerType: "ca", apiConfig: { autoRenew: false, renewBeforeDays: 7 },
      defaults: { ttlDays: 90, keyAlgorithm: "EC_prime256v1", signatureAlgorithm: "RSA-SHA256", organization: "", organizationalUnit: "", country: "", state: "", locality: "" },
    });
    expect(certificateProfile).toMatchObject({ slug: "web-servers", certificatePolicyId: certificatePolicy.id, enrollmentType: "api" });

    // Step 4a: issue with a server-made key (§2.4 body, the docs' altName spelling "DNS").
    const a = I.expectShape(I.issueResponse, await ok("POST", `${CM}/certificates`, {
      profileId: certificateProfile.id,
      attributes: { commonName: "api.acme.com", keyUsages: ["digital_signature"], extendedKeyUsages: ["server_auth"], altNames: [{ type: "DNS", value: "api.acme.com" }], signatureAlgorithm: "RSA-SHA256", keyAlgorithm: "EC_prime256v1", ttl: "90d" },
      removeRootsFromChain: false,
      metadata: [{ key: "env", value: "prod" }],
    }));
    expect(a.status).toBe("issued");
    const first = a.certificate!;
    expect(verifyChain(rootPem, first.certificateChain, first.certificate, ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");
    const text = openssl(() => ["x509", "-in", "c.pem", "-noout", "-text"], { "c.pem": first.certificate }).out;
    expect(text).toContain("DNS:api.acme.com");
    expect(text).toContain("URI:https://crl.example.com/internal-ca.crl");
    expect(I.expectShape(I.certificateRequest, await ok("GET", `${CM}/certificate-requests/${a.certificateRequestId}`)).status).toBe("issued");

    // Step 4b: sign a CSR made by openssl.
    execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(tmp, "k.pem"), "-out", path.join(tmp, "r.pem"), "-subj", "/CN=www.acme.com", "-addext", "subjectAltName=DNS:www.acme.com"], { stdio: "ignore" });
    const b = I.expectShape(I.issueResponse, await ok("POST", `${CM}/certificates`, { profileId: certificateProfile.id, csr: readFileSync(path.join(tmp, "r.pem"), "utf8"), attributes: { ttl: "30d" }, removeRootsFromChain: false }));
    expect(b.certificate!.privateKey).toBeUndefined();
    expect(verifyChain(rootPem, b.certificate!.certificateChain, b.certificate!.certificate, ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");

    // Step 5: renew (an empty body, as Infisical's UI sends it).
    const renewed = I.expectShape(I.renewResponse, await ok("POST", `${CM}/certificates/${first.certificateId}/renew`, {}));
    expect(renewed.serialNumber).not.toBe(first.serialNumber);
    expect(verifyChain(rootPem, renewed.certificateChain, renewed.certificate, ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");
    const old = I.expectShape(I.certificateEnvelope, await ok("GET", `${CM}/certificates/${first.certificateId}`)).certificate;
    expect(old.renewedByCertificateId).toBe(renewed.certificateId);

    // Step 6: revoke the CSR-signed one (CrlReason as Infisical spells it).
    const rv = I.expectShape(I.revokeResponse, await ok("POST", `${CM}/certificates/${b.certificate!.certificateId}/revoke`, { revocationReason: "KEY_COMPROMISE" }));
    expect(rv.serialNumber).toBe(b.certificate!.serialNumber);

    // Step 7: the CRL at the documented paths: [{id, crl}] for members, DER for anyone.
    const crls = (await ok("GET", `${CM}/ca/internal/${ca.id}/crls`)) as { id: string; crl: string }[];
    expect(crls.length).toBeGreaterThan(0);
    const der = await fetch(`${s.url}${CM}/crl/${crls[0].id}/der`);
    expect(der.status).toBe(200);
    const crlFile = path.join(tmp, "crl.der");
    execFileSync("bash", ["-c", `cat > ${crlFile}`], { input: Buffer.from(await der.arrayBuffer()) });
    const crlText = execFileSync("openssl", ["crl", "-inform", "DER", "-in", crlFile, "-noout", "-text"], { encoding: "utf8" });
    expect(crlText.toUpperCase()).toContain(b.certificate!.serialNumber.toUpperCase());
    expect(crlText).toContain("Key Compromise");
    expect(crlText.toUpperCase()).not.toContain(renewed.serialNumber.toUpperCase());
  });
});

describe("Infisical's deprecated G2 variants and certificate-request actions", () => {
  it("ok/ issue-certificate and sign-certificate (flat bodies) issue through the one path; cancel, trigger-validation and the GET list answer as documented", async () => {
    const projectId = s.defaultProjectId;
    const ca = await ok("POST", `${CM}/ca/internal`, { projectId, name: "legacy-ca", configuration: { type: "root", commonName: "Legacy Root", keyAlgorithm: "EC_prime256v1" } });
    const rootPem = (await ok("GET", `${CM}/ca/internal/${ca.id}/certificate`)).certificate as string;
    const { certificatePolicy } = await ok("POST", `${CM}/certificate-policies`, { projectId, name: "legacy", subject: [{ type: "common_name", allowed: ["*.legacy.test"] }], sans: [{ type: "dns_name", allowed: ["*.legacy.test"] }], validity: { max: "90d" } });
    const { certificateProfile } = await ok("POST", `${CM}/certificate-profiles`, { projectId, caId: ca.id, certificatePolicyId: certificatePolicy.id, slug: "legacy", enrollmentType: "api", issuerType: "ca", defaults: { ttlDays: 30 } });
    const issued = I.expectShape(I.renewResponse, await ok("POST", `${CM}/certificates/issue-certificate`, { profileId: certificateProfile.id, commonName: "a.legacy.test", ttl: "30d", keyUsages: ["digital_signature"], extendedKeyUsages: ["server_auth"], altNames: [{ type: "DNS", value: "a.legacy.test" }], keyAlgorithm: "EC_prime256v1", signatureAlgorithm: "ECDSA-SHA256", removeRootsFromChain: false }));
    expect(issued.privateKey).toMatch(/BEGIN PRIVATE KEY/);
    expect(verifyChain(rootPem, issued.certificateChain, issued.certificate, ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");
    execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(tmp, "k2.pem"), "-out", path.join(tmp, "r2.pem"), "-subj", "/CN=b.legacy.test", "-addext", "subjectAltName=DNS:b.legacy.test"], { stdio: "ignore" });
    const signed = I.expectShape(I.renewResponse, await ok("POST", `${CM}/certificates/sign-certificate`, { profileId: certificateProfile.id, csr: readFileSync(path.join(tmp, "r2.pem"), "utf8"), ttl: "7d", removeRootsFromChain: false }));
    expect(signed.privateKey).toBeUndefined();
    expect(verifyChain(rootPem, signed.certificateChain, signed.certificate, ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");
    // Unknown flat fields are still named.
    const bad = await s.api("POST", `${CM}/certificates/issue-certificate`, { token: s.adminToken, body: { profileId: certificateProfile.id, commonName: "c.legacy.test", colour: "blue" } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body.violations)).toContain("colour");

    // A request that ended cannot be cancelled, and has no order to validate.
    const cancel = await ok("POST", `${CM}/certificate-requests/${issued.certificateRequestId}/cancel`);
    expect(cancel).toEqual({ status: "issued", cancelled: false, errorMessage: expect.stringContaining("only a request still waiting") });
    expect(await ok("POST", `${CM}/certificate-requests/${issued.certificateRequestId}/trigger-validation`)).toEqual({ status: "issued", orderStatus: null });
    const refused = await s.api("POST", `${CM}/certificates`, { token: s.adminToken, body: { profileId: certificateProfile.id, attributes: { commonName: "x.elsewhere.test" } } });
    expect(refused.status).toBe(422);
    const listed = await ok("GET", `${CM}/certificate-requests?projectId=${projectId}&status=failed&profileIds=${certificateProfile.id}&limit=5`);
    expect(listed.totalCount).toBe(1);
    expect(listed.certificateRequests[0]).toMatchObject({ status: "failed", commonName: "x.elsewhere.test" });
    expect((await ok("POST", `${CM}/certificate-requests/${listed.certificateRequests[0].id}/cancel`)).cancelled).toBe(false);
    expect((await s.api("POST", `${CM}/certificate-requests/00000000-0000-4000-8000-000000000000/cancel`, { token: s.adminToken })).status).toBe(404);
    expect((await s.api("GET", `${CM}/certificate-requests?limit=500`, { token: s.adminToken })).status).toBe(400);
  });
});
