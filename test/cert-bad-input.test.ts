import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers/harness.js";
import { openssl } from "./helpers/openssl.js";

// Hostile certificate requests get a 4xx problem+json that names what is wrong, never a 500.

const CA = "/api/v1/cert-manager/ca/internal";
const TPL = "/api/v1/cert-manager/certificate-templates";
const PRO = "/api/v1/cert-manager/certificate-profiles";
const CERTS = "/api/v1/cert-manager/certificates";
const PW = "cert bad input password";

let s: TestServer;
let t: string;
const ids = { root: "", pending: "", tplA: "", profA: "", profB: "", profSelf: "", otherProfile: "", serverCert: "" };
const pem = { good: "", goodRsa: "", rsa1024: "", k1: "", caCsr: "" };
const tokens = { viewer: "", narrow: "", noKeys: "", withKeys: "", outsider: "" };

type Res = { status: number; body: any; headers: Headers };

/** Asserts a problem+json answer with `status`; with `field`, one violation names it (and has code, message, value or not). */
function expectProblem(res: Res, status: number | number[], field?: string | RegExp, code?: string) {
  const detail = `${res.status} ${JSON.stringify(res.body).slice(0, 800)}`;
  if (Array.isArray(status)) expect(status, detail).toContain(res.status);
  else expect(res.status, detail).toBe(status);
  expect(res.headers.get("content-type"), detail).toMatch(/^application\/problem\+json/);
  expect(res.body.status, detail).toBe(res.status);
  expect(typeof res.body.detail, detail).toBe("string");
  if (field === undefined) return;
  const vs: { field: string; code: string; message: string }[] = res.body.violations ?? [];
  const hit = vs.find((v) => (typeof field === "string" ? v.field === field || v.field.endsWith(`.${field}`) : field.test(v.field)) && (!code || v.code === code));
  expect(hit, `no violation on ${field}${code ? ` (${code})` : ""}: ${detail}`).toBeTruthy();
  expect(typeof hit!.message, detail).toBe("string");
}
const pemOf = (text: string, label: string) => {
  const m = new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----\\n?`).exec(text);
  if (!m) throw new Error(`no ${label} in openssl output: ${text.slice(0, 500)}`);
  return m[0];
};
const derOf = (p: string) => Buffer.from(p.replace(/-----[^-]+-----|\s/g, ""), "base64");
const toPem = (der: Uint8Array, label: string) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END ${label}-----\n`;
/** Flips the last byte: for ECDSA it sits inside the signature's s integer, so DER stays well-formed. */
const flipLast = (p: string) => {
  const der = derOf(p);
  der[der.length - 1] ^= 0x01;
  return toPem(der, "CERTIFICATE REQUEST");
};
/** A CSR made by `openssl req`. */
const opensslCsr = (newkey: string[], subj: string, san?: string) =>
  pemOf(openssl(() => ["req", "-new", ...newkey, "-nodes", "-keyout", "k.pem", "-subj", subj, ...(san ? ["-addext", `subjectAltName=${san}`] : [])], {}).out, "CERTIFICATE REQUEST");

async function must(r: Promise<Res>, what: string) {
  const res = await r;
  if (res.status !== 200) throw new Error(`setup ${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
const issue = (body: Record<string, unknown>, token = t) => s.api("POST", CERTS, { token, body });
const preview = (body: Record<string, unknown>, token = t) => s.api("POST", `${CERTS}/preview`, { token, body });

async function userToken(email: string, membership: Record<string, unknown> | null, projectId = s.defaultProjectId) {
  await must(s.api("POST", "/api/v1/users", { token: t, body: { email, password: PW } }), `user ${email}`);
  if (membership) await must(s.api("POST", `/api/v1/projects/${projectId}/memberships`, { token: t, body: { email, ...membership } }), `membership ${email}`);
  return (await must(s.api("POST", "/api/v1/auth/login", { body: { email, password: PW } }), `login ${email}`)).accessToken as string;
}

beforeAll(async () => {
  s = await startServer();
  t = s.adminToken;
  const p = s.defaultProjectId;
  const root = await must(s.api("POST", CA, { token: t, body: { projectId: p, name: "cbi-root", configuration: { type: "root", commonName: "CBI Root", keyAlgorithm: "EC_prime256v1" } } }), "root");
  ids.root = root.id;
  // A CA whose key waits for an outside signature: its CSR carries a CA's own key.
  const pending = await must(s.api("POST", CA, { token: t, body: { projectId: p, name: "cbi-pending", configuration: { type: "intermediate", commonName: "cbi.acme.com", keyAlgorithm: "EC_prime256v1" } } }), "pending");
  ids.pending = pending.id;
  pem.caCsr = (await must(s.api("GET", `${CA}/${pending.id}/csr`, { token: t }), "pending csr")).csr;

  const tplA = await must(s.api("POST", TPL, { token: t, body: { projectId: p, name: "cbi-a", preset: "tls-server", subject: [{ type: "common_name", allowed: ["*.acme.com"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"] }], validity: { max: "90d" } } }), "template A");
  ids.tplA = tplA.certificateTemplate.id;
  // Exact names only: a wildcard request matches no exact pattern (docs/templates.md).
  const tplB = await must(s.api("POST", TPL, { token: t, body: { projectId: p, name: "cbi-b", preset: "tls-server", subject: [{ type: "common_name", allowed: ["a.acme.com"] }], sans: [{ type: "dns_name", allowed: ["a.acme.com"] }] } }), "template B");
  ids.profA = (await must(s.api("POST", PRO, { token: t, body: { projectId: p, slug: "cbi-a", templateId: ids.tplA, caId: root.id } }), "profile A")).certificateProfile.id;
  ids.profB = (await must(s.api("POST", PRO, { token: t, body: { projectId: p, slug: "cbi-b", templateId: tplB.certificateTemplate.id, caId: root.id } }), "profile B")).certificateProfile.id;
  ids.profSelf = (await must(s.api("POST", PRO, { token: t, body: { projectId: p, slug: "cbi-self", templateId: ids.tplA, issuerType: "self-signed" } }), "self-signed profile")).certificateProfile.id;

  // Another project the admin made, with a profile of its own.
  const other = (await must(s.api("POST", "/api/v1/projects", { token: t, body: { name: "cbi-elsewhere" } }), "other project")).project;
  const otherTpl = await must(s.api("POST", TPL, { token: t, body: { projectId: other.id, name: "cbi-other", preset: "tls-server" } }), "other template");
  ids.otherProfile = (await must(s.api("POST", PRO, { token: t, body: { projectId: other.id, slug: "cbi-other", templateId: otherTpl.certificateTemplate.id, issuerType: "self-signed" } }), "other profile")).certificateProfile.id;

  pem.good = opensslCsr(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "/CN=api.acme.com", "DNS:api.acme.com");
  pem.rsa1024 = opensslCsr(["-newkey", "rsa:1024"], "/CN=weak.acme.com", "DNS:weak.acme.com");
  pem.k1 = opensslCsr(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"], "/CN=k1.acme.com", "DNS:k1.acme.com");

  tokens.viewer = await userToken("cbi-viewer@example.com", { role: "viewer" });
  tokens.narrow = await userToken("cbi-narrow@example.com", { role: "member", profiles: ["cbi-a"] });
  tokens.noKeys = await userToken("cbi-member@example.com", { role: "member" });
  tokens.withKeys = await userToken("cbi-keys@example.com", { role: "member", canReadPrivateKeys: true });

  ids.serverCert = (await must(issue({ profileId: ids.profA, attributes: { commonName: "key.acme.com" } }), "server-key certificate")).certificate.certificateId;
});
afterAll(async () => s?.close());

describe("fail/ the CSR", () => {
  it("ok/ the good CSR issues (the fixture is sound)", async () => {
    const res = await issue({ profileId: ids.profA, csr: pem.good });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
  it("truncated PEM (no END line) → 422 csr unparseable", async () => {
    expectProblem(await issue({ profileId: ids.profA, csr: pem.good.slice(0, pem.good.length / 2) }), 422, "csr", "unparseable");
  });
  it("truncated DER inside the armour → 422 csr unparseable", async () => {
    const der = derOf(pem.good);
    expectProblem(await issue({ profileId: ids.profA, csr: toPem(der.subarray(0, der.length - 20), "CERTIFICATE REQUEST") }), 422, "csr", "unparseable");
  });
  it.each([
    ["plain text", () => "this is not a CSR"],
    ["random base64 in armour", () => toPem(Buffer.from("garbage garbage garbage"), "CERTIFICATE REQUEST")],
    ["a certificate label", () => pem.good.replace(/CERTIFICATE REQUEST/g, "CERTIFICATE")],
  ])("garbage CSR (%s) → 422 csr unparseable", async (_, csr) => {
    expectProblem(await issue({ profileId: ids.profA, csr: csr() }), 422, "csr", "unparseable");
  });
  it("garbage CSR (NUL bytes) → 400 csr invalid_characters, refused at the edge", async () => {
    expectProblem(await issue({ profileId: ids.profA, csr: "\u0000".repeat(100) }), 400, "csr", "invalid_characters");
  });
  it("a CSR with a bad signature → 422 csr bad_signature", async () => {
    expectProblem(await issue({ profileId: ids.profA, csr: flipLast(pem.good) }), 422, "csr", "bad_signature");
    expectProblem(await preview({ profileId: ids.profA, csr: flipLast(pem.good) }), 422, "csr", "bad_signature");
  });
  it("a 1 MB CSR string → 400 or 413", async () => {
    expectProblem(await issue({ profileId: ids.profA, csr: "A".repeat(1_000_000) }), [400, 413]);
    const res = await issue({ profileId: ids.profA, csr: "A".repeat(100_000) });
    expectProblem(res, 400, "csr");
  });
  it("an RSA-1024 CSR → 422 naming csr", async () => {
    const res = await issue({ profileId: ids.profA, csr: pem.rsa1024 });
    expectProblem(res, 422, "csr");
    expect(JSON.stringify(res.body.violations)).toMatch(/1024/);
  });
  it("a secp256k1 CSR → 422 csr unsupported_key", async () => {
    expectProblem(await issue({ profileId: ids.profA, csr: pem.k1 }), 422, "csr", "unsupported_key");
  });
  it("a CSR carrying a CA's own key → 422 csr key_is_ca_key", async () => {
    expectProblem(await issue({ profileId: ids.profA, csr: pem.caCsr, attributes: { commonName: "x.acme.com" } }), 422, "csr", "key_is_ca_key");
  });
  it("a CSR on a self-signed profile → 422 self_signed_needs_server_key", async () => {
    expectProblem(await issue({ profileId: ids.profSelf, csr: pem.good }), 422, "csr", "self_signed_needs_server_key");
  });
});

describe("fail/ names and lifetimes", () => {
  const dns = (...values: string[]) => values.map((value) => ({ type: "dns_name", value }));
  it("a SAN smuggling a second name → 422 naming the SAN", async () => {
    const res = await issue({ profileId: ids.profA, attributes: { commonName: "a.acme.com", altNames: dns("a.acme.com,DNS:evil.com") } });
    expectProblem(res, 422, "attributes.altNames[0]");
    expect(res.body.violations.find((v: { field: string }) => v.field === "attributes.altNames[0]").value).toBe("a.acme.com,DNS:evil.com");
  });
  it("NUL bytes in the CN → 400 invalid_characters (refused at the edge)", async () => {
    expectProblem(await issue({ profileId: ids.profA, attributes: { commonName: "a.acme.com\u0000.evil.com", altNames: dns("a.acme.com") } }), 400, "attributes.commonName", "invalid_characters");
  });
  it("NUL bytes in a SAN → 400 naming the SAN", async () => {
    expectProblem(await issue({ profileId: ids.profA, attributes: { commonName: "a.acme.com", altNames: dns("a.acme.com", "b.acme.com\u0000.evil.com") } }), 400, "attributes.altNames.1.value", "invalid_characters");
  });
  it("a line feed in the CN → 422 control_character (the policy refuses what the edge lets through)", async () => {
    expectProblem(await issue({ profileId: ids.profA, attributes: { commonName: "a.acme.com\n.evil.com", altNames: dns("a.acme.com") } }), 422, "attributes.commonName", "control_character");
  });
  it("1,000 SANs → 422 too_many_sans", async () => {
    const res = await issue({ profileId: ids.profA, attributes: { commonName: "a.acme.com", altNames: dns(...Array.from({ length: 1000 }, (_, i) => `h${i}.acme.com`)) } });
    expectProblem(res, 422, "attributes.altNames", "too_many_sans");
  });
  it("1,001 SANs → 400 (the schema's bound)", async () => {
    expectProblem(await issue({ profileId: ids.profA, attributes: { altNames: dns(...Array.from({ length: 1001 }, (_, i) => `h${i}.acme.com`)) } }), 400, /^attributes\.altNames/);
  });
  it("a wildcard where the template allows only exact names → 422", async () => {
    expectProblem(await issue({ profileId: ids.profB, attributes: { commonName: "a.acme.com", altNames: dns("a.acme.com", "*.acme.com") } }), 422, "attributes.altNames[1]");
    expectProblem(await issue({ profileId: ids.profB, attributes: { commonName: "*.acme.com" } }), 422, "attributes.commonName");
    // The same wildcard is fine on *.acme.com.
    expect((await preview({ profileId: ids.profA, attributes: { commonName: "*.acme.com" } })).status).toBe(200);
  });
  it("a CN outside the allowed pattern → 422 naming attributes.commonName", async () => {
    for (const cn of ["evil.com", "a.b.acme.com", "acme.com"]) expectProblem(await issue({ profileId: ids.profA, attributes: { commonName: cn } }), 422, "attributes.commonName");
  });
  it("a CSR's CN outside the allowed pattern → 422 naming the CSR field", async () => {
    const csr = opensslCsr(["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"], "/CN=evil.com", "DNS:evil.com");
    expectProblem(await issue({ profileId: ids.profA, csr }), 422, /^csr\./);
  });
  it("a ttl beyond validity.max → 422 validity_too_long", async () => {
    expectProblem(await issue({ profileId: ids.profA, attributes: { commonName: "a.acme.com", ttl: "91d" } }), 422, "attributes.ttl", "validity_too_long");
  });
  it("three broken rules at once → exactly three violations, each with field, code, message, value", async () => {
    const res = await issue({ profileId: ids.profA, attributes: { commonName: "a.acme.com", country: "1A", altNames: dns("a.acme.com", "a.acme.com,DNS:evil.com"), ttl: "400d" } });
    expectProblem(res, 422);
    const vs = res.body.violations as { field: string; code: string; message: string; value: unknown }[];
    expect(vs.map((v) => `${v.field}:${v.code}`).sort(), JSON.stringify(vs)).toEqual(["attributes.altNames[1]:invalid_dns_name", "attributes.country:invalid_country", "attributes.ttl:validity_too_long"]);
    for (const v of vs) {
      expect(typeof v.code).toBe("string");
      expect(v.message.length).toBeGreaterThan(0);
      expect(v).toHaveProperty("value");
    }
    expect(vs.find((v) => v.field === "attributes.country")!.value).toBe("1A");
    expect(vs.find((v) => v.field === "attributes.ttl")!.value).toBe("400d");
  });
  it("a CN outside the pattern with server_auth breaks two rules: the subject's and, as the added SAN, the DNS one", async () => {
    // docs/templates.md: the CN is added to the SANs and checked like any other SAN.
    const res = await issue({ profileId: ids.profA, attributes: { commonName: "evil.com" } });
    expectProblem(res, 422);
    const vs = res.body.violations as { field: string; code: string; message: string }[];
    expect(vs.map((v) => `${v.field}:${v.code}`)).toEqual(["attributes.commonName:not_allowed", "attributes.commonName:not_allowed"]);
    expect(vs[0].message).not.toBe(vs[1].message);
  });
  it("nothing was issued for any refused request", async () => {
    const list = await must(s.api("GET", `${CERTS}?projectId=${s.defaultProjectId}`, { token: t }), "list");
    expect(list.certificates.map((c: { commonName: string }) => c.commonName).sort()).toEqual(["api.acme.com", "key.acme.com"]);
  });
});

describe("fail/ profiles and permissions", () => {
  it("an unknown profile → 404", async () => {
    expectProblem(await issue({ profileId: crypto.randomUUID(), attributes: { commonName: "a.acme.com" } }), 404);
    expectProblem(await preview({ profileId: crypto.randomUUID(), attributes: { commonName: "a.acme.com" } }), 404);
  });
  it("another project's profile → 404, not 403", async () => {
    expectProblem(await issue({ profileId: ids.otherProfile, attributes: { commonName: "a.acme.com" } }, tokens.noKeys), 404);
    expectProblem(await preview({ profileId: ids.otherProfile, attributes: { commonName: "a.acme.com" } }, tokens.noKeys), 404);
  });
  it("a viewer cannot issue → 403", async () => {
    expectProblem(await issue({ profileId: ids.profA, attributes: { commonName: "v.acme.com" } }, tokens.viewer), 403);
    expectProblem(await preview({ profileId: ids.profA, attributes: { commonName: "v.acme.com" } }, tokens.viewer), 403);
  });
  it("a membership narrowed to profile A issues on A and gets 403 on B", async () => {
    const ok = await issue({ profileId: ids.profA, attributes: { commonName: "n.acme.com" } }, tokens.narrow);
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expectProblem(await issue({ profileId: ids.profB, attributes: { commonName: "a.acme.com" } }, tokens.narrow), 403);
    // Its certificates on A it may revoke; nothing on B.
    expect((await s.api("POST", `${CERTS}/${ok.body.certificate.certificateId}/revoke`, { token: tokens.narrow, body: { revocationReason: "SUPERSEDED" } })).status).toBe(200);
  });
  it("the private key: member without canReadPrivateKeys → 403; with it → 200; admin → 200; audited", async () => {
    const path = `${CERTS}/${ids.serverCert}/private-key`;
    expectProblem(await s.api("GET", path, { token: tokens.noKeys }), 403);
    expectProblem(await s.api("GET", path, { token: tokens.viewer }), 403);
    const bundle = await s.api("GET", `${CERTS}/${ids.serverCert}/bundle`, { token: tokens.noKeys });
    expect(bundle.status).toBe(200);
    expect(bundle.body.privateKey).toBeNull();
    const withKeys = await s.api("GET", path, { token: tokens.withKeys, headers: { accept: "application/json" } });
    expect(withKeys.status, JSON.stringify(withKeys.body)).toBe(200);
    expect(withKeys.body.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect((await s.api("GET", path, { token: t })).body).toBe(withKeys.body.privateKey);
    const logs = await must(s.api("GET", `/api/v1/projects/${s.defaultProjectId}/audit-logs?action=certificate.private-key&objectId=${ids.serverCert}`, { token: t }), "audit");
    expect(logs.auditLogs.map((e: { outcome: string }) => e.outcome)).toEqual(["success", "success"]);
    // A CSR-issued certificate has no key to give.
    const list = await must(s.api("GET", `${CERTS}?projectId=${s.defaultProjectId}&search=api.acme.com`, { token: t }), "list");
    expectProblem(await s.api("GET", `${CERTS}/${list.certificates[0].id}/private-key`, { token: t }), 409);
  });
});

describe("property: random issue bodies never get a 5xx", () => {
  it("POST …/certificates/preview with ≥ 500 random and mutated bodies", async () => {
    const good = derOf(pem.good);
    const junk = fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.constant(null), fc.boolean(), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }));
    const mostly = <T>(g: fc.Arbitrary<T>) => fc.oneof({ arbitrary: g, weight: 20 }, { arbitrary: junk, weight: 1 });
    const flipped = fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
      const der = Buffer.from(good);
      for (const [i, x] of flips) der[i] ^= x;
      return toPem(der, "CERTIFICATE REQUEST");
    });
    const cut = fc.nat({ max: good.length - 1 }).map((n) => toPem(good.subarray(0, n), "CERTIFICATE REQUEST"));
    const randomDer = fc.uint8Array({ maxLength: 400 }).map((d) => toPem(d, "CERTIFICATE REQUEST"));
    const csr = fc.oneof(fc.string({ maxLength: 100 }), flipped, cut, randomDer, fc.constantFrom(pem.good, pem.rsa1024, pem.k1, pem.caCsr));
    const label = fc.oneof(fc.constantFrom("a", "api", "*", "xn--bcher-kva", "A", "-a", "a-", "évil", "a.b"), fc.string({ maxLength: 10 }));
    const host = fc.oneof({ arbitrary: label.map((l) => `${l}.acme.com`), weight: 6 }, { arbitrary: fc.constantFrom("evil.com", "a.acme.com,DNS:evil.com", "a.acme.com\u0000.x", "acme.com.", "10.0.0.1", "::1", "1".repeat(300)), weight: 2 }, { arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 30 }), weight: 1 });
    const altName = fc.record({ type: mostly(fc.constantFrom("dns_name", "ip_address", "email", "uri", "upn")), value: mostly(host) });
    const date = fc.integer({ min: -400, max: 4000 }).map((d) => new Date(Date.now() + d * 86400_000).toISOString());
    const attributes = fc.record(
      {
        commonName: mostly(host),
        organization: mostly(fc.string({ maxLength: 70 })),
        country: mostly(fc.oneof(fc.constantFrom("US", "de", "ZZ", "1A"), fc.string({ maxLength: 3 }))),
        altNames: mostly(fc.array(altName, { maxLength: 6 })),
        ttl: mostly(fc.oneof(fc.constantFrom("1d", "90d", "91d", "1y", "0s", "12h", "1m", "-1d", "99999999999y"), fc.string({ maxLength: 6 }))),
        notBefore: mostly(date),
        notAfter: mostly(date),
        keyAlgorithm: mostly(fc.constantFrom("EC_prime256v1", "RSA_2048", "ED25519", "EC_secp384r1")),
        signatureAlgorithm: mostly(fc.constantFrom("ECDSA-SHA256", "RSA-SHA256", "ED25519")),
        keyUsages: mostly(fc.array(fc.constantFrom("digital_signature", "key_encipherment", "key_agreement", "key_cert_sign", "crl_sign", "data_encipherment"), { maxLength: 4 })),
        extendedKeyUsages: mostly(fc.array(fc.constantFrom("server_auth", "client_auth", "code_signing", "email_protection"), { maxLength: 3 })),
      },
      { requiredKeys: [] },
    );
    const structured = fc.record(
      { profileId: mostly(fc.oneof({ arbitrary: fc.constantFrom(ids.profA, ids.profB, ids.profSelf), weight: 8 }, fc.constant(ids.otherProfile), fc.uuid())), csr: fc.oneof({ arbitrary: csr, weight: 3 }, { arbitrary: junk, weight: 1 }), attributes: mostly(attributes), removeRootsFromChain: mostly(fc.boolean()) },
      { requiredKeys: ["profileId"] },
    );
    // Plausible requests, so a good share reaches the signer's preview and answers 200.
    const plausible = fc.record(
      { profileId: fc.constant(ids.profA), csr: fc.oneof({ arbitrary: fc.constant(pem.good), weight: 1 }, { arbitrary: flipped, weight: 1 }), attributes: fc.record({ commonName: label.map((l) => `${l}.acme.com`), ttl: fc.constantFrom("1d", "30d", "90d", "91d") }, { requiredKeys: [] }) },
      { requiredKeys: ["profileId", "attributes"] },
    );
    const body = fc.oneof({ arbitrary: fc.anything(), weight: 1 }, { arbitrary: fc.object(), weight: 1 }, { arbitrary: structured, weight: 10 }, { arbitrary: plausible, weight: 4 });
    let n = 0;
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        n++;
        const res = await s.api("POST", `${CERTS}/preview`, { token: t, body: b === undefined ? null : b });
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        expect(res.status, `${JSON.stringify(b)?.slice(0, 400)} → ${JSON.stringify(res.body).slice(0, 400)}`).toBeLessThan(500);
        if (res.status !== 200) expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      }),
      { numRuns: 1000, seed: Number(process.env.STAMP_FC_SEED) || undefined },
    );
    expect(n).toBeGreaterThanOrEqual(500);
    console.log(`preview statuses over ${n} bodies: ${JSON.stringify(Object.fromEntries(seen))}`);
    // The bodies get past the schema into policy and the signer, not only into the validator.
    expect([...seen.keys()]).toEqual(expect.arrayContaining([200, 400, 422]));
  });
});
