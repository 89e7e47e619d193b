import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { startServer, type TestServer } from "./helpers/harness.js";
import { openssl, verifyChain, x509Text } from "./helpers/openssl.js";
import { AcmeClient } from "./helpers/acme-client.js";

// Infisical's documented requests for CAs, certificate policies, certificate profiles and CRLs
// (../shared/infisical-api.md §2.1, §2.2, §2.3, §2.5, §2.6 directory aliases), sent verbatim;
// every documented response field is checked with its documented type by the zod schemas below
// (the documented shapes, not Stamp's contract), and the bad inputs list every violation.

const CM = "/api/v1/cert-manager";
const CA = `${CM}/ca/internal`;
const POLICIES = `${CM}/certificate-policies`;
const PROFILES = `${CM}/certificate-profiles`;

// ---- Infisical's documented shapes ----
const iso = z.string().refine((s) => !Number.isNaN(Date.parse(s)), "an ISO date");
const pem = (label: string) => z.string().startsWith(`-----BEGIN ${label}-----`);
const CaShape = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  name: z.string(),
  status: z.enum(["active", "disabled", "pending-certificate"]),
  enableDirectIssuance: z.boolean(),
  type: z.literal("internal"),
  configuration: z.object({
    type: z.enum(["root", "intermediate"]),
    commonName: z.string(),
    keyAlgorithm: z.string(),
    maxPathLength: z.number().int(),
    dn: z.string(),
    serialNumber: z.string().nullable(),
    notBefore: iso.nullable(),
    notAfter: iso.nullable(),
    activeCaCertId: z.uuid().nullable(),
    parentCaId: z.uuid().nullable(),
    crlDistributionPointUrls: z.array(z.string()),
    isOcspEnabled: z.boolean(),
  }),
});
const CertShape = z.object({ certificate: pem("CERTIFICATE"), certificateChain: z.string(), serialNumber: z.string().regex(/^[0-9a-f]+$/) });
const RuleLists = z.object({ allowed: z.array(z.string()).optional(), required: z.array(z.string()).optional(), denied: z.array(z.string()).optional() });
const PolicyShape = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  name: z.string(),
  description: z.string(),
  subject: z.array(RuleLists.extend({ type: z.enum(["common_name", "organization", "organizational_unit", "country", "state", "locality"]) })),
  sans: z.array(RuleLists.extend({ type: z.enum(["dns_name", "ip_address", "email", "uri"]) })),
  keyUsages: RuleLists,
  extendedKeyUsages: RuleLists,
  algorithms: z.object({ signature: z.array(z.string()).optional(), keyAlgorithm: z.array(z.string()).optional() }),
  validity: z.object({ max: z.string().regex(/^\d+[dhmy]$/).optional() }),
  basicConstraints: z.object({ isCA: z.enum(["allowed", "required", "denied"]).optional(), maxPathLength: z.number().int().optional() }),
  createdAt: iso,
  updatedAt: iso,
});
const ProfileShape = z.object({
  id: z.uuid(),
  projectId: z.uuid(),
  slug: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string(),
  caId: z.uuid().nullable(),
  certificatePolicyId: z.uuid(),
  enrollmentType: z.enum(["api", "est", "acme"]),
  issuerType: z.enum(["ca", "self-signed"]),
  estConfigId: z.uuid().nullable(),
  apiConfigId: z.uuid().nullable(),
  acmeConfigId: z.uuid().nullable(),
  externalConfigs: z.unknown().nullable(),
  defaultTtlDays: z.number().int().nullable(),
  createdAt: iso,
  updatedAt: iso,
});
const ProfileDetailShape = ProfileShape.extend({
  certificateAuthority: z.object({ id: z.uuid(), projectId: z.uuid(), status: z.string(), name: z.string(), isExternal: z.boolean(), externalType: z.string().nullable() }),
  certificatePolicy: z.object({ id: z.uuid(), projectId: z.uuid(), name: z.string(), description: z.string() }),
  estConfig: z.null(),
  apiConfig: z.object({ autoRenew: z.boolean(), renewBeforeDays: z.number().int().nullable() }),
  acmeConfig: z.object({ directoryUrl: z.url(), skipDnsOwnershipVerification: z.boolean(), skipEabBinding: z.boolean() }).nullable(),
});
const Metrics = z.object({ totalCertificates: z.number().int(), activeCertificates: z.number().int(), expiredCertificates: z.number().int(), expiringCertificates: z.number().int(), revokedCertificates: z.number().int() });
const ProfileCert = z.object({ id: z.uuid(), serialNumber: z.string(), cn: z.string(), status: z.enum(["active", "expired", "revoked"]), notBefore: iso, notAfter: iso, revokedAt: iso.nullable(), createdAt: iso });
const Violations = (res: { status: number; headers: Headers; body: any }) => {
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  return (res.body.violations as { field: string; code: string }[]).map((v) => `${v.field}:${v.code}`).sort();
};

let s: TestServer;
let t: string;
let p: string;
/** A 200 answer's body, parsed with the documented shape. */
async function ok<T extends z.ZodType>(shape: T, method: string, path: string, body?: unknown, status = 200): Promise<z.infer<T>> {
  const r = await s.api(method, path, { token: t, body });
  expect(r.status, `${method} ${path}: ${JSON.stringify(r.body)}`).toBe(status);
  const parsed = shape.safeParse(r.body);
  expect(parsed.success, `${method} ${path}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
  return parsed.data as z.infer<T>;
}
const ids: Record<string, string> = {};
/** An unauthenticated request whose answer is bytes (DER), over the server's TLS; `body` is posted as `type`. */
async function getBytes(path: string, post?: { body: Buffer; type: string }): Promise<{ status: number; type: string; bytes: Buffer }> {
  const https = await import("node:https");
  return new Promise((resolve, reject) => {
    const headers = post ? { "content-type": post.type, "content-length": String(post.body.length) } : {};
    const req = https.request(s.url + path, { method: post ? "POST" : "GET", headers, ca: readFileSync(s.tlsCaFile, "utf8"), timeout: 30_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), bytes: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end(post?.body);
  });
}

beforeAll(async () => {
  s = await startServer({ tls: true });
  t = s.adminToken;
  p = s.defaultProjectId;
});
afterAll(async () => s?.close());

describe("ok/ §2.1 certificate authorities", () => {
  it("POST …/ca/internal with the docs' crl-distribution body: CA shape; the URL is stored", async () => {
    const body = { projectId: p, name: "my-internal-ca", configuration: { type: "root", commonName: "My Root CA", keyAlgorithm: "RSA_2048", crlDistributionPointUrls: ["https://crl.example.com/internal-ca.crl"] } };
    const ca = await ok(CaShape, "POST", CA, body);
    expect(ca).toMatchObject({ name: "my-internal-ca", status: "active", enableDirectIssuance: false, type: "internal", configuration: { type: "root", commonName: "My Root CA", keyAlgorithm: "RSA_2048", crlDistributionPointUrls: ["https://crl.example.com/internal-ca.crl"], isOcspEnabled: true } });
    ids.root = ca.id;
    expect((await ok(CaShape, "GET", `${CA}/${ca.id}`)).id).toBe(ca.id);
    expect((await ok(z.array(CaShape), "GET", `${CA}?projectId=${p}`)).map((c) => c.id)).toContain(ca.id);
    const all = await ok(z.object({ certificateAuthorities: z.array(CaShape) }), "GET", `${CM}/ca?projectId=${p}`);
    expect(all.certificateAuthorities.map((c) => c.id)).toContain(ca.id);
    expect(await ok(z.array(CaShape), "GET", `${CM}/ca/acme?projectId=${p}`)).toEqual([]);
  });
  it("PATCH { status, configuration } and DELETE answer the CA", async () => {
    const ca = await ok(CaShape, "POST", CA, { projectId: p, name: "short-lived", configuration: { type: "root", commonName: "Short", keyAlgorithm: "EC_prime256v1" } });
    const patched = await ok(CaShape, "PATCH", `${CA}/${ca.id}`, { status: "disabled", configuration: { crlDistributionPointUrls: ["http://mirror.example.com/x.crl"], isOcspEnabled: false } });
    expect(patched).toMatchObject({ status: "disabled", configuration: { crlDistributionPointUrls: ["http://mirror.example.com/x.crl"], isOcspEnabled: false } });
    expect((await ok(CaShape, "DELETE", `${CA}/${ca.id}`)).id).toBe(ca.id);
    expect((await s.api("GET", `${CA}/${ca.id}`, { token: t })).status).toBe(404);
  });
  it("csr → sign-intermediate → import-certificate → certificate, ca-certificates, renew: the documented answers", async () => {
    const ext = await ok(CaShape, "POST", CA, { projectId: p, name: "outside-int", configuration: { type: "intermediate", commonName: "Outside Int", keyAlgorithm: "EC_prime256v1", maxPathLength: 0 } });
    const { csr } = await ok(z.object({ csr: pem("CERTIFICATE REQUEST") }), "GET", `${CA}/${ext.id}/csr`);
    const notAfter = new Date(Date.now() + 365 * 86400_000).toISOString();
    const signed = await ok(CertShape.extend({ issuingCaCertificate: pem("CERTIFICATE") }), "POST", `${CA}/${ids.root}/sign-intermediate`, { csr, notAfter, maxPathLength: 0 });
    const imported = await ok(z.object({ message: z.string(), caId: z.uuid() }), "POST", `${CA}/${ext.id}/import-certificate`, { certificate: signed.certificate, certificateChain: signed.certificateChain });
    expect(imported.caId).toBe(ext.id);
    const cur = await ok(CertShape, "GET", `${CA}/${ext.id}/certificate`);
    expect(cur.serialNumber).toBe(signed.serialNumber);
    const versions = await ok(z.array(CertShape.extend({ version: z.number().int() })), "GET", `${CA}/${ext.id}/ca-certificates`);
    expect(versions.map((v) => v.version)).toEqual([1]);
    const renewed = await ok(CertShape, "POST", `${CA}/${ids.root}/renew`, { type: "existing", notAfter: new Date(Date.now() + 5 * 365 * 86400_000).toISOString() });
    expect(renewed.serialNumber).toBe((await ok(CertShape, "GET", `${CA}/${ids.root}/certificate`)).serialNumber);
    expect(verifyChain(renewed.certificate, "", renewed.certificate).out).toContain("cert.pem: OK");
  });
  it("GET …/ca/internal/:caId/certificates/:caCertId/der: unauthenticated application/pkix-cert", async () => {
    const ca = await ok(CaShape, "GET", `${CA}/${ids.root}`);
    const r = await getBytes(`${CA}/${ids.root}/certificates/${ca.configuration.activeCaCertId}/der`);
    expect(r.status).toBe(200);
    expect(r.type).toBe("application/pkix-cert");
    const { certificate } = await ok(CertShape, "GET", `${CA}/${ids.root}/certificate`);
    expect(r.bytes.toString("base64")).toBe(certificate.replace(/-----[^-]+-----|\s/g, ""));
    // Another CA's id with this certificate id: not found.
    expect((await s.api("GET", `${CA}/${crypto.randomUUID()}/certificates/${ca.configuration.activeCaCertId}/der`, { token: null })).status).toBe(404);
  });
});

describe("ok/ §2.2 certificate policies (and the template aliases)", () => {
  const policyBody = () => ({
    projectId: p,
    name: "tls-server",
    description: "TLS servers of acme.com",
    subject: [{ type: "common_name", allowed: ["*.acme.com"] }],
    sans: [{ type: "dns_name", allowed: ["*.acme.com"], required: [], denied: [] }],
    keyUsages: { allowed: ["digital_signature", "key_encipherment"], required: ["digital_signature"], denied: [] },
    extendedKeyUsages: { allowed: ["server_auth"], required: [], denied: [] },
    algorithms: { signature: ["RSA-SHA256", "ECDSA-SHA256"], keyAlgorithm: ["RSA_2048", "EC_prime256v1"] },
    validity: { max: "365d" },
    basicConstraints: { isCA: "denied", maxPathLength: -1 },
  });
  it("POST / → { certificatePolicy } with every documented field", async () => {
    const { certificatePolicy } = await ok(z.object({ certificatePolicy: PolicyShape }), "POST", POLICIES, policyBody());
    expect(certificatePolicy).toMatchObject({ name: "tls-server", validity: { max: "365d" }, basicConstraints: { isCA: "denied", maxPathLength: -1 }, sans: [{ type: "dns_name", allowed: ["*.acme.com"] }] });
    ids.policy = certificatePolicy.id;
  });
  it('"12m" (months, as Infisical means it) and the SAN types DNS/dns/ip/url are accepted, read as Stamp\'s names', async () => {
    const body = { ...policyBody(), name: "yearly", validity: { max: "12m" }, sans: [{ type: "DNS", allowed: ["*.acme.com"] }, { type: "ip", allowed: ["10.0.0.0/8"] }, { type: "url", allowed: ["spiffe://acme.com/*"] }] };
    const { certificatePolicy } = await ok(z.object({ certificatePolicy: PolicyShape }), "POST", POLICIES, body);
    expect(certificatePolicy.validity.max).toBe("12m");
    expect(certificatePolicy.sans.map((x) => x.type)).toEqual(["dns_name", "ip_address", "uri"]);
    ids.yearly = certificatePolicy.id;
    const dns = await ok(z.object({ certificatePolicy: PolicyShape }), "POST", POLICIES, { projectId: p, name: "legacy-dns", sans: [{ type: "dns", allowed: ["*.acme.com"] }] });
    expect(dns.certificatePolicy.sans[0].type).toBe("dns_name");
  });
  it("GET /?offset&limit&search → { certificatePolicies, totalCount }; GET /:id; PATCH partial; DELETE", async () => {
    const page = await ok(z.object({ certificatePolicies: z.array(PolicyShape), totalCount: z.number().int() }), "GET", `${POLICIES}?projectId=${p}&offset=0&limit=1&search=tls`);
    expect(page.totalCount).toBe(1);
    expect(page.certificatePolicies.map((x) => x.name)).toEqual(["tls-server"]);
    const all = await ok(z.object({ certificatePolicies: z.array(PolicyShape), totalCount: z.number().int() }), "GET", `${POLICIES}?projectId=${p}&offset=1&limit=100`);
    expect(all.totalCount).toBe(3);
    expect(all.certificatePolicies).toHaveLength(2);
    expect((await ok(z.object({ certificatePolicy: PolicyShape }), "GET", `${POLICIES}/${ids.policy}`)).certificatePolicy.id).toBe(ids.policy);
    const patched = await ok(z.object({ certificatePolicy: PolicyShape }), "PATCH", `${POLICIES}/${ids.yearly}`, { validity: { max: "6m" } });
    expect(patched.certificatePolicy).toMatchObject({ validity: { max: "6m" }, keyUsages: { allowed: ["digital_signature", "key_encipherment"] } });
    const gone = await ok(z.object({ certificatePolicy: PolicyShape }), "DELETE", `${POLICIES}/${ids.yearly}`);
    expect(gone.certificatePolicy.id).toBe(ids.yearly);
    // The same object under Stamp's and Infisical's v2 template paths.
    expect((await ok(z.object({ certificateTemplate: PolicyShape }), "GET", `${CM}/certificate-templates/${ids.policy}`)).certificateTemplate.name).toBe("tls-server");
    expect((await ok(z.object({ certificateTemplate: PolicyShape }), "GET", `/api/v2/certificate-templates/${ids.policy}`)).certificateTemplate.name).toBe("tls-server");
  });
  it('"12m" bounds lifetimes at 365 days: a 1y default fits, 400d does not', async () => {
    const pol = await ok(z.object({ certificatePolicy: PolicyShape }), "POST", POLICIES, { projectId: p, name: "months", validity: { max: "12m" } });
    const base = { projectId: p, certificatePolicyId: pol.certificatePolicy.id, caId: ids.root, enrollmentType: "api" };
    await ok(z.object({ certificateProfile: ProfileShape }), "POST", PROFILES, { ...base, slug: "months-ok", defaults: { ttlDays: 365 } });
    const tooLong = await s.api("POST", PROFILES, { token: t, body: { ...base, slug: "months-long", defaults: { ttlDays: 400 } } });
    expect(tooLong.status).toBe(422);
    expect(Violations(tooLong)).toEqual(["defaults.ttl:validity_too_long"]);
  });
});

describe("ok/ §2.3 certificate profiles, §2.5 CRLs, §2.6 ACME directory aliases", () => {
  const issue = async (cn: string) => {
    const r = await s.api("POST", `${CM}/certificates`, { token: t, body: { profileId: ids.profile, attributes: { commonName: cn, altNames: [{ type: "DNS", value: cn }] } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.certificate as { certificate: string; certificateId: string; serialNumber: string; certificateChain: string };
  };
  it("POST / with the documented G2 body (enrollmentType api, defaults.ttlDays, empty-string defaults) → { certificateProfile }", async () => {
    const body = {
      projectId: p, caId: ids.root, certificatePolicyId: ids.policy, slug: "web-servers", description: "the web servers",
      enrollmentType: "api", issuerType: "ca",
      apiConfig: { autoRenew: false, renewBeforeDays: 7 },
      externalConfigs: {},
      defaults: { ttlDays: 90, commonName: "web.acme.com", keyAlgorithm: "RSA_2048", signatureAlgorithm: "RSA-SHA256", keyUsages: [], extendedKeyUsages: [], basicConstraints: { isCA: false, pathLength: 0 }, organization: "", organizationalUnit: "", country: "", state: "", locality: "" },
    };
    const { certificateProfile } = await ok(z.object({ certificateProfile: ProfileShape }), "POST", PROFILES, body);
    expect(certificateProfile).toMatchObject({ slug: "web-servers", caId: ids.root, certificatePolicyId: ids.policy, enrollmentType: "api", issuerType: "ca", defaultTtlDays: 90 });
    ids.profile = certificateProfile.id;
  });
  it("GET /:id and GET /slug/:slug?projectId= → the profile with its CA, policy and configs; also under /api/v1/pki", async () => {
    const { certificateProfile } = await ok(z.object({ certificateProfile: ProfileDetailShape }), "GET", `${PROFILES}/${ids.profile}`);
    expect(certificateProfile).toMatchObject({ certificateAuthority: { id: ids.root, name: "my-internal-ca", isExternal: false }, certificatePolicy: { id: ids.policy, name: "tls-server" }, apiConfig: { autoRenew: false, renewBeforeDays: 7 }, acmeConfig: null });
    expect((await ok(z.object({ certificateProfile: ProfileDetailShape }), "GET", `${PROFILES}/slug/web-servers?projectId=${p}`)).certificateProfile.id).toBe(ids.profile);
    expect((await ok(z.object({ certificateProfile: ProfileDetailShape }), "GET", `/api/v1/pki/certificate-profiles/${ids.profile}`)).certificateProfile.id).toBe(ids.profile);
    expect((await s.api("GET", `${PROFILES}/slug/no-such?projectId=${p}`, { token: t })).status).toBe(404);
  });
  it("issued certificates carry the CA's extra CRL distribution point beside Stamp's (openssl)", async () => {
    const c = await issue("web.acme.com");
    const text = x509Text(c.certificate);
    expect(text).toMatch(/CRL Distribution Points:[\s\S]*URI:https?:\/\/\S+\/api\/v1\/cert-manager\/crl\/[0-9a-f-]{36}\s[\s\S]*URI:https:\/\/crl\.example\.com\/internal-ca\.crl/);
    expect(text).toContain("OCSP - URI:");
    const root = (await ok(CertShape, "GET", `${CA}/${ids.root}/certificate`)).certificate;
    expect(verifyChain(root, c.certificateChain, c.certificate, ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");
    ids.cert1 = c.certificateId;
  });
  it("GET /:id/certificates?offset&limit&status&search and the metrics; latest-active-bundle", async () => {
    const second = await issue("api.acme.com");
    const r = await s.api("POST", `${CM}/certificates/${ids.cert1}/revoke`, { token: t, body: { revocationReason: "SUPERSEDED" } });
    expect(r.status).toBe(200);
    const Page = z.object({ certificates: z.array(ProfileCert), totalCount: z.number().int(), metrics: Metrics });
    const all = await ok(Page, "GET", `${PROFILES}/${ids.profile}/certificates?offset=0&limit=10`);
    expect(all.certificates.map((c) => c.cn)).toEqual(["api.acme.com", "web.acme.com"]);
    expect(all.metrics).toEqual({ totalCertificates: 2, activeCertificates: 1, expiredCertificates: 0, expiringCertificates: 0, revokedCertificates: 1 });
    const revoked = await ok(Page, "GET", `${PROFILES}/${ids.profile}/certificates?status=revoked`);
    expect(revoked.certificates.map((c) => [c.cn, c.status, typeof c.revokedAt])).toEqual([["web.acme.com", "revoked", "string"]]);
    expect((await ok(Page, "GET", `${PROFILES}/${ids.profile}/certificates?search=api.acme&offset=0&limit=1`)).certificates.map((c) => c.id)).toEqual([second.certificateId]);
    expect((await ok(Page, "GET", `${PROFILES}/${ids.profile}/certificates?offset=1&limit=1`)).certificates.map((c) => c.cn)).toEqual(["web.acme.com"]);
    const Bundle = z.object({ certificate: pem("CERTIFICATE"), certificateChain: z.string(), privateKey: pem("PRIVATE KEY"), serialNumber: z.string() });
    const bundle = await ok(Bundle, "GET", `${PROFILES}/${ids.profile}/certificates/latest-active-bundle`);
    expect(bundle.serialNumber).toBe(second.serialNumber);
    expect(openssl(() => ["pkey", "-in", "k.pem", "-pubout"], { "k.pem": bundle.privateKey }).out).toBe(openssl(() => ["x509", "-in", "c.pem", "-pubkey", "-noout"], { "c.pem": bundle.certificate }).out);
    const list = await ok(z.object({ certificateProfiles: z.array(ProfileShape.extend({ metrics: Metrics })), totalCount: z.number().int() }), "GET", `${PROFILES}?projectId=${p}&offset=0&limit=10&search=web&enrollmentType=api&issuerType=ca&caId=${ids.root}`);
    expect(list.totalCount).toBe(1);
    expect(list.certificateProfiles[0].metrics.totalCertificates).toBe(2);
    // Renewed: the old certificate still reads active (Infisical's status) until it expires.
    const renewed = await s.api("POST", `${CM}/certificates/${second.certificateId}/renew`, { token: t, body: {} });
    expect(renewed.status, JSON.stringify(renewed.body)).toBe(200);
    const after = await ok(Page, "GET", `${PROFILES}/${ids.profile}/certificates?status=active`);
    expect(after.certificates.map((c) => c.id)).toEqual([renewed.body.certificateId, second.certificateId]);
    expect(after.metrics).toMatchObject({ totalCertificates: 3, activeCertificates: 2, revokedCertificates: 1 });
    expect((await ok(Page, "GET", `${PROFILES}/${ids.profile}/certificates?status=renewed`)).certificates.map((c) => [c.id, c.status])).toEqual([[second.certificateId, "active"]]);
    expect((await ok(Bundle, "GET", `${PROFILES}/${ids.profile}/certificates/latest-active-bundle`)).serialNumber).toBe(renewed.body.serialNumber);
  });
  it("latest-active-bundle of a profile without certificates: every field null", async () => {
    const empty = await ok(z.object({ certificateProfile: ProfileShape }), "POST", PROFILES, { projectId: p, caId: ids.root, certificatePolicyId: ids.policy, slug: "empty", enrollmentType: "api" });
    const b = await ok(z.object({ certificate: z.null(), certificateChain: z.null(), privateKey: z.null(), serialNumber: z.null() }), "GET", `${PROFILES}/${empty.certificateProfile.id}/certificates/latest-active-bundle`);
    expect(b.certificate).toBeNull();
  });
  it("PATCH partial (defaultTtlDays) and DELETE → { certificateProfile }", async () => {
    const { certificateProfile } = await ok(z.object({ certificateProfile: ProfileShape.extend({ defaults: z.record(z.string(), z.unknown()) }) }), "PATCH", `${PROFILES}/${ids.profile}`, { defaultTtlDays: 30, description: "renamed", defaults: { altNames: [{ type: "DNS", value: "web.acme.com" }] } });
    expect(certificateProfile).toMatchObject({ defaultTtlDays: 30, description: "renamed", certificatePolicyId: ids.policy, defaults: { ttl: "30d", altNames: [{ type: "dns_name", value: "web.acme.com" }] } });
    const spare = await ok(z.object({ certificateProfile: ProfileShape }), "GET", `${PROFILES}/slug/empty?projectId=${p}`);
    expect((await ok(z.object({ certificateProfile: ProfileShape }), "DELETE", `${PROFILES}/${spare.certificateProfile.id}`)).certificateProfile.slug).toBe("empty");
  });
  it("enrollmentType acme really enables ACME: the directory at all three URLs; the revealed EAB secret binds an account", async () => {
    const body = { projectId: p, caId: ids.root, certificatePolicyId: ids.policy, slug: "acme-servers", enrollmentType: "acme", issuerType: "ca", acmeConfig: { skipDnsOwnershipVerification: false, skipEabBinding: false } };
    const { certificateProfile } = await ok(z.object({ certificateProfile: ProfileDetailShape }), "POST", PROFILES, body);
    expect(certificateProfile).toMatchObject({ enrollmentType: "acme", acmeConfig: { skipEabBinding: false, skipDnsOwnershipVerification: false } });
    const id = certificateProfile.id;
    const Directory = z.object({ newNonce: z.url(), newAccount: z.url(), newOrder: z.url(), meta: z.object({ externalAccountRequired: z.literal(true) }) });
    for (const path of [`/api/v1/pki/acme/profiles/${id}/directory`, `${PROFILES}/${id}/acme/directory`, new URL(certificateProfile.acmeConfig!.directoryUrl).pathname]) {
      const d = await ok(Directory, "GET", path);
      expect(d.newAccount).toBe(`${s.url}${CM}/acme/profiles/${id}/new-account`);
    }
    const Reveal = z.object({ eabKid: z.string().min(1), eabSecret: z.string().min(32) });
    const first = await ok(Reveal, "GET", `${PROFILES}/${id}/acme/eab-secret/reveal`);
    expect(await ok(Reveal, "GET", `${PROFILES}/${id}/acme/eab-secret/reveal`)).toMatchObject(first);
    const acme = new AcmeClient(`${s.url}/api/v1/pki/acme/profiles/${id}/directory`, { ca: readFileSync(s.tlsCaFile, "utf8") });
    await acme.init();
    const acct = await acme.newAccount({ contact: ["mailto:ops@acme.com"] }, { keyId: first.eabKid, hmacKey: first.eabSecret });
    expect(acct.status, acct.text).toBe(201);
    // Used: the next reveal is a new key (a Stamp EAB key binds one account).
    expect((await ok(Reveal, "GET", `${PROFILES}/${id}/acme/eab-secret/reveal`)).eabKid).not.toBe(first.eabKid);
    const patched = await ok(z.object({ certificateProfile: ProfileDetailShape }), "PATCH", `${PROFILES}/${id}`, { acmeConfig: { skipEabBinding: true } });
    expect(patched.certificateProfile.acmeConfig).toMatchObject({ skipEabBinding: true });
    expect((await ok(z.object({ meta: z.object({ externalAccountRequired: z.literal(false) }) }), "GET", `${PROFILES}/${id}/acme/directory`)).meta.externalAccountRequired).toBe(false);
  });
  it("§2.5: /ca/internal/:id/crls → [{ id, crl }]; GET /crl/{id}/der is the public DER CRL (openssl verifies it); GET /crl/:caId/crl → { crl }", async () => {
    const crls = await ok(z.array(z.object({ id: z.string(), crl: pem("X509 CRL") })), "GET", `${CA}/${ids.root}/crls`);
    expect(crls).toHaveLength(1);
    const der = await getBytes(`${CM}/crl/${crls[0].id}/der`);
    // The revoked certificate of the profile is on it.
    expect(openssl(() => ["crl", "-in", "c.pem", "-noout", "-text"], { "c.pem": crls[0].crl }).out).toMatch(/Revoked Certificates:[\s\S]*Serial Number/);
    expect(der.status).toBe(200);
    expect(der.type).toBe("application/pkix-crl");
    expect(der.bytes.toString("base64")).toBe(crls[0].crl.replace(/-----[^-]+-----|\s/g, ""));
    const root = (await ok(CertShape, "GET", `${CA}/${ids.root}/certificate`)).certificate;
    expect(openssl(() => ["crl", "-in", "c.pem", "-CAfile", "ca.pem", "-noout"], { "c.pem": crls[0].crl, "ca.pem": root }).out).toContain("verify OK");
    // The EE router's GET /crl/:caId/crl → { crl } (authenticated): the same CRL.
    expect((await ok(z.object({ crl: pem("X509 CRL") }), "GET", `${CM}/crl/${ids.root}/crl`)).crl).toBe(crls[0].crl);
    expect((await s.api("GET", `${CM}/crl/${ids.root}/crl`, { token: null })).status).toBe(401);
  });
  it("isOcspEnabled false: certificates name no OCSP responder and the responder refuses the CA (unauthorized)", async () => {
    await ok(CaShape, "PATCH", `${CA}/${ids.root}`, { configuration: { isOcspEnabled: false } });
    const c = await issue("quiet.acme.com");
    expect(x509Text(c.certificate)).not.toContain("OCSP - URI:");
    const root = (await ok(CertShape, "GET", `${CA}/${ids.root}/certificate`)).certificate;
    const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-ocsp-"));
    try {
      const req = openssl(() => ["ocsp", "-issuer", "ca.pem", "-cert", "c.pem", "-no_nonce", "-reqout", path.join(dir, "req.der")], { "ca.pem": root, "c.pem": c.certificate });
      expect(req.ok, req.out).toBe(true);
      const ask = async () => {
        const answer = await getBytes(`${CM}/ocsp/${ids.root}`, { body: readFileSync(path.join(dir, "req.der")), type: "application/ocsp-request" });
        writeFileSync(path.join(dir, "resp.der"), answer.bytes);
        return openssl(() => ["ocsp", "-respin", path.join(dir, "resp.der"), "-resp_text", "-noverify"], {}).out;
      };
      expect(await ask()).toContain("Responder Error: unauthorized (6)");
      await ok(CaShape, "PATCH", `${CA}/${ids.root}`, { configuration: { isOcspEnabled: true } });
      expect(await ask()).toContain("OCSP Response Status: successful (0x0)");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
