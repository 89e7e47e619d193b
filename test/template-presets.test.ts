import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers/harness.js";

// Issue 14 finding 15: rules given with a preset narrow it, never widen it; a CN-only template warns.

const CA = "/api/v1/cert-manager/ca/internal";
const TPL = "/api/v1/cert-manager/certificate-templates";
const PRO = "/api/v1/cert-manager/certificate-profiles";
const CERTS = "/api/v1/cert-manager/certificates";

let s: TestServer;
let caId = "";
type Res = { status: number; body: any };
const ok = (r: Res) => {
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
};
const violations = (r: Res) => (r.body.violations ?? []).map((v: { field: string; code: string }) => `${v.field}:${v.code}`);
let n = 0;
async function templateAndProfile(body: Record<string, unknown>) {
  const name = `tp-${++n}`;
  const created = ok(await s.api("POST", TPL, { token: s.adminToken, body: { projectId: s.defaultProjectId, name, ...body } }));
  const profile = ok(await s.api("POST", PRO, { token: s.adminToken, body: { projectId: s.defaultProjectId, slug: name, templateId: created.certificateTemplate.id, caId } }));
  return { created, templateId: created.certificateTemplate.id as string, profileId: profile.certificateProfile.id as string };
}
const preview = (profileId: string, attributes: Record<string, unknown>) => s.api("POST", `${CERTS}/preview`, { token: s.adminToken, body: { profileId, attributes } });

beforeAll(async () => {
  s = await startServer();
  caId = ok(await s.api("POST", CA, { token: s.adminToken, body: { projectId: s.defaultProjectId, name: "tp-root", configuration: { type: "root", commonName: "TP Root", keyAlgorithm: "EC_prime256v1" } } })).id;
});
afterAll(async () => s?.close());

describe("templates from a preset", () => {
  it("fail/ the README example (--preset tls-server --allow-cn '*.acme.com' --allow-san 'dns:*.acme.com') refuses email and URI SANs", async () => {
    const { created, profileId } = await templateAndProfile({ preset: "tls-server", subject: [{ type: "common_name", allowed: ["*.acme.com"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"] }] });
    expect(created.certificateTemplate.sans).toEqual(expect.arrayContaining([{ type: "email", allowed: [] }, { type: "uri", allowed: [] }]));
    const res = await preview(profileId, { commonName: "web.acme.com", altNames: [{ type: "dns_name", value: "web.acme.com" }, { type: "email", value: "ceo@evil.com" }, { type: "uri", value: "spiffe://evil/x" }] });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(violations(res)).toEqual(expect.arrayContaining(["attributes.altNames[1]:forbidden", "attributes.altNames[2]:forbidden"]));
    expect(JSON.stringify(res.body.violations)).toContain("ceo@evil.com");
    expect(JSON.stringify(res.body.violations)).toContain("spiffe://evil/x");
    // IP SANs are still open in that example: the create response says so.
    expect(created.warnings.map((w: { code: string }) => w.code)).toEqual(["sans_unrestricted"]);
    expect(created.warnings[0].message).toContain("ip_address");
    ok(await preview(profileId, { commonName: "web.acme.com", altNames: [{ type: "dns_name", value: "web.acme.com" }] }));
  });
  it("fail/ a rule that would widen the preset is refused, naming each widening", async () => {
    const res = await s.api("POST", TPL, { token: s.adminToken, body: { projectId: s.defaultProjectId, name: "tp-wide", preset: "tls-server", sans: [{ type: "email", allowed: ["*@acme.com"] }], extendedKeyUsages: { allowed: ["server_auth", "client_auth"] }, validity: { max: "2y" } } });
    expect(res.status, JSON.stringify(res.body)).toBe(422);
    expect(violations(res)).toEqual(["sans[0].allowed[0]:widens_preset", "extendedKeyUsages.allowed[1]:widens_preset", "validity.max:widens_preset"]);
    expect(res.body.violations[0].message).toContain("forbids email");
  });
  it("ok/ the README example with IP SANs restricted too: no warning", async () => {
    const { created } = await templateAndProfile({ preset: "tls-server", subject: [{ type: "common_name", allowed: ["*.acme.com"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"] }, { type: "ip_address", allowed: ["10.0.0.0/8"] }], validity: { max: "90d" } });
    expect(created.warnings).toEqual([]);
  });
});

describe("a template that restricts the CN but leaves SANs open", () => {
  it("fail/ warns at create, update and certificate preview", async () => {
    const { created, templateId, profileId } = await templateAndProfile({ subject: [{ type: "common_name", allowed: ["*.acme.com"] }] });
    expect(created.warnings).toHaveLength(1);
    expect(created.warnings[0]).toMatchObject({ field: "sans", code: "sans_unrestricted" });
    expect(created.warnings[0].message).toContain("dns_name, ip_address, email, uri");
    const updated = ok(await s.api("PATCH", `${TPL}/${templateId}`, { token: s.adminToken, body: { subject: [{ type: "common_name", allowed: ["*.acme.com"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"] }] } }));
    expect(updated.warnings[0].message).toContain("ip_address, email, uri");
    const p = ok(await preview(profileId, { commonName: "web.acme.com" }));
    expect(p.preview.warnings[0].code).toBe("sans_unrestricted");
    const fixed = ok(await s.api("PATCH", `${TPL}/${templateId}`, { token: s.adminToken, body: { subject: [{ type: "common_name", allowed: ["*.acme.com"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"] }, { type: "ip_address", allowed: [] }, { type: "email", allowed: [] }, { type: "uri", allowed: [] }] } }));
    expect(fixed.warnings).toEqual([]);
    expect(ok(await preview(profileId, { commonName: "web.acme.com" })).preview.warnings).toEqual([]);
  });
});
