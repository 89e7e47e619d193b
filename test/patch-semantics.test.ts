import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers/harness.js";

// PATCH changes only what it names (issue 14, finding 4): an absent field is unchanged, a
// nested object merges member by member, and `{}` is a no-op that answers the unchanged object.

const CA = "/api/v1/cert-manager/ca/internal";
const TEMPLATES = "/api/v1/cert-manager/certificate-templates";
const PROFILES = "/api/v1/cert-manager/certificate-profiles";
const CERTS = "/api/v1/cert-manager/certificates";
let s: TestServer;
let t: string;
const ids = { ca: "", template: "", profile: "", cert: "", rule: "", other: "" };
const rules = () => `/api/v1/projects/${s.defaultProjectId}/alert-rules`;

async function must(method: string, path: string, body?: unknown) {
  const r = await s.api(method, path, { token: t, body });
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
const patch = (path: string, body: unknown) => s.api("PATCH", path, { token: t, body });

beforeAll(async () => {
  s = await startServer();
  t = s.adminToken;
  ids.ca = (await must("POST", CA, { projectId: s.defaultProjectId, name: "patch-root", configuration: { type: "root", commonName: "Patch Root", keyAlgorithm: "EC_prime256v1" } })).id;
  ids.template = (await must("POST", TEMPLATES, { projectId: s.defaultProjectId, name: "patch-tls", preset: "tls-server", validity: { max: "90d" } })).certificateTemplate.id;
  ids.profile = (
    await must("POST", PROFILES, {
      projectId: s.defaultProjectId,
      slug: "patch-web",
      description: "web servers",
      templateId: ids.template,
      caId: ids.ca,
      enrollmentMethods: ["api", "acme"],
      defaults: { ttl: "30d", organization: "Acme", keyAlgorithm: "EC_prime256v1" },
      apiConfig: { autoRenew: true, renewBeforeDays: 10 },
      acmeConfig: { eabRequired: false, challengeTypes: ["http-01"], orderLifetimeSeconds: 3600 },
    })
  ).certificateProfile.id;
  ids.cert = (await must("POST", CERTS, { profileId: ids.profile, attributes: { commonName: "a.patch.test", altNames: [{ type: "dns_name", value: "a.patch.test" }] } })).certificate.certificateId;
  ids.other = (await must("POST", PROFILES, { projectId: s.defaultProjectId, slug: "patch-other", templateId: ids.template, caId: ids.ca })).certificateProfile.id;
  ids.rule = (await must("POST", rules(), { name: "patch-rule", events: ["issued", "revoked"], expirationDays: [20, 5], channel: "webhook", webhookUrl: "https://hooks.example.com/stamp", filters: { profileIds: [ids.profile], caIds: [ids.ca], namePattern: "*.nomatch.test" }, enabled: false })).alertRule.id;
});
afterAll(async () => s?.close());

describe("ok/ a profile PATCH keeps what it does not name", () => {
  it("only description: enrollmentMethods, acmeConfig, apiConfig and defaults stay", async () => {
    const before = (await must("GET", `${PROFILES}/${ids.profile}`)).certificateProfile;
    const res = await patch(`${PROFILES}/${ids.profile}`, { description: "the web servers" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const after = res.body.certificateProfile;
    expect(after.description).toBe("the web servers");
    expect(after.enrollmentMethods).toEqual(["api", "acme"]);
    expect(after.acmeConfig).toEqual(before.acmeConfig);
    expect(after.acmeConfig).toMatchObject({ eabRequired: false, challengeTypes: ["http-01"], orderLifetimeSeconds: 3600 });
    expect(after.apiConfig).toEqual({ autoRenew: true, renewBeforeDays: 10 });
    expect(after.defaults).toEqual({ ttl: "30d", organization: "Acme", keyAlgorithm: "EC_prime256v1" });
    expect((await must("GET", `${PROFILES}/${ids.profile}`)).certificateProfile).toEqual(after);
  });
  it("a partial acmeConfig merges: eabRequired and challengeTypes stay", async () => {
    const after = (await must("PATCH", `${PROFILES}/${ids.profile}`, { acmeConfig: { authorizationLifetimeSeconds: 600 } })).certificateProfile;
    expect(after.acmeConfig).toMatchObject({ eabRequired: false, challengeTypes: ["http-01"], orderLifetimeSeconds: 3600, authorizationLifetimeSeconds: 600 });
  });
  it("a partial apiConfig merges: autoRenew stays on", async () => {
    const after = (await must("PATCH", `${PROFILES}/${ids.profile}`, { apiConfig: { renewBeforeDays: 7 } })).certificateProfile;
    expect(after.apiConfig).toEqual({ autoRenew: true, renewBeforeDays: 7 });
  });
  it("defaults merge; a default set to null is removed", async () => {
    let after = (await must("PATCH", `${PROFILES}/${ids.profile}`, { defaults: { ttl: "20d" } })).certificateProfile;
    expect(after.defaults).toEqual({ ttl: "20d", organization: "Acme", keyAlgorithm: "EC_prime256v1" });
    after = (await must("PATCH", `${PROFILES}/${ids.profile}`, { defaults: { organization: null } })).certificateProfile;
    expect(after.defaults).toEqual({ ttl: "20d", keyAlgorithm: "EC_prime256v1" });
  });
  it("enrollmentMethods replace as a whole", async () => {
    const after = (await must("PATCH", `${PROFILES}/${ids.other}`, { enrollmentMethods: ["api", "acme"] })).certificateProfile;
    expect(after.enrollmentMethods).toEqual(["api", "acme"]);
    expect(after.acmeConfig).toMatchObject({ eabRequired: true });
  });
});

describe("ok/ other PATCH routes keep what they do not name", () => {
  it("template: description alone keeps every rule", async () => {
    const before = (await must("GET", `${TEMPLATES}/${ids.template}`)).certificateTemplate;
    const after = (await must("PATCH", `${TEMPLATES}/${ids.template}`, { description: "changed" })).certificateTemplate;
    const { description: _d, updatedAt: _u, ...rest } = after;
    const { description: _d0, updatedAt: _u0, ...restBefore } = before;
    expect(rest).toEqual(restBefore);
  });
  it("template: one rule changes, the others stay; a partial rule object merges; null removes a rule", async () => {
    const before = (await must("GET", `${TEMPLATES}/${ids.template}`)).certificateTemplate;
    let after = (await must("PATCH", `${TEMPLATES}/${ids.template}`, { validity: { max: "60d" } })).certificateTemplate;
    expect(after.validity).toEqual({ max: "60d" });
    expect(after.sans).toEqual(before.sans);
    expect(after.keyUsages).toEqual(before.keyUsages);
    expect(after.extendedKeyUsages).toEqual(before.extendedKeyUsages);
    after = (await must("PATCH", `${TEMPLATES}/${ids.template}`, { keyUsages: { denied: ["key_agreement"] } })).certificateTemplate;
    expect(after.keyUsages).toEqual({ ...before.keyUsages, denied: ["key_agreement"] });
    after = (await must("PATCH", `${TEMPLATES}/${ids.template}`, { validity: null })).certificateTemplate;
    // Removed: shown as {} (not configured), as Infisical's policy shape carries every rule.
    expect(after.validity).toEqual({});
    expect(after.sans).toEqual(before.sans);
  });
  it("CA: crlValiditySeconds alone keeps name, status and ocspSigner", async () => {
    const before = await must("GET", `${CA}/${ids.ca}`);
    const after = await must("PATCH", `${CA}/${ids.ca}`, { crlValiditySeconds: 7200 });
    expect(after.configuration.crlValiditySeconds).toBe(7200);
    expect({ ...after, updatedAt: 0, configuration: { ...after.configuration, crlValiditySeconds: 0 } }).toEqual({ ...before, updatedAt: 0, configuration: { ...before.configuration, crlValiditySeconds: 0 } });
  });
  it("certificate: renewBeforeDays alone keeps autoRenew", async () => {
    await must("PATCH", `${CERTS}/${ids.cert}`, { autoRenew: true });
    const after = (await must("PATCH", `${CERTS}/${ids.cert}`, { renewBeforeDays: 3 })).certificate;
    expect(after).toMatchObject({ autoRenew: true, renewBeforeDays: 3 });
  });
  it("alert rule: a partial filters object keeps the other filters; name alone keeps everything", async () => {
    const before = (await must("GET", `${rules()}/${ids.rule}`)).alertRule;
    let after = (await must("PATCH", `${rules()}/${ids.rule}`, { filters: { namePattern: "*.other.test" } })).alertRule;
    expect(after.filters).toEqual({ profileIds: [ids.profile], caIds: [ids.ca], namePattern: "*.other.test" });
    after = (await must("PATCH", `${rules()}/${ids.rule}`, { name: "renamed" })).alertRule;
    expect(after).toMatchObject({ name: "renamed", events: before.events, expirationDays: [20, 5], enabled: false, webhookUrl: before.webhookUrl, filters: { profileIds: [ids.profile], caIds: [ids.ca] } });
  });
  it("membership: changing the role keeps profiles and canReadPrivateKeys", async () => {
    const email = "patch-member@example.com";
    await must("POST", "/api/v1/users", { email, password: "patch member password" });
    const members = `/api/v1/projects/${s.defaultProjectId}/memberships`;
    await must("POST", members, { email, role: "member", profiles: ["patch-web"], canReadPrivateKeys: true });
    const m = (await must("POST", members, { email, role: "viewer" })).membership;
    expect(m).toMatchObject({ role: "viewer", profiles: ["patch-web"], canReadPrivateKeys: true });
    const listed = (await must("GET", members)).memberships.find((x: { email?: string }) => x.email === email);
    expect(listed).toMatchObject({ role: "viewer", profiles: ["patch-web"], canReadPrivateKeys: true });
  });
});

describe("ok/ an empty PATCH is a no-op answering the unchanged object", () => {
  const routes = () => [
    [`${PROFILES}/${ids.profile}`, (b: any) => b.certificateProfile],
    [`${TEMPLATES}/${ids.template}`, (b: any) => b.certificateTemplate],
    [`${CA}/${ids.ca}`, (b: any) => b],
    [`${CERTS}/${ids.cert}`, (b: any) => b.certificate],
    [`${rules()}/${ids.rule}`, (b: any) => b.alertRule],
  ] as const;
  it("PATCH {} on every PATCH route → 200, the object exactly as before (updatedAt too)", async () => {
    for (const [path, pick] of routes()) {
      const before = pick(await must("GET", path));
      const res = await patch(path, {});
      expect(res.status, `${path}: ${JSON.stringify(res.body)}`).toBe(200);
      expect(pick(res.body), path).toEqual(before);
      expect(pick(await must("GET", path)), path).toEqual(before);
    }
  });
});
