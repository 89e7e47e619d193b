import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers/harness.js";

// Bad input to the Infisical-shaped CA, policy and profile routes (issue 15): problem+json with
// every violation listed, aliases that contradict each other refused by name, what Stamp does
// not do (EST, external CAs, skipping ACME validation, direct issuance) refused by name, and
// truly unknown fields a 400 naming them. Nothing is made by a refused request.

const CM = "/api/v1/cert-manager";
const CA = `${CM}/ca/internal`;
const POLICIES = `${CM}/certificate-policies`;
const PROFILES = `${CM}/certificate-profiles`;

let s: TestServer;
let t: string;
let p: string;
const ids: Record<string, string> = {};

/** The violations of a problem+json answer as "field:code", sorted. */
function violations(res: { status: number; headers: Headers; body: any }, status: number): string[] {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  return (res.body.violations as { field: string; code: string }[]).map((v) => `${v.field}:${v.code}`).sort();
}

beforeAll(async () => {
  s = await startServer();
  t = s.adminToken;
  p = s.defaultProjectId;
  const ca = await s.api("POST", CA, { token: t, body: { projectId: p, name: "bad-input-root", configuration: { type: "root", commonName: "Bad Input Root", keyAlgorithm: "EC_prime256v1" } } });
  ids.ca = ca.body.id;
  ids.policy = (await s.api("POST", POLICIES, { token: t, body: { projectId: p, name: "bad-input", sans: [{ type: "DNS", allowed: ["*.example.com"] }] } })).body.certificatePolicy.id;
  ids.other = (await s.api("POST", POLICIES, { token: t, body: { projectId: p, name: "bad-input-2" } })).body.certificatePolicy.id;
});
afterAll(async () => s?.close());

describe("fail/ certificate authorities", () => {
  it("bad CDP URLs, a non-boolean isOcspEnabled and an unknown configuration field: 400 listing each", async () => {
    const res = await s.api("POST", CA, { token: t, body: { projectId: p, name: "x", configuration: { type: "root", commonName: "X", keyAlgorithm: "EC_prime256v1", crlDistributionPointUrls: ["ftp://crl.example.com/x.crl", "not a url"], isOcspEnabled: "yes", ocsp: true } } });
    expect(violations(res, 400)).toEqual(["configuration.crlDistributionPointUrls.0:invalid_format", "configuration.crlDistributionPointUrls.1:invalid_format", "configuration.isOcspEnabled:invalid_type", "configuration.ocsp:unknown_field"]);
  });
  it("enableDirectIssuance true: 422 not_supported (Stamp issues through profiles), no CA made", async () => {
    const res = await s.api("POST", CA, { token: t, body: { projectId: p, name: "direct", enableDirectIssuance: true, configuration: { type: "root", commonName: "Direct", keyAlgorithm: "EC_prime256v1" } } });
    expect(violations(res, 422)).toEqual(["enableDirectIssuance:not_supported"]);
    expect((await s.api("GET", `${CM}/ca?projectId=${p}`, { token: t })).body.certificateAuthorities.map((c: { name: string }) => c.name)).not.toContain("direct");
  });
  it("PATCH configuration with fields fixed at creation: 400 naming them", async () => {
    const res = await s.api("PATCH", `${CA}/${ids.ca}`, { token: t, body: { configuration: { commonName: "Renamed", crlDistributionPointUrls: ["https://ok.example.com/a.crl"] } } });
    expect(violations(res, 400)).toEqual(["configuration.commonName:unknown_field"]);
  });
  it("an unknown CA type in the generic list: 400 listing the types", async () => {
    const res = await s.api("GET", `${CM}/ca/vault?projectId=${p}`, { token: t });
    expect(violations(res, 400)).toEqual(["params.type:invalid_value"]);
  });
  it("a CA certificate DER under the wrong CA, and a CRL of an unknown key: 404 problem+json", async () => {
    const ca = (await s.api("GET", `${CA}/${ids.ca}`, { token: t })).body;
    const wrong = await s.api("GET", `${CA}/${crypto.randomUUID()}/certificates/${ca.configuration.activeCaCertId}/der`);
    expect(wrong.status).toBe(404);
    expect(wrong.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((await s.api("GET", `${CA}/${ids.ca}/certificates/${ca.configuration.activeCaCertId}/der`)).status).toBe(200);
    expect((await s.api("GET", `${CM}/crl/${crypto.randomUUID()}/der`)).status).toBe(404);
  });
});

describe("fail/ certificate policies", () => {
  it("a bad month duration, maxPathLength below -1, a SAN type no one spells and an unknown rule: every one listed", async () => {
    const res = await s.api("POST", POLICIES, { token: t, body: { projectId: p, name: "bad", validity: { max: "12x" }, basicConstraints: { maxPathLength: -2 }, sans: [{ type: "DNSX", allowed: ["a.example.com"] }], caSetting: {} } });
    expect(violations(res, 400)).toEqual(["basicConstraints.maxPathLength:too_small", "caSetting:unknown_field", "sans.0.type:invalid_value"]);
    const dur = await s.api("POST", POLICIES, { token: t, body: { projectId: p, name: "bad", validity: { max: "12x" } } });
    expect(violations(dur, 422)).toEqual(["validity.max:invalid_duration"]);
    const zero = await s.api("POST", POLICIES, { token: t, body: { projectId: p, name: "bad", validity: { max: "0m" } } });
    expect(violations(zero, 422)).toEqual(["validity.max:invalid_duration"]);
  });
  it("list: limit above 100 and a negative offset; get with Infisical's applicationId: 400", async () => {
    expect(violations(await s.api("GET", `${POLICIES}?projectId=${p}&limit=101&offset=-1`, { token: t }), 400)).toEqual(["query.limit:too_big", "query.offset:too_small"]);
    expect(violations(await s.api("GET", `${POLICIES}/${ids.policy}?applicationId=${crypto.randomUUID()}`, { token: t }), 400)).toEqual(["query.applicationId:not_supported"]);
  });
  it("a preset widened by maxPathLength -1 (no limit) is refused", async () => {
    const res = await s.api("POST", POLICIES, { token: t, body: { projectId: p, name: "wider", preset: "intermediate-ca", basicConstraints: { maxPathLength: -1 } } });
    expect(violations(res, 422)).toEqual(["basicConstraints.maxPathLength:widens_preset"]);
  });
});

describe("fail/ certificate profiles", () => {
  const base = () => ({ projectId: p, slug: "refused", caId: ids.ca });
  it("aliases that contradict each other and what Stamp does not do: 400 listing every one, no profile made", async () => {
    const res = await s.api("POST", PROFILES, {
      token: t,
      body: {
        ...base(),
        templateId: ids.policy,
        certificatePolicyId: ids.other,
        enrollmentType: "acme",
        enrollmentMethods: ["api"],
        apiConfig: { autoRenew: false },
        acmeConfig: { skipEabBinding: true, eabRequired: true, skipDnsOwnershipVerification: true },
        estConfig: { disableBootstrapCaValidation: true, passphrase: "secret-passphrase-1" },
        externalConfigs: { template: "WebServer" },
        defaultTtlDays: 30,
        defaults: { ttl: "90d", basicConstraints: { isCA: true } },
      },
    });
    expect(violations(res, 400)).toEqual([
      "acmeConfig.skipDnsOwnershipVerification:not_allowed",
      "acmeConfig.skipEabBinding:conflicting_alias",
      "apiConfig:not_allowed",
      "certificatePolicyId:conflicting_alias",
      "defaultTtlDays:conflicting_alias",
      "defaults.basicConstraints.isCA:not_supported",
      "enrollmentMethods:conflicting_alias",
      "estConfig.disableBootstrapCaValidation:not_supported",
      "externalConfigs:not_supported",
    ]);
    expect(JSON.stringify(res.body)).not.toContain("secret-passphrase-1");
    expect((await s.api("GET", `${PROFILES}/slug/refused?projectId=${p}`, { token: t })).status).toBe(404);
  });
  it("a policy of another project, named as the caller named it (certificatePolicyId): 422", async () => {
    const other = (await s.api("POST", "/api/v1/projects", { token: t, body: { name: "elsewhere" } })).body.project.id;
    const foreign = (await s.api("POST", POLICIES, { token: t, body: { projectId: other, name: "foreign" } })).body.certificatePolicy.id;
    expect(violations(await s.api("POST", PROFILES, { token: t, body: { ...base(), certificatePolicyId: foreign, enrollmentType: "api" } }), 422)).toEqual(["certificatePolicyId:unknown_template"]);
    expect(violations(await s.api("POST", PROFILES, { token: t, body: { ...base(), templateId: foreign } }), 422)).toEqual(["templateId:unknown_template"]);
  });
  it("enrollmentType est with acmeConfig; skipDnsOwnershipVerification alone; no policy at all", async () => {
    expect(violations(await s.api("POST", PROFILES, { token: t, body: { ...base(), certificatePolicyId: ids.policy, enrollmentType: "est", acmeConfig: { eabRequired: true } } }), 400)).toEqual(["acmeConfig:not_allowed"]);
    expect(violations(await s.api("POST", PROFILES, { token: t, body: { ...base(), certificatePolicyId: ids.policy, enrollmentType: "acme", acmeConfig: { skipDnsOwnershipVerification: true } } }), 400)).toEqual(["acmeConfig.skipDnsOwnershipVerification:not_supported"]);
    expect(violations(await s.api("POST", PROFILES, { token: t, body: { ...base(), enrollmentType: "api" } }), 400)).toEqual(["certificatePolicyId:required"]);
  });
  it("type errors and unknown fields in Infisical's objects: 400 naming each", async () => {
    const res = await s.api("POST", PROFILES, { token: t, body: { ...base(), certificatePolicyId: "web", enrollmentType: "scep", acmeConfig: { skipEab: true }, defaults: { ttlDays: 0, organisation: "Acme" }, defaultTtlDays: "90" } });
    expect(violations(res, 400)).toEqual(["acmeConfig.skipEab:unknown_field", "certificatePolicyId:invalid_format", "defaultTtlDays:invalid_type", "defaults.organisation:unknown_field", "defaults.ttlDays:too_small", "enrollmentType:invalid_value"]);
  });
  it("list and certificates queries: out-of-range paging and unknown filters", async () => {
    expect(violations(await s.api("GET", `${PROFILES}?projectId=${p}&limit=0&enrollmentType=scep&applicationId=x`, { token: t }), 400)).toEqual(["query.applicationId:unknown_field", "query.enrollmentType:invalid_value", "query.limit:too_small"]);
    const prof = await s.api("POST", PROFILES, { token: t, body: { ...base(), slug: "paging", certificatePolicyId: ids.policy } });
    expect(prof.status, JSON.stringify(prof.body)).toBe(200);
    expect(violations(await s.api("GET", `${PROFILES}/${prof.body.certificateProfile.id}/certificates?status=valid&limit=500`, { token: t }), 400)).toEqual(["query.limit:too_big", "query.status:invalid_value"]);
  });
});
