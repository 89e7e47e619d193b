import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers/harness.js";
import { openssl, verifyChain } from "./helpers/openssl.js";
import * as I from "./helpers/infisical-shapes.js";

// Infisical's certificate requests (/work/shared/infisical-api.md §2.4, §1.5), sent verbatim;
// every answer parsed with the documented shape, every certificate checked by openssl.
const CA = "/api/v1/cert-manager/ca/internal";
const CERTS = "/api/v1/cert-manager/certificates";
const REQUESTS = "/api/v1/cert-manager/certificate-requests";
const G1 = "/api/v1/pki/certificates";

let s: TestServer;
let tmp: string;
let t: string;
let profileId: string;
let rootPem: string;
const caName = "compat-root";
const slug = "compat-web";

beforeAll(async () => {
  s = await startServer();
  t = s.adminToken;
  tmp = mkdtempSync(path.join(os.tmpdir(), "stamp-compat-"));
  const p = s.defaultProjectId;
  const root = await s.api("POST", CA, { token: t, body: { projectId: p, name: caName, configuration: { type: "root", commonName: "Compat Root", keyAlgorithm: "EC_prime256v1" } } });
  expect(root.status, JSON.stringify(root.body)).toBe(200);
  const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: "compat", preset: "tls-server", subject: [{ type: "common_name", allowed: ["*.example.com"] }], sans: [{ type: "dns_name", allowed: ["*.example.com"] }, { type: "ip_address", allowed: ["10.0.0.0/8"] }], validity: { max: "1y" } } });
  expect(tpl.status, JSON.stringify(tpl.body)).toBe(200);
  const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug, templateId: tpl.body.certificateTemplate.id, caId: root.body.id, defaults: { ttl: "90d" } } });
  expect(prof.status, JSON.stringify(prof.body)).toBe(200);
  profileId = prof.body.certificateProfile.id;
  rootPem = (await s.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body.certificate;
});
afterAll(async () => {
  await s?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** A CSR (and its key) made by `openssl req`. */
function opensslCsr(cn: string): { csr: string; key: string } {
  const dir = mkdtempSync(path.join(tmp, "csr-"));
  execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "r.pem"), "-subj", `/CN=${cn}`, "-addext", `subjectAltName=DNS:${cn}`], { stdio: "ignore" });
  return { csr: readFileSync(path.join(dir, "r.pem"), "utf8"), key: readFileSync(path.join(dir, "k.pem"), "utf8") };
}
const verifies = (c: { certificate: string; certificateChain: string }) => expect(verifyChain(rootPem, c.certificateChain, c.certificate, ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");
const pubOfKey = (key: string) => openssl(() => ["pkey", "-in", "k.pem", "-pubout"], { "k.pem": key }).out;
const pubOfCert = (cert: string) => openssl(() => ["x509", "-in", "c.pem", "-pubkey", "-noout"], { "c.pem": cert }).out;

/** Issues with Infisical's documented body (server-made key). */
async function issue(cn: string, extra: Record<string, unknown> = {}) {
  const r = await s.api("POST", CERTS, {
    token: t,
    body: { profileId, attributes: { commonName: cn, keyUsages: ["digital_signature"], extendedKeyUsages: ["server_auth"], altNames: [{ type: "DNS", value: cn }], signatureAlgorithm: "ECDSA-SHA256", keyAlgorithm: "EC_prime256v1", ttl: "90d", basicConstraints: { isCA: false, pathLength: 0 }, domainComponents: [], customExtensions: [] }, removeRootsFromChain: false, metadata: [{ key: "env", value: "prod" }], ...extra },
  });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return I.expectShape(I.issueResponse, r.body);
}

describe("ok/ issue", () => {
  it("without a CSR: certificate, certificateRequestId and status issued; the key matches; openssl verifies", async () => {
    const r = await issue("web.example.com");
    expect(r.status).toBe("issued");
    const c = r.certificate!;
    expect(r.certificateRequestId).toBe(c.certificateId);
    verifies(c);
    expect(pubOfKey(c.privateKey!)).toBe(pubOfCert(c.certificate));
    expect(openssl(() => ["x509", "-noout", "-ext", "subjectAltName", "-in", "c.pem"], { "c.pem": c.certificate }).out).toContain("DNS:web.example.com");
  });

  it("with a CSR: subject from the CSR, no private key", async () => {
    const { csr } = opensslCsr("api.example.com");
    const r = await s.api("POST", CERTS, { token: t, body: { profileId, csr, attributes: { ttl: "30d" } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const body = I.expectShape(I.issueResponse, r.body);
    expect(body.status).toBe("issued");
    expect(body.certificate!.privateKey).toBeUndefined();
    verifies(body.certificate!);
  });

  it("altName types dns, ip, url-less IP and ttl in minutes as ms() reads it", async () => {
    const r = await s.api("POST", CERTS, { token: t, body: { profileId, attributes: { commonName: "m.example.com", altNames: [{ type: "dns", value: "m.example.com" }, { type: "ip", value: "10.1.2.3" }], ttl: "30m" } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const c = I.expectShape(I.issueResponse, r.body).certificate!;
    verifies(c);
    const x = new X509Certificate(c.certificate);
    expect(x.subjectAltName).toContain("IP Address:10.1.2.3");
    const minutes = (Date.parse(x.validTo) - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(28);
    expect(minutes).toBeLessThan(31);
  });
});

describe("ok/ read", () => {
  it("GET /:id has the computed fields of §1.5", async () => {
    const c = (await issue("read.example.com")).certificate!;
    const r = await s.api("GET", `${CERTS}/${c.certificateId}`, { token: t });
    const v = I.expectShape(I.certificateEnvelope, r.body).certificate;
    const x = new X509Certificate(c.certificate);
    expect(v.status).toBe("active");
    expect(v.subject.commonName).toBe("read.example.com");
    expect(v.altNames).toBe("read.example.com");
    expect(v.fingerprints.sha256).toBe(x.fingerprint256.replace(/:/g, "").toLowerCase());
    expect(v.fingerprintSha1).toBe(x.fingerprint.replace(/:/g, "").toLowerCase());
    expect(v.caName).toBe(caName);
    expect(v.caType).toBe("internal");
    expect(v.profileName).toBe(slug);
    expect(v.hasPrivateKey).toBe(true);
    expect(v.isCA).toBe(false);
    expect(v.signatureAlgorithm).toBe("ECDSA-SHA256");
    expect(v.metadata).toEqual([{ key: "env", value: "prod" }]);
    expect(v.serialNumber).toBe(x.serialNumber.toLowerCase().replace(/^(00)+/, ""));
  });

  it("GET /:id/certificate answers JSON, PEM to Accept: application/x-pem-file; private-key PEM uncached, JSON on request; bundle", async () => {
    const c = (await issue("get.example.com")).certificate!;
    const json = await s.api("GET", `${CERTS}/${c.certificateId}/certificate`, { token: t });
    expect(json.headers.get("content-type")).toMatch(/^application\/json/);
    expect(I.expectShape(I.certificateBody, json.body).certificate).toBe(c.certificate);
    const pem = await s.api("GET", `${CERTS}/${c.certificateId}/certificate`, { token: t, headers: { accept: "application/x-pem-file" } });
    expect(pem.headers.get("content-type")).toMatch(/^application\/x-pem-file/);
    expect(pem.body).toBe(c.certificate);
    const key = await s.api("GET", `${CERTS}/${c.certificateId}/private-key`, { token: t });
    expect(key.headers.get("content-type")).toMatch(/^application\/x-pem-file/);
    expect(key.headers.get("cache-control")).toContain("no-store");
    expect(pubOfKey(key.body as string)).toBe(pubOfCert(c.certificate));
    const keyJson = await s.api("GET", `${CERTS}/${c.certificateId}/private-key`, { token: t, headers: { accept: "application/json" } });
    expect(keyJson.body.privateKey).toBe(key.body);
    const b = I.expectShape(I.bundle, (await s.api("GET", `${CERTS}/${c.certificateId}/bundle`, { token: t })).body);
    expect(b.privateKey).toBe(key.body);
    verifies(b);
  });

  it("G1 by serial number: the certificate, its PEM and bundle", async () => {
    const c = (await issue("g1.example.com")).certificate!;
    const v = I.expectShape(I.certificateEnvelope, (await s.api("GET", `${G1}/${c.serialNumber}`, { token: t })).body).certificate;
    expect(v.id).toBe(c.certificateId);
    expect(I.expectShape(I.certificateBody, (await s.api("GET", `${G1}/${c.serialNumber.toUpperCase()}/certificate`, { token: t })).body).certificate).toBe(c.certificate);
    expect(I.expectShape(I.bundle, (await s.api("GET", `${G1}/${c.serialNumber}/bundle`, { token: t })).body).serialNumber).toBe(c.serialNumber);
  });
});

describe("ok/ certificate requests", () => {
  it("every issuance is a request: GET /certificate-requests/:id and search; a refused one is failed", async () => {
    const c = (await issue("req.example.com", { metadata: [{ key: "team", value: "req" }] })).certificate!;
    const r = I.expectShape(I.certificateRequest, (await s.api("GET", `${REQUESTS}/${c.certificateId}`, { token: t })).body);
    expect(r).toMatchObject({ status: "issued", certificateId: c.certificateId, serialNumber: c.serialNumber, certificate: c.certificate, commonName: "req.example.com", metadata: [{ key: "team", value: "req" }] });
    const refused = await s.api("POST", CERTS, { token: t, body: { profileId, attributes: { commonName: "evil.other.org" }, metadata: [{ key: "team", value: "req" }] } });
    expect(refused.status).toBe(422);
    I.expectShape(I.problem, refused.body);
    const found = I.expectShape(I.requestSearch, (await s.api("POST", `${REQUESTS}/search`, { token: t, body: { offset: 0, limit: 10, metadata: [{ key: "team", value: "req" }] } })).body);
    expect(found.totalCount).toBe(2);
    expect(found.certificateRequests.map((x) => x.status).sort()).toEqual(["failed", "issued"]);
    const failed = I.expectShape(I.requestSearch, (await s.api("POST", `${REQUESTS}/search`, { token: t, body: { status: "failed", profileIds: [profileId], search: "evil", sortOrder: "asc" } })).body);
    expect(failed.totalCount).toBe(1);
    expect(failed.certificateRequests[0]).toMatchObject({ status: "failed", certificate: null, certificateId: null, commonName: "evil.other.org" });
    expect(failed.certificateRequests[0].errorMessage).toContain("commonName");
    const none = I.expectShape(I.requestSearch, (await s.api("POST", `${REQUESTS}/search`, { token: t, body: { fromDate: "2999-01-01T00:00:00Z" } })).body);
    expect(none).toEqual({ certificateRequests: [], totalCount: 0 });
  });
});

describe("ok/ renew", () => {
  it("with no body, a null body, renewalKeySource reuse, and csr", async () => {
    const c = (await issue("renew.example.com")).certificate!;
    const noBody = await s.api("POST", `${CERTS}/${c.certificateId}/renew`, { token: t });
    expect(noBody.status, JSON.stringify(noBody.body)).toBe(200);
    const r1 = I.expectShape(I.renewResponse, noBody.body);
    verifies(r1);
    expect(r1.certificateRequestId).toBe(r1.certificateId);
    const old = I.expectShape(I.certificateEnvelope, (await s.api("GET", `${CERTS}/${c.certificateId}`, { token: t })).body).certificate;
    expect(old.renewedByCertificateId).toBe(r1.certificateId);
    expect(old.latestRenewalCertificateId).toBe(r1.certificateId);
    const fresh = I.expectShape(I.certificateEnvelope, (await s.api("GET", `${CERTS}/${r1.certificateId}`, { token: t })).body).certificate;
    expect(fresh.renewedFromCertificateId).toBe(c.certificateId);
    expect(fresh.metadata).toEqual([{ key: "env", value: "prod" }]);

    const nullBody = await s.api("POST", `${CERTS}/${r1.certificateId}/renew`, { token: t, body: null });
    expect(nullBody.status, JSON.stringify(nullBody.body)).toBe(200);
    const r2 = I.expectShape(I.renewResponse, nullBody.body);
    expect(pubOfCert(r2.certificate)).not.toBe(pubOfCert(r1.certificate));

    const reuse = await s.api("POST", `${CERTS}/${r2.certificateId}/renew`, { token: t, body: { removeRootsFromChain: false, renewalKeySource: "reuse" } });
    const r3 = I.expectShape(I.renewResponse, reuse.body);
    expect(pubOfCert(r3.certificate)).toBe(pubOfCert(r2.certificate));

    const { csr, key } = opensslCsr("renew.example.com");
    const withCsr = await s.api("POST", `${CERTS}/${r3.certificateId}/renew`, { token: t, body: { renewalKeySource: "csr", csr } });
    const r4 = I.expectShape(I.renewResponse, withCsr.body);
    verifies(r4);
    expect(pubOfCert(r4.certificate)).toBe(pubOfKey(key));
    expect(r4.privateKey).toBeUndefined();
  });

  it("an empty body with Content-Type: application/json", async () => {
    const c = (await issue("empty.example.com")).certificate!;
    const r = await s.api("POST", `${CERTS}/${c.certificateId}/renew`, { token: t, body: "" });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    verifies(I.expectShape(I.renewResponse, r.body));
  });
});

describe("ok/ metadata, config, delete", () => {
  it("PATCH {metadata} answers {metadata}; the list filters on it", async () => {
    const c = (await issue("meta.example.com")).certificate!;
    const r = await s.api("PATCH", `${CERTS}/${c.certificateId}`, { token: t, body: { metadata: [{ key: "owner", value: "team-meta" }, { key: "env", value: "staging" }] } });
    expect(I.expectShape(I.metadataResponse, r.body).metadata).toEqual([{ key: "owner", value: "team-meta" }, { key: "env", value: "staging" }]);
    const list = await s.api("GET", `${CERTS}?projectId=${s.defaultProjectId}&metadata=owner%3Dteam-meta`, { token: t });
    expect(list.status, JSON.stringify(list.body)).toBe(200);
    expect(list.body.certificates.map((x: { id: string }) => x.id)).toEqual([c.certificateId]);
    list.body.certificates.forEach((x: unknown) => I.expectShape(I.certificate, x));
    const byKey = await s.api("GET", `${CERTS}?projectId=${s.defaultProjectId}&metadata=owner&metadata=env%3Dstaging`, { token: t });
    expect(byKey.body.certificates.map((x: { id: string }) => x.id)).toEqual([c.certificateId]);
  });

  it("PATCH /:id/config {renewBeforeDays, enableAutoRenewal} answers {message, renewBeforeDays}", async () => {
    const c = (await issue("config.example.com")).certificate!;
    const r = await s.api("PATCH", `${CERTS}/${c.certificateId}/config`, { token: t, body: { renewBeforeDays: 7, enableAutoRenewal: true } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(I.expectShape(I.configResponse, r.body).renewBeforeDays).toBe(7);
    const v = I.expectShape(I.certificateEnvelope, (await s.api("GET", `${CERTS}/${c.certificateId}`, { token: t })).body).certificate;
    expect(v.renewBeforeDays).toBe(7);
    const off = await s.api("PATCH", `${CERTS}/${c.certificateId}/config`, { token: t, body: { enableAutoRenewal: false } });
    expect(I.expectShape(I.configResponse, off.body).message).toBeTruthy();
  });

  it("DELETE answers {certificate}; the certificate leaves reads and lists, and can still be revoked onto the CRL", async () => {
    const c = (await issue("delete.example.com")).certificate!;
    const d = await s.api("DELETE", `${CERTS}/${c.certificateId}`, { token: t });
    expect(d.status, JSON.stringify(d.body)).toBe(200);
    expect(I.expectShape(I.certificateEnvelope, d.body).certificate.id).toBe(c.certificateId);
    expect((await s.api("GET", `${CERTS}/${c.certificateId}`, { token: t })).status).toBe(404);
    const list = await s.api("GET", `${CERTS}?projectId=${s.defaultProjectId}&search=delete.example.com`, { token: t });
    expect(list.body.certificates).toEqual([]);
    const rev = await s.api("POST", `${G1}/${c.serialNumber}/revoke`, { token: t, body: { revocationReason: "CESSATION_OF_OPERATION" } });
    expect(rev.status, JSON.stringify(rev.body)).toBe(200);
    I.expectShape(I.revokeResponse, rev.body);
  });
});

describe("ok/ revoke", () => {
  it("by UUID, SHA-256 thumbprint, SHA-1 thumbprint and (G1) serial number; the CRL lists them", async () => {
    const certs = await Promise.all(["r1", "r2", "r3", "r4"].map(async (n) => (await issue(`${n}.example.com`)).certificate!));
    const sha = (alg: string, pem: string) => createHash(alg).update(new X509Certificate(pem).raw).digest("hex");
    const ids = [certs[0].certificateId, sha("sha256", certs[1].certificate), sha("sha1", certs[2].certificate).toUpperCase()];
    for (const [i, id] of ids.entries()) {
      const r = await s.api("POST", `${CERTS}/${id}/revoke`, { token: t, body: { revocationReason: "KEY_COMPROMISE" } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      const body = I.expectShape(I.revokeResponse, r.body);
      expect(body.serialNumber).toBe(certs[i].serialNumber);
      expect(r.body.certificate.status).toBe("revoked");
      expect(r.body.certificate.revocationReason).toBe(1);
    }
    const g1 = await s.api("POST", `${G1}/${certs[3].serialNumber}/revoke`, { token: t, body: { revocationReason: "SUPERSEDED" } });
    expect(I.expectShape(I.revokeResponse, g1.body).serialNumber).toBe(certs[3].serialNumber);
    // The CRL named in the certificate lists all four (openssl reads it).
    const cdp = /URI:(\S+)/.exec(openssl(() => ["x509", "-noout", "-ext", "crlDistributionPoints", "-in", "c.pem"], { "c.pem": certs[0].certificate }).out)![1];
    const crl = await fetch(`${s.url}${new URL(cdp).pathname}`);
    expect(crl.status).toBe(200);
    const crlPem = `-----BEGIN X509 CRL-----\n${Buffer.from(await crl.arrayBuffer()).toString("base64").replace(/.{64}/g, "$&\n")}\n-----END X509 CRL-----\n`;
    const text = openssl(() => ["crl", "-noout", "-text", "-in", "c.crl"], { "c.crl": crlPem }).out.replace(/\s+/g, "").toLowerCase();
    for (const c of certs) expect(text).toContain(`serialnumber:${c.serialNumber}`);
  });
});

/** An outside CA and a leaf it issued, made by openssl: { caPem, leafPem, keyPem, otherKeyPem }. */
function outsideCertificate(cn: string) {
  const dir = mkdtempSync(path.join(tmp, "outside-"));
  const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
  run(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Outside CA", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]);
  run(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr", "-subj", `/CN=${cn}/O=Outside Org`]);
  run(["x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "leaf.pem", "-days", "20"]);
  run(["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key"]);
  const read = (f: string) => readFileSync(path.join(dir, f), "utf8");
  return { caPem: read("ca.pem"), leafPem: read("leaf.pem"), keyPem: read("leaf.key"), otherKeyPem: read("other.key") };
}

describe("ok/ import-certificate", () => {
  it("an outside certificate with its key and chain: listed, readable, its key sealed and exportable", async () => {
    const o = outsideCertificate("outside.example.com");
    expect(openssl(() => ["verify", "-CAfile", "ca.pem", "leaf.pem"], { "ca.pem": o.caPem, "leaf.pem": o.leafPem }).out).toContain("leaf.pem: OK");
    const r = await s.api("POST", `${CERTS}/import-certificate`, { token: t, body: { projectId: s.defaultProjectId, certificatePem: o.leafPem, privateKeyPem: o.keyPem, chainPem: o.caPem, friendlyName: "outside", metadata: [{ key: "source", value: "outside" }] } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const imp = I.expectShape(I.importResponse, r.body);
    expect(imp.certificate.replace(/\s/g, "")).toBe(o.leafPem.replace(/\s/g, ""));
    const v = I.expectShape(I.certificateEnvelope, (await s.api("GET", `${CERTS}/${imp.certificateId}`, { token: t })).body).certificate;
    expect(v).toMatchObject({ commonName: "outside.example.com", subjectOrganization: "Outside Org", caId: null, caType: "external", hasPrivateKey: true, profileId: null, metadata: [{ key: "source", value: "outside" }] });
    expect(r.body.certificateChain.replace(/\s/g, "")).toBe(o.caPem.replace(/\s/g, ""));
    const key = await s.api("GET", `${CERTS}/${imp.certificateId}/private-key`, { token: t });
    expect(key.status, JSON.stringify(key.body)).toBe(200);
    expect(pubOfKey(key.body as string)).toBe(pubOfCert(o.leafPem));
    // Stamp did not issue it, so it cannot revoke it.
    expect((await s.api("POST", `${CERTS}/${imp.certificateId}/revoke`, { token: t, body: { revocationReason: "UNSPECIFIED" } })).status).toBe(409);
    // It is no certificate request.
    expect((await s.api("GET", `${REQUESTS}/${imp.certificateId}`, { token: t })).status).toBe(404);
  });

  it("attached to a profile, without a key", async () => {
    const o = outsideCertificate("attached.example.com");
    const r = await s.api("POST", `${CERTS}/import-certificate`, { token: t, body: { certificatePem: o.leafPem, profileId } });
    const imp = I.expectShape(I.importResponse, r.body);
    const v = I.expectShape(I.certificateEnvelope, (await s.api("GET", `${CERTS}/${imp.certificateId}`, { token: t })).body).certificate;
    expect(v).toMatchObject({ profileId, profileName: slug, hasPrivateKey: false, projectId: s.defaultProjectId });
  });
});

describe("fail/ bad input: problem+json with every violation, never a 500", () => {
  const violations = (r: { body: unknown }) => I.expectShape(I.problem, r.body).violations ?? [];
  const fields = (r: { body: unknown }) => violations(r).map((v) => v.field).sort();

  it("issue: unknown fields are named; bad altName types and metadata are listed together", async () => {
    const r = await s.api("POST", CERTS, { token: t, body: { profileId, applicationId: "nope", attributes: { commonName: "x.example.com", colour: "red", altNames: [{ type: "SRV", value: "x" }] }, metadata: [{ key: "", value: "v" }] } });
    expect(r.status).toBe(400);
    expect(fields(r)).toEqual(expect.arrayContaining(["applicationId", "attributes.colour", "attributes.altNames.0.type", "metadata.0.key"]));
  });

  it("issue: Infisical's CA and extension attributes only in their neutral form", async () => {
    const r = await s.api("POST", CERTS, { token: t, body: { profileId, attributes: { commonName: "ca.example.com", basicConstraints: { isCA: true, pathLength: 1 }, domainComponents: ["example"], customExtensions: [{ oid: "1.2.3", value: "x", critical: false }] } } });
    expect(r.status).toBe(400);
    expect(fields(r)).toEqual(["attributes.basicConstraints.isCA", "attributes.customExtensions", "attributes.domainComponents"]);
  });

  it("renew: csr without renewalKeySource csr, csr source without csr, unknown fields", async () => {
    const c = (await issue("badrenew.example.com")).certificate!;
    const a = await s.api("POST", `${CERTS}/${c.certificateId}/renew`, { token: t, body: { renewalKeySource: "csr" } });
    expect(a.status).toBe(400);
    expect(fields(a)).toEqual(["csr"]);
    const b = await s.api("POST", `${CERTS}/${c.certificateId}/renew`, { token: t, body: { renewalKeySource: "reuse", csr: "x", attributes: {} } });
    expect(b.status).toBe(400);
    expect(fields(b)).toEqual(expect.arrayContaining(["attributes", "renewalKeySource"]));
    const notJson = await s.api("POST", `${CERTS}/${c.certificateId}/renew`, { token: t, body: "{" });
    expect(notJson.status).toBe(400);
  });

  it("config, revoke, search and import refuse out-of-range values with problem+json", async () => {
    const c = (await issue("badcfg.example.com")).certificate!;
    const cfg = await s.api("PATCH", `${CERTS}/${c.certificateId}/config`, { token: t, body: { renewBeforeDays: 31, enableAutoRenewal: "yes" } });
    expect(cfg.status).toBe(400);
    expect(fields(cfg)).toEqual(["enableAutoRenewal", "renewBeforeDays"]);
    const both = await s.api("PATCH", `${CERTS}/${c.certificateId}/config`, { token: t, body: { renewBeforeDays: 5, enableAutoRenewal: false } });
    expect(both.status).toBe(400);
    expect(fields(both)).toEqual(["renewBeforeDays"]);
    const rev = await s.api("POST", `${CERTS}/not-a-thumbprint/revoke`, { token: t, body: { revocationReason: "UNSPECIFIED" } });
    expect(rev.status).toBe(400);
    expect(fields(rev)).toEqual(["params.id"]);
    const reason = await s.api("POST", `${CERTS}/${c.certificateId}/revoke`, { token: t, body: { revocationReason: "BORED", invalidityDate: "soon" } });
    expect(reason.status).toBe(400);
    expect([...new Set(fields(reason))]).toEqual(["invalidityDate", "revocationReason"]);
    const unknownThumb = await s.api("POST", `${CERTS}/${"ab".repeat(32)}/revoke`, { token: t, body: { revocationReason: "UNSPECIFIED" } });
    expect(unknownThumb.status).toBe(404);
    const search = await s.api("POST", `${REQUESTS}/search`, { token: t, body: { limit: 101, status: "done", fromDate: "yesterday", profileIds: ["x"] } });
    expect(search.status).toBe(400);
    expect(fields(search)).toEqual(["fromDate", "limit", "profileIds.0", "status"]);
    const g1 = await s.api("GET", `${G1}/zz-top`, { token: t });
    expect(g1.status).toBe(400);
    expect((await s.api("GET", `${G1}/abcdef0123456789`, { token: t })).status).toBe(404);
    expect((await s.api("GET", `${REQUESTS}/${"0".repeat(8)}-0000-4000-8000-${"0".repeat(12)}`, { token: t })).status).toBe(404);
  });

  it("import: garbage PEM, a key of another certificate, a CA certificate", async () => {
    const o = outsideCertificate("badimport.example.com");
    const garbage = await s.api("POST", `${CERTS}/import-certificate`, { token: t, body: { projectId: s.defaultProjectId, certificatePem: "hello" } });
    expect(garbage.status).toBe(422);
    expect(violations(garbage).map((v) => `${v.field}:${v.code}`)).toEqual(["certificatePem:unparseable"]);
    const mismatch = await s.api("POST", `${CERTS}/import-certificate`, { token: t, body: { projectId: s.defaultProjectId, certificatePem: o.leafPem, privateKeyPem: o.otherKeyPem } });
    expect(mismatch.status).toBe(422);
    expect(violations(mismatch).map((v) => `${v.field}:${v.code}`)).toEqual(["privateKeyPem:key_mismatch"]);
    const ca = await s.api("POST", `${CERTS}/import-certificate`, { token: t, body: { projectId: s.defaultProjectId, certificatePem: o.caPem } });
    expect(ca.status).toBe(422);
    const noProject = await s.api("POST", `${CERTS}/import-certificate`, { token: t, body: { certificatePem: o.leafPem, pkiCollectionId: "x" } });
    expect(noProject.status).toBe(400);
    expect(fields(noProject)).toEqual(["pkiCollectionId"]);
  });
});
