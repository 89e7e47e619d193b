import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers/harness.js";

// Issue 14: unknown fields are refused, one violation each (finding 5); NUL bytes, control
// characters and unpaired surrogates get 400 naming the field, never a 500 (finding 8); a
// violation never echoes a password, a secret or a large PEM (finding 9).

const CA = "/api/v1/cert-manager/ca/internal";
const TEMPLATES = "/api/v1/cert-manager/certificate-templates";
const PROFILES = "/api/v1/cert-manager/certificate-profiles";
const CERTS = "/api/v1/cert-manager/certificates";
const ACME = "/api/v1/cert-manager/acme/profiles";
let s: TestServer;
let t: string;
const ids = { ca: "", template: "", profile: "", cert: "", rule: "", identity: "" };
type Res = { status: number; body: any; headers: Headers };

async function must(method: string, path: string, body?: unknown) {
  const r = await s.api(method, path, { token: t, body });
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
/** A 400 problem+json with a violation `field`/`code` for each pair given. */
function expect400(res: Res, ...want: [field: string, code: string][]) {
  const detail = `${res.status} ${JSON.stringify(res.body).slice(0, 800)}`;
  expect(res.status, detail).toBe(400);
  expect(res.headers.get("content-type"), detail).toMatch(/^application\/problem\+json/);
  const got = (res.body.violations ?? []).map((v: { field: string; code: string }) => `${v.field}:${v.code}`);
  for (const [field, code] of want) expect(got, detail).toContain(`${field}:${code}`);
}

beforeAll(async () => {
  s = await startServer();
  t = s.adminToken;
  ids.ca = (await must("POST", CA, { projectId: s.defaultProjectId, name: "strict-root", configuration: { type: "root", commonName: "Strict Root", keyAlgorithm: "EC_prime256v1" } })).id;
  ids.template = (await must("POST", TEMPLATES, { projectId: s.defaultProjectId, name: "strict-tls", preset: "tls-server" })).certificateTemplate.id;
  ids.profile = (await must("POST", PROFILES, { projectId: s.defaultProjectId, slug: "strict-web", templateId: ids.template, caId: ids.ca, enrollmentMethods: ["api", "acme"] })).certificateProfile.id;
  ids.cert = (await must("POST", CERTS, { profileId: ids.profile, attributes: { commonName: "a.strict.test", altNames: [{ type: "dns_name", value: "a.strict.test" }] } })).certificate.certificateId;
  ids.rule = (await must("POST", `/api/v1/projects/${s.defaultProjectId}/alert-rules`, { name: "strict-rule", events: ["issued"], channel: "webhook", webhookUrl: "https://hooks.example.com/stamp" })).alertRule.id;
  ids.identity = (await must("POST", "/api/v1/identities", { projectId: s.defaultProjectId, name: "strict-bot", role: "member" })).identity.id;
});
afterAll(async () => s?.close());

describe("fail/ unknown fields are refused, each by its full path", () => {
  it("an Infisical-style profile body with misspelt fields (enrolmentType, acmeConfig.skipEab) → 400, no profile made", async () => {
    const res = await s.api("POST", PROFILES, { token: t, body: { projectId: s.defaultProjectId, slug: "infisical-style", certificatePolicyId: ids.template, caId: ids.ca, enrolmentType: "acme", acmeConfig: { skipEab: true } } });
    expect400(res, ["enrolmentType", "unknown_field"], ["acmeConfig.skipEab", "unknown_field"]);
    expect(res.body.violations.find((v: { field: string }) => v.field === "enrolmentType").message).toMatch(/"enrolmentType" is not a field of this request/);
    const list = await must("GET", `${PROFILES}?projectId=${s.defaultProjectId}`);
    expect(list.certificateProfiles.map((p: { slug: string }) => p.slug)).not.toContain("infisical-style");
  });
  it("two unknown fields are two violations", async () => {
    const res = await s.api("POST", "/api/v1/projects", { token: t, body: { name: "p", colour: "red", owner: "me" } });
    expect400(res, ["colour", "unknown_field"], ["owner", "unknown_field"]);
    expect(res.body.violations).toHaveLength(2);
  });
  const routes = (): [string, string, Record<string, unknown>, string][] => [
    ["POST", "/api/v1/auth/login", { email: "admin@example.com", password: "x", remember: true }, "remember"],
    ["POST", "/api/v1/auth/universal-auth/login", { clientId: crypto.randomUUID(), clientSecret: "x", scope: "all" }, "scope"],
    ["POST", "/api/v1/users", { email: "u@example.com", password: "a long enough password", role: "admin" }, "role"],
    ["POST", "/api/v1/identities", { projectId: s.defaultProjectId, name: "bot", role: "member", authMethod: "universal" }, "authMethod"],
    ["POST", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets`, { numUsesLimit: 1 }, "numUsesLimit"],
    ["POST", `/api/v1/projects/${s.defaultProjectId}/memberships`, { email: "admin@example.com", role: "admin", roles: ["admin"] }, "roles"],
    ["POST", CA, { projectId: s.defaultProjectId, name: "x", configuration: { type: "root", commonName: "X", keyAlgorithm: "EC_prime256v1", keySize: 256 } }, "configuration.keySize"],
    ["PATCH", `${CA}/${ids.ca}`, { enableDirectIssuance: true }, "enableDirectIssuance"],
    ["POST", `${CA}/${ids.ca}/renew`, { type: "existing", keep: true }, "keep"],
    ["POST", TEMPLATES, { projectId: s.defaultProjectId, name: "x", sans: [{ type: "dns_name", allow: ["*"] }] }, "sans.0.allow"],
    ["PATCH", `${TEMPLATES}/${ids.template}`, { keyUsages: { allowed: ["digital_signature"], critical: true } }, "keyUsages.critical"],
    ["PATCH", `${PROFILES}/${ids.profile}`, { apiConfig: { renewBeforeDays: 5, autoRenewDays: 5 } }, "apiConfig.autoRenewDays"],
    ["PATCH", `${PROFILES}/${ids.profile}`, { defaults: { ttl: "30d", keyUsage: ["digital_signature"] } }, "defaults.keyUsage"],
    ["POST", CERTS, { profileId: ids.profile, attributes: { commonName: "a.strict.test", subjectAltNames: "a.strict.test" } }, "attributes.subjectAltNames"],
    ["POST", CERTS, { profileId: ids.profile, attributes: { altNames: [{ type: "dns_name", value: "a.strict.test", critical: true }] } }, "attributes.altNames.0.critical"],
    ["POST", `${CERTS}/preview`, { profileId: ids.profile, certificateTemplateId: ids.template }, "certificateTemplateId"],
    ["PATCH", `${CERTS}/${ids.cert}`, { autoRenewal: true }, "autoRenewal"],
    ["POST", `${CERTS}/${ids.cert}/renew`, { keySource: "new" }, "keySource"],
    ["POST", `${CERTS}/${ids.cert}/revoke`, { revocationReason: "UNSPECIFIED", comment: "x" }, "comment"],
    ["POST", `${CERTS}/${ids.cert}/pkcs12`, { password: "long enough", alias: "x" }, "alias"],
    ["POST", `${PROFILES}/${ids.profile}/acme/eab-keys`, { description: "x", ttl: 60 }, "ttl"],
    ["POST", `/api/v1/projects/${s.defaultProjectId}/alert-rules`, { name: "x", events: ["issued"], channel: "webhook", webhookUrl: "https://hooks.example.com/", filters: { commonName: "x" } }, "filters.commonName"],
    ["PATCH", `/api/v1/projects/${s.defaultProjectId}/alert-rules/${ids.rule}`, { channel: "email" }, "channel"],
  ];
  it("on every route with a JSON body, nested objects included", async () => {
    for (const [method, path, body, field] of routes()) expect400(await s.api(method, path, { token: t, body }), [field, "unknown_field"]);
  });
  it.each([
    [`${CERTS}?projectId=PID&sort=desc`, "query.sort"],
    [`${CA}?projectId=PID&type=root`, "query.type"],
    [`${TEMPLATES}?projectId=PID&limit=5&sort=name`, "query.sort"],
    [`/api/v1/projects/PID/audit-logs?actor=me`, "query.actor"],
  ])("unknown query parameter: GET %s → 400 naming %s", async (path, field) => {
    expect400(await s.api("GET", path.replace("PID", s.defaultProjectId), { token: t }), [field, "unknown_field"]);
  });
  it("public CRL URLs ignore extra query parameters (relying parties add them)", async () => {
    await must("POST", `${CA}/${ids.ca}/crls`);
    const crls = await must("GET", `${CA}/${ids.ca}/crls`);
    expect(crls.length).toBeGreaterThan(0);
    expect((await s.api("GET", `/api/v1/cert-manager/crl/${crls[0].id}?format=der&nocache=1`)).status).toBe(200);
  });
  it("the OpenAPI document says additionalProperties: false on every request body object", async () => {
    const doc = (await s.api("GET", "/api/docs/json")).body;
    const loose: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${where}[${i}]`));
      if (typeof node !== "object" || node === null) return;
      const o = node as Record<string, unknown>;
      if (o.type === "object" && o.properties && o.additionalProperties !== false) loose.push(where);
      for (const [k, v] of Object.entries(o)) walk(v, `${where}.${k}`);
    };
    let bodies = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const schema = op.requestBody?.content?.["application/json"]?.schema;
        if (!schema) continue;
        bodies++;
        walk(schema, `${method.toUpperCase()} ${path}`);
      }
    }
    expect(bodies).toBeGreaterThan(20);
    expect(loose).toEqual([]);
  });
});

describe("fail/ NUL bytes, control characters and unpaired surrogates → 400 naming the field", () => {
  const BAD = { nul: "a\u0000b", surrogate: "a\ud800b", escape: "a\u001b[31mb" };
  const cases = (v: string): [string, string, unknown, string, string | null][] => [
    ["POST", "/api/v1/projects", { name: v }, "name", t],
    ["POST", "/api/v1/identities", { projectId: s.defaultProjectId, name: v, role: "member" }, "name", t],
    ["PATCH", `${CA}/${ids.ca}`, { name: v }, "name", t],
    ["PATCH", `${TEMPLATES}/${ids.template}`, { name: v }, "name", t],
    ["PATCH", `${TEMPLATES}/${ids.template}`, { description: v }, "description", t],
    ["PATCH", `${PROFILES}/${ids.profile}`, { description: v }, "description", t],
    ["PATCH", `${PROFILES}/${ids.profile}`, { defaults: { organization: v } }, "defaults.organization", t],
    ["POST", `${PROFILES}/${ids.profile}/acme/eab-keys`, { description: v }, "description", t],
    ["POST", `/api/v1/identities/${ids.identity}/universal-auth/client-secrets`, { description: v }, "description", t],
    ["POST", `/api/v1/projects/${s.defaultProjectId}/memberships`, { email: "admin@example.com", role: "admin", profiles: ["strict-web", v] }, "profiles.1", t],
    ["PATCH", `/api/v1/projects/${s.defaultProjectId}/alert-rules/${ids.rule}`, { name: v }, "name", t],
    ["POST", "/api/v1/auth/login", { email: `admin${v}@example.com`, password: "whatever password" }, "email", null],
    ["POST", CERTS, { profileId: ids.profile, attributes: { commonName: v } }, "attributes.commonName", t],
    ["POST", CERTS, { profileId: ids.profile, csr: `-----BEGIN CERTIFICATE REQUEST-----\n${v}\n-----END CERTIFICATE REQUEST-----\n` }, "csr", t],
  ];
  for (const [kind, v] of Object.entries(BAD)) {
    it(`${kind} in every body field listed`, async () => {
      for (const [method, path, body, field, token] of cases(v)) expect400(await s.api(method, path, { token, body }), [field, "invalid_characters"]);
    });
  }
  it.each([
    [`${CERTS}?projectId=PID&search=a%00b`, "query.search"],
    [`${CERTS}?projectId=PID&search=a%0Ab`, "query.search"],
    ["/api/v1/projects/PID/audit-logs?action=a%00b", "query.action"],
    ["/api/v1/projects/PID/audit-logs?actorId=a%01b", "query.actorId"],
    ["/api/v1/projects/PID/audit-logs?objectId=a%0Db", "query.objectId"],
    [`${PROFILES}/PROFILE/acme/eab-keys/a%00b/revoke`, "params.keyId"],
  ])("%s → 400 naming %s", async (path, field) => {
    const method = path.endsWith("/revoke") ? "POST" : "GET";
    expect400(await s.api(method, path.replace("PID", s.defaultProjectId).replace("PROFILE", ids.profile), { token: t, body: method === "POST" ? {} : undefined }), [field, "invalid_characters"]);
  });
  it("a line break in a single-line field (a name) → 400; in a description it is kept", async () => {
    expect400(await s.api("POST", "/api/v1/projects", { token: t, body: { name: "two\nlines" } }), ["name", "invalid_characters"]);
    const p = (await must("PATCH", `${PROFILES}/${ids.profile}`, { description: "two\nlines" })).certificateProfile;
    expect(p.description).toBe("two\nlines");
  });
  it.each(["x%00y", "x%0Ay", "x%0D%0ALink:%20evil", "x%01y"])("an ACME profile id %s → 400 malformed, no header built from it", async (id) => {
    for (const [method, tail] of [["GET", "directory"], ["GET", "new-nonce"], ["POST", "new-account"]] as const) {
      const res = await fetch(`${s.url}${ACME}/${id}/${tail}`, { method, headers: method === "POST" ? { "content-type": "application/jose+json" } : {}, body: method === "POST" ? "{}" : undefined, signal: AbortSignal.timeout(30_000) });
      expect(res.status, `${method} ${tail}`).toBe(400);
      expect(await res.json()).toMatchObject({ type: "urn:ietf:params:acme:error:malformed", status: 400 });
      expect(res.headers.get("link"), "no Link built from a malformed id").toBeNull();
    }
  });
  it("the ACME directory still answers for the real profile", async () => {
    const res = await fetch(`${s.url}${ACME}/${ids.profile}/directory`, { signal: AbortSignal.timeout(30_000) });
    expect(res.status).toBe(200);
    expect(res.headers.get("link")).toContain(`/acme/profiles/${ids.profile}/directory`);
  });
});

describe("fail/ violations never echo a password, a secret or a large PEM", () => {
  const noLeak = (res: Res, ...secrets: string[]) => {
    const text = JSON.stringify(res.body);
    for (const x of secrets) expect(text).not.toContain(x);
  };
  it("login: a password that breaks the schema is redacted", async () => {
    const pw = "p\u0000ssword-SECRET-1";
    const res = await s.api("POST", "/api/v1/auth/login", { body: { email: "admin@example.com", password: pw, extra: 1 } });
    expect400(res, ["password", "invalid_characters"], ["extra", "unknown_field"]);
    expect(res.body.violations.find((v: { field: string }) => v.field === "password").value).toBe("[redacted]");
    noLeak(res, "SECRET-1");
    const long = await s.api("POST", "/api/v1/auth/login", { body: { email: "admin@example.com", password: "L".repeat(300) + "SECRET-2" } });
    expect(long.status).toBe(400);
    noLeak(long, "SECRET-2", "LLLLLLLLLL");
  });
  it("user create: a short password is redacted", async () => {
    const res = await s.api("POST", "/api/v1/users", { token: t, body: { email: "short@example.com", password: "SECRET-3" } });
    expect400(res, ["password", "too_small"]);
    expect(res.body.violations[0].value).toBe("[redacted]");
    noLeak(res, "SECRET-3");
  });
  it("client secret, PKCS#12 password and an unknown secret-named field are redacted", async () => {
    const ua = await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: "nope", clientSecret: "x".repeat(300) + "SECRET-4" } });
    expect400(ua, ["clientSecret", "too_big"]);
    noLeak(ua, "SECRET-4");
    const p12 = await s.api("POST", `${CERTS}/${ids.cert}/pkcs12`, { token: t, body: { password: "S-5" } });
    expect400(p12, ["password", "too_small"]);
    noLeak(p12, "S-5");
    const hook = await s.api("PATCH", `/api/v1/projects/${s.defaultProjectId}/alert-rules/${ids.rule}`, { token: t, body: { webhookSecret: "whsec_SECRET-6", hmacKey: "SECRET-7" } });
    expect400(hook, ["webhookSecret", "unknown_field"], ["hmacKey", "unknown_field"]);
    noLeak(hook, "SECRET-6", "SECRET-7");
  });
  it("a 60 KB bad CSR is not echoed", async () => {
    const body = "QUJD".repeat(15_000);
    const csr = `-----BEGIN CERTIFICATE REQUEST-----\n${body}\n-----END CERTIFICATE REQUEST-----\n`;
    const res = await s.api("POST", CERTS, { token: t, body: { profileId: ids.profile, csr } });
    expect(res.status).toBe(422);
    const v = res.body.violations.find((x: { field: string }) => x.field === "csr");
    expect(v).toBeTruthy();
    expect(JSON.stringify(res.body).length).toBeLessThan(2000);
    noLeak(res, "QUJDQUJDQUJDQUJD");
    const bad = await s.api("POST", CERTS, { token: t, body: { profileId: ids.profile, csr: `${csr}\u0000` } });
    expect400(bad, ["csr", "invalid_characters"]);
    noLeak(bad, "QUJDQUJDQUJDQUJD");
  });
});
