import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requestFrom } from "./helpers/from-address.js";
import { startServer, type TestServer } from "./helpers/harness.js";
import { openssl } from "./helpers/openssl.js";

// Bad input gets a 4xx problem+json that names what is wrong, never a 500.

const CA = "/api/v1/cert-manager/ca/internal";
let s: TestServer;
let t: string;
const ids = { root: "", root0: "", ext: "", ext2: "", fuzz: "" };
const pem = { root: "", root0: "", extCsr: "", extSigned: "", ext2Signed: "", fuzzSigned: "", leaf: "", rsa1024Csr: "" };
let rootNotAfter = "";

type Res = { status: number; body: any; headers: Headers };

/** Asserts a problem+json answer with `status`; with `field`, one violation names it (exactly or as a suffix). */
function expectProblem(res: Res, status: number, field?: string | RegExp, code?: string) {
  const detail = `${res.status} ${JSON.stringify(res.body).slice(0, 600)}`;
  expect(res.status, detail).toBe(status);
  expect(res.headers.get("content-type"), detail).toMatch(/^application\/problem\+json/);
  expect(res.body.status, detail).toBe(status);
  expect(typeof res.body.detail, detail).toBe("string");
  if (field === undefined) return;
  const vs: { field: string; code: string }[] = res.body.violations ?? [];
  const hit = vs.find((v) => (typeof field === "string" ? v.field === field || v.field.endsWith(`.${field}`) : field.test(v.field)) && (!code || v.code === code));
  expect(hit, `no violation on ${field}${code ? ` (${code})` : ""}: ${detail}`).toBeTruthy();
}

const pemOf = (text: string, label: string) => {
  const m = new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----\\n?`).exec(text);
  if (!m) throw new Error(`no ${label} in openssl output: ${text.slice(0, 500)}`);
  return m[0];
};
const derOf = (p: string) => Buffer.from(p.replace(/-----[^-]+-----|\s/g, ""), "base64");
const toPem = (der: Uint8Array, label: string) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END ${label}-----\n`;
/** Flips the last byte: for ECDSA it sits inside the signature's s integer, so DER stays well-formed. */
const flipLast = (p: string, label: string) => {
  const der = derOf(p);
  der[der.length - 1] ^= 0x01;
  return toPem(der, label);
};
const later = (days: number) => new Date(Date.now() + days * 86400_000).toISOString();

async function create(name: string, configuration: Record<string, unknown>) {
  return s.api("POST", CA, { token: t, body: { projectId: s.defaultProjectId, name, configuration: { keyAlgorithm: "EC_prime256v1", ...configuration } } });
}
async function must(r: Promise<Res>, what: string) {
  const res = await r;
  if (res.status !== 200) throw new Error(`setup ${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

beforeAll(async () => {
  s = await startServer();
  t = s.adminToken;
  const root = await must(create("bi-root", { type: "root", commonName: "BI Root", maxPathLength: 2 }), "root");
  const root0 = await must(create("bi-root0", { type: "root", commonName: "BI Root Zero", maxPathLength: 0 }), "root0");
  ids.root = root.id;
  ids.root0 = root0.id;
  rootNotAfter = root.configuration.notAfter;
  pem.root = (await must(s.api("GET", `${CA}/${root.id}/certificate`, { token: t }), "root cert")).certificate;
  pem.root0 = (await must(s.api("GET", `${CA}/${root0.id}/certificate`, { token: t }), "root0 cert")).certificate;
  for (const k of ["ext", "ext2", "fuzz"] as const) {
    const ca = await must(create(`bi-${k}`, { type: "intermediate", commonName: `BI ${k}` }), k);
    ids[k] = ca.id;
    const csr = (await must(s.api("GET", `${CA}/${ca.id}/csr`, { token: t }), `${k} csr`)).csr;
    if (k === "ext") pem.extCsr = csr;
    const signed = await must(s.api("POST", `${CA}/${root.id}/sign-intermediate`, { token: t, body: { csr, notAfter: later(365), maxPathLength: 0 } }), `${k} signed`);
    pem[`${k}Signed`] = signed.certificate;
  }
  pem.leaf = pemOf(
    openssl(() => ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "k.pem", "-subj", "/CN=leaf", "-days", "30", "-addext", "basicConstraints=critical,CA:FALSE"], {}).out,
    "CERTIFICATE",
  );
  pem.rsa1024Csr = pemOf(openssl(() => ["req", "-new", "-newkey", "rsa:1024", "-nodes", "-keyout", "k.pem", "-subj", "/CN=Weak CA"], {}).out, "CERTIFICATE REQUEST");
});
afterAll(async () => s?.close());

describe("fail/ CA create", () => {
  it.each(["RSA_1024", "EC_secp256k1", "", "rsa_2048"])("unknown keyAlgorithm %j → 400 naming configuration.keyAlgorithm", async (alg) => {
    expectProblem(await create("bad-alg", { type: "root", commonName: "X", keyAlgorithm: alg }), 400, "configuration.keyAlgorithm");
  });
  it("notAfter before notBefore → 422 validity_order", async () => {
    expectProblem(await create("bad-order", { type: "root", commonName: "X", notBefore: later(30), notAfter: later(10) }), 422, "configuration.notAfter", "validity_order");
  });
  it("notAfter in the past → 422 in_the_past", async () => {
    expectProblem(await create("bad-past", { type: "root", commonName: "X", notBefore: "2000-01-01", notAfter: "2001-01-01" }), 422, "configuration.notAfter", "in_the_past");
  });
  it("a dateless date string → 400 naming the field", async () => {
    expectProblem(await create("bad-date", { type: "root", commonName: "X", notAfter: "next tuesday" }), 400, "configuration.notAfter");
  });
  it("a child outliving its parent → 422 outlives_parent", async () => {
    const notAfter = new Date(new Date(rootNotAfter).getTime() + 86400_000).toISOString();
    expectProblem(await create("bad-outlive", { type: "intermediate", commonName: "X", parentCaId: ids.root, notAfter }), 422, "configuration.notAfter", "outlives_parent");
  });
  it.each([2, 5, -1])("maxPathLength %d not below the parent's 2 → 422", async (maxPathLength) => {
    expectProblem(await create("bad-pathlen", { type: "intermediate", commonName: "X", parentCaId: ids.root, maxPathLength }), 422, "configuration.maxPathLength", "path_length_exceeds_parent");
  });
  it("a parent with maxPathLength 0 signing a CA → 422", async () => {
    expectProblem(await create("bad-parent0", { type: "intermediate", commonName: "X", parentCaId: ids.root0 }), 422, "configuration.parentCaId", "parent_path_length");
  });
  it("an unknown parent → 422 unknown_parent", async () => {
    expectProblem(await create("bad-parent", { type: "intermediate", commonName: "X", parentCaId: crypto.randomUUID() }), 422, "configuration.parentCaId", "unknown_parent");
  });
  it('country "USA" → 400 naming configuration.country', async () => {
    expectProblem(await create("bad-country", { type: "root", commonName: "X", country: "USA" }), 400, "configuration.country");
  });
  it('country "1A" → 422 invalid_country', async () => {
    expectProblem(await create("bad-country2", { type: "root", commonName: "X", country: "1A" }), 422, "configuration.country", "invalid_country");
  });
  it("commonName of 65 characters → 400 naming configuration.commonName", async () => {
    expectProblem(await create("bad-cn", { type: "root", commonName: "x".repeat(65) }), 400, "configuration.commonName");
  });
  it("NUL bytes in commonName → 400 invalid_characters (refused at the edge)", async () => {
    expectProblem(await create("bad-nul", { type: "root", commonName: "Evil\u0000Root" }), 400, "configuration.commonName", "invalid_characters");
  });
  it("a tab in commonName → 422 control_character (the DN rules refuse what the edge lets through)", async () => {
    expectProblem(await create("bad-tab", { type: "root", commonName: "Evil\tRoot" }), 422, "configuration.commonName", "control_character");
  });
  it("a duplicate name → 422 duplicate", async () => {
    expectProblem(await create("bi-root", { type: "root", commonName: "Again" }), 422, "name", "duplicate");
  });
  it("three broken rules at once → 422 with three violations", async () => {
    const res = await create("bi-root", { type: "root", commonName: "Evil\tRoot", notBefore: "2000-01-01", notAfter: "2001-01-01" });
    expectProblem(res, 422);
    expect(res.body.violations.map((v: { field: string; code: string }) => `${v.field}:${v.code}`).sort()).toEqual(["configuration.commonName:control_character", "configuration.notAfter:in_the_past", "name:duplicate"]);
  });
  it("a root with parentCaId → 422 root_has_parent", async () => {
    expectProblem(await create("bad-root-parent", { type: "root", commonName: "X", parentCaId: ids.root }), 422, "configuration.parentCaId", "root_has_parent");
  });
  it("schema errors list every field at once", async () => {
    const res = await s.api("POST", CA, { token: t, body: { projectId: "nope", name: "", configuration: { type: "leaf", commonName: "", keyAlgorithm: "DSA" } } });
    expectProblem(res, 400);
    const fields = res.body.violations.map((v: { field: string }) => v.field);
    for (const f of ["projectId", "name", "configuration.type", "configuration.commonName", "configuration.keyAlgorithm"]) expect(fields).toContain(f);
  });
  it("nothing half-made stays behind", async () => {
    const list = await s.api("GET", `${CA}?projectId=${s.defaultProjectId}`, { token: t });
    expect(list.body.map((c: { name: string }) => c.name).sort()).toEqual(["bi-ext", "bi-ext2", "bi-fuzz", "bi-root", "bi-root0"]);
  });
});

describe("fail/ import-certificate", () => {
  const imp = (certificate: string, certificateChain: string, id = ids.ext) => s.api("POST", `${CA}/${id}/import-certificate`, { token: t, body: { certificate, certificateChain } });
  it("garbage certificate → 400 naming certificate", async () => {
    expectProblem(await imp("this is not a certificate", pem.root), 400, "certificate");
  });
  it("garbage base64 inside PEM armour → 400 naming certificate", async () => {
    expectProblem(await imp(toPem(Buffer.from("not DER at all"), "CERTIFICATE"), pem.root), 400, "certificate");
  });
  it("truncated PEM (no END line) → 400", async () => {
    expectProblem(await imp(pem.extSigned.slice(0, pem.extSigned.length / 2), pem.root), 400, "certificate");
  });
  it("truncated PEM (DER cut short) → 400", async () => {
    const der = derOf(pem.extSigned);
    expectProblem(await imp(toPem(der.subarray(0, der.length - 40), "CERTIFICATE"), pem.root), 400, "certificate");
  });
  it("a CSR instead of a certificate → 400", async () => {
    expectProblem(await imp(pem.extCsr, pem.root), 400, "certificate");
  });
  it("garbage in the chain → 400 naming certificateChain", async () => {
    expectProblem(await imp(pem.extSigned, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), 400, /^certificateChain/);
  });
  it("two certificates in certificate → 400", async () => {
    expectProblem(await imp(pem.extSigned + pem.root, pem.root), 400, "certificate");
  });
  it("a certificate whose key does not match → 422 key_mismatch", async () => {
    expectProblem(await imp(pem.ext2Signed, pem.root), 422, "certificate", "key_mismatch");
  });
  it("a non-CA certificate → 422 not_a_ca", async () => {
    expectProblem(await imp(pem.leaf, pem.leaf), 422, "certificate", "not_a_ca");
  });
  it("a chain that does not reach the issuer → 422", async () => {
    expectProblem(await imp(pem.extSigned, pem.root0), 422, /^certificateChain/);
  });
  it("a chain whose root signature is broken → 422 signature_invalid", async () => {
    expectProblem(await imp(pem.extSigned, flipLast(pem.root, "CERTIFICATE")), 422, "certificateChain[0]", "signature_invalid");
  });
  it("an empty chain → 422 chain_missing", async () => {
    expectProblem(await imp(pem.extSigned, ""), 422, "certificateChain", "chain_missing");
  });
  it("an empty certificate → 400 naming body.certificate", async () => {
    expectProblem(await imp("", pem.root), 400, "certificate");
  });
  it("the CA is still pending", async () => {
    expect((await s.api("GET", `${CA}/${ids.ext}`, { token: t })).body.status).toBe("pending-certificate");
  });
});

describe("fail/ sign-intermediate", () => {
  const sign = (body: Record<string, unknown>) => s.api("POST", `${CA}/${ids.root}/sign-intermediate`, { token: t, body: { notAfter: later(30), maxPathLength: 0, ...body } });
  it("garbage CSR → 400 naming csr", async () => {
    expectProblem(await sign({ csr: "garbage" }), 400, "csr");
  });
  it("a CSR with a bad signature → 422 bad_signature", async () => {
    expectProblem(await sign({ csr: flipLast(pem.extCsr, "CERTIFICATE REQUEST") }), 422, "csr", "bad_signature");
  });
  it("a 1 MB CSR string → 400 naming body.csr", async () => {
    expectProblem(await sign({ csr: "A".repeat(1_000_000) }), 400, "csr");
  });
  it("an RSA-1024 CSR → 422 unsupported_key", async () => {
    expectProblem(await sign({ csr: pem.rsa1024Csr }), 422, "csr", "unsupported_key");
  });
  it("notAfter after the CA's → 422 outlives_issuer", async () => {
    const notAfter = new Date(new Date(rootNotAfter).getTime() + 86400_000).toISOString();
    expectProblem(await sign({ csr: pem.extCsr, notAfter }), 422, "notAfter", "outlives_issuer");
  });
  it("maxPathLength not below the CA's → 422", async () => {
    expectProblem(await sign({ csr: pem.extCsr, maxPathLength: 2 }), 422, "maxPathLength", "path_length_exceeds_issuer");
  });
  it("a CA with maxPathLength 0 signing a CA → 422", async () => {
    expectProblem(await s.api("POST", `${CA}/${ids.root0}/sign-intermediate`, { token: t, body: { csr: pem.extCsr, notAfter: later(30), maxPathLength: 0 } }), 422, "maxPathLength", "issuer_path_length");
  });
  it("a pending CA cannot sign → 409", async () => {
    expectProblem(await s.api("POST", `${CA}/${ids.ext2}/sign-intermediate`, { token: t, body: { csr: pem.extCsr, notAfter: later(30), maxPathLength: 0 } }), 409);
  });
});

describe("fail/ transport", () => {
  it("a 10 MB JSON body → 413", async () => {
    const res = await s.api("POST", CA, { token: t, body: JSON.stringify({ projectId: s.defaultProjectId, name: "x".repeat(10 * 1024 * 1024) }) });
    expectProblem(res, 413);
  });
  it("invalid JSON → 400", async () => {
    expectProblem(await s.api("POST", CA, { token: t, body: '{"projectId": ' }), 400);
  });
  it("an empty JSON body → 400", async () => {
    expectProblem(await s.api("POST", CA, { token: t, body: "", headers: { "content-type": "application/json" } }), 400);
  });
  it.each(["application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])("wrong content-type %s → 415", async (type) => {
    expectProblem(await s.api("POST", CA, { token: t, body: "<ca/>", headers: { "content-type": type } }), 415);
  });
  // Known gap: Fastify's default text/plain parser is still registered (removing it is a change
  // to http/app.ts), so text/plain reaches the schema and answers 400. Remove `.fails` once fixed.
  it("wrong content-type text/plain → 415", async () => {
    expectProblem(await s.api("POST", CA, { token: t, body: "projectId=1", headers: { "content-type": "text/plain" } }), 415);
  });
  it.each([
    ["GET", "/api/v1/projects/not-a-uuid", "params.id"],
    ["GET", `${CA}/123`, "params.id"],
    ["POST", `${CA}/..%2F..%2Fetc/renew`, "params.id"],
    ["DELETE", "/api/v1/projects/00000000-0000-4000-8000-000000000000/memberships/zzz", "params.membershipId"],
    ["GET", `${CA}?projectId=nope`, "query.projectId"],
  ])("%s %s → 400 naming %s", async (method, path, field) => {
    expectProblem(await s.api(method, path, { token: t, body: method === "POST" ? {} : undefined }), 400, field);
  });
  it("a path id longer than the router allows → 414", async () => {
    expect((await s.api("GET", `/api/v1/projects/${"a".repeat(500)}`, { token: t })).status).toBe(414);
  });
  // Known gap: the router's FST_ERR_MAX_PARAM_LENGTH answer bypasses the error handler (it needs
  // Fastify's frameworkErrors option in http/app.ts), so it is plain JSON. Remove `.fails` once fixed.
  it("a path id longer than the router allows → problem+json", async () => {
    expectProblem(await s.api("GET", `/api/v1/projects/${"a".repeat(500)}`, { token: t }), 414);
  });
  it("an unknown route → 404", async () => {
    expectProblem(await s.api("GET", "/api/v1/nothing-here", { token: t }), 404);
    expectProblem(await s.api("PUT", CA, { token: t, body: {} }), 404);
  });
  it("an unknown project → 404", async () => {
    expectProblem(await s.api("GET", `/api/v1/projects/${crypto.randomUUID()}`, { token: t }), 404);
  });
  it("a malformed Authorization header → 401", async () => {
    expectProblem(await s.api("GET", "/api/v1/auth/me", { headers: { authorization: "Basic Zm9vOmJhcg==" } }), 401);
  });
});

describe("fail/ login", () => {
  // Each case uses its own loopback addresses (no header can fake them): limits count per
  // (account, address) and per address.
  const login = (from: string, email: string, password: string) => requestFrom(from, `${s.url}/api/v1/auth/login`, "POST", { email, password });
  it("a wrong password → 401", async () => {
    const res = await login("127.0.0.2", "admin@example.com", "not the password");
    expect(res.status).toBe(401);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(JSON.stringify(res.body)).not.toContain("not the password");
  });
  it("the 11th failed login for one account from one address → 429 with Retry-After; the owner logs in from another address", async () => {
    const email = "limited@example.com";
    const password = "limited user password";
    await must(s.api("POST", "/api/v1/users", { token: t, body: { email, password } }), "limited user");
    for (let i = 1; i <= 10; i++) expect((await login("127.0.1.1", email, `wrong ${i}`)).status, `attempt ${i}`).toBe(401);
    const res = await login("127.0.1.1", email, "wrong 11");
    expect(res.status).toBe(429);
    expect(res.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const retry = Number(res.headers["retry-after"]);
    expect(retry).toBeGreaterThan(0);
    expect(retry).toBeLessThanOrEqual(300);
    // From the locked-out address not even the right password gets through...
    expect((await login("127.0.1.1", email, password)).status).toBe(429);
    // ...but the owner, from any other address, logs in: a guesser locks out only itself.
    expect((await login("127.0.1.2", email, password)).status).toBe(200);
    // Another account from the locked-out address is not affected either.
    expect((await login("127.0.1.1", "admin@example.com", "correct horse battery staple")).status).toBe(200);
  });
  it("one address failing on many accounts hits the per-address limit (30 per window); other addresses do not", async () => {
    for (let i = 1; i <= 30; i++) expect((await login("127.0.2.1", `sprayed-${i}@example.com`, "Summer2026!!")).status, `attempt ${i}`).toBe(401);
    const res = await login("127.0.2.1", "sprayed-31@example.com", "Summer2026!!");
    expect(res.status).toBe(429);
    expect(Number(res.headers["retry-after"])).toBeGreaterThan(0);
    expect((await login("127.0.2.1", "admin@example.com", "correct horse battery staple")).status).toBe(429);
    expect((await login("127.0.2.2", "admin@example.com", "correct horse battery staple")).status).toBe(200);
  });
  it("machine identities: 10 failures for a client id lock out that address only", async () => {
    const ident = await must(s.api("POST", "/api/v1/identities", { token: t, body: { projectId: s.defaultProjectId, name: "limited-robot", role: "viewer" } }), "identity");
    const sec = await must(s.api("POST", `/api/v1/identities/${ident.identity.id}/universal-auth/client-secrets`, { token: t, body: {} }), "secret");
    const ua = (from: string, clientSecret: string) => requestFrom(from, `${s.url}/api/v1/auth/universal-auth/login`, "POST", { clientId: ident.identity.clientId, clientSecret });
    for (let i = 1; i <= 10; i++) expect((await ua("127.0.3.1", "f".repeat(64))).status, `attempt ${i}`).toBe(401);
    const locked = await ua("127.0.3.1", sec.clientSecret);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers["retry-after"])).toBeGreaterThan(0);
    expect((await ua("127.0.3.2", sec.clientSecret)).status).toBe(200);
  });
  it("successful logins do not count: 15 in a row from one address all succeed", async () => {
    for (let i = 1; i <= 15; i++) expect((await login("127.0.4.1", "limited@example.com", "limited user password")).status, `login ${i}`).toBe(200);
  });
});

describe("property: random bodies never get a 5xx", () => {
  const ALGS = ["EC_prime256v1", "ED25519"];
  it("POST …/ca/internal with ≥ 300 random bodies", async () => {
    const junk = fc.oneof(fc.string({ maxLength: 80 }), fc.integer(), fc.constant(null), fc.boolean(), fc.double(), fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }));
    // Mostly plausible values with an occasional wrong one, so requests reach the policy and the signer.
    const mostly = <T>(good: fc.Arbitrary<T>) => fc.oneof({ arbitrary: good, weight: 30 }, { arbitrary: junk, weight: 1 });
    const days = fc.integer({ min: -5 * 365, max: 20 * 365 }).map((d) => new Date(Date.now() + d * 86400_000).toISOString());
    const date = fc.oneof({ arbitrary: days, weight: 20 }, { arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), weight: 1 }, { arbitrary: days.map((d) => d.slice(0, 10)), weight: 3 }, { arbitrary: junk, weight: 1 });
    const configuration = fc.record(
      {
        type: mostly(fc.constantFrom("root", "intermediate")),
        commonName: mostly(fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.string({ unit: "binary", maxLength: 70 }))),
        organization: mostly(fc.string({ maxLength: 70 })),
        country: mostly(fc.oneof(fc.constantFrom("US", "de", "ZZ"), fc.string({ maxLength: 2 }))),
        notBefore: date,
        notAfter: date,
        maxPathLength: mostly(fc.integer({ min: -2, max: 33 })),
        keyAlgorithm: mostly(fc.constantFrom(...ALGS)),
        parentCaId: mostly(fc.oneof(fc.constantFrom(ids.root, ids.root0, ids.ext), fc.uuid())),
      },
      { requiredKeys: ["type", "commonName", "keyAlgorithm"] },
    );
    const structured = fc.record(
      { projectId: mostly(fc.oneof({ arbitrary: fc.constant(s.defaultProjectId), weight: 5 }, fc.uuid())), name: mostly(fc.string({ minLength: 1, maxLength: 110 })), status: mostly(fc.constantFrom("active", "disabled")), configuration: mostly(configuration) },
      { requiredKeys: ["projectId", "name", "configuration"] },
    );
    const body = fc.oneof({ arbitrary: fc.anything(), weight: 1 }, { arbitrary: fc.object(), weight: 1 }, { arbitrary: structured, weight: 6 });
    let n = 0;
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        n++;
        const res = await s.api("POST", CA, { token: t, body: b === undefined ? null : b });
        seen.add(res.status);
        expect(res.status, `${JSON.stringify(b)?.slice(0, 300)} → ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(500);
      }),
      { numRuns: 300, seed: Number(process.env.STAMP_FC_SEED) || undefined },
    );
    expect(n).toBeGreaterThanOrEqual(300);
    // The bodies get past the schema into the use case, not only into the validator.
    expect([...seen]).toEqual(expect.arrayContaining([400, 422]));
  });
  it("POST …/:id/import-certificate with ≥ 300 random bodies (mutated certificates included)", async () => {
    const good = derOf(pem.fuzzSigned);
    const mutated = fc.array(fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }).map((flips) => {
      const der = Buffer.from(good);
      for (const [i, x] of flips) der[i] ^= x;
      return toPem(der, "CERTIFICATE");
    });
    const cut = fc.nat({ max: good.length - 1 }).map((n) => toPem(good.subarray(0, n), "CERTIFICATE"));
    const randomDer = fc.uint8Array({ maxLength: 600 }).map((d) => toPem(d, "CERTIFICATE"));
    const text = fc.oneof(fc.string({ maxLength: 200 }), mutated, cut, randomDer, fc.constantFrom(pem.root, pem.root0, pem.extCsr, pem.leaf, pem.fuzzSigned));
    const structured = fc.record(
      { certificate: fc.oneof({ arbitrary: text, weight: 6 }, { arbitrary: fc.anything(), weight: 1 }), certificateChain: fc.oneof({ arbitrary: text, weight: 3 }, { arbitrary: fc.constant(pem.root), weight: 3 }, { arbitrary: fc.anything(), weight: 1 }) },
      { requiredKeys: ["certificate"] },
    );
    const body = fc.oneof({ arbitrary: fc.anything(), weight: 1 }, { arbitrary: fc.object(), weight: 1 }, { arbitrary: structured, weight: 6 });
    let n = 0;
    const seen = new Set<number>();
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        n++;
        const res = await s.api("POST", `${CA}/${ids.fuzz}/import-certificate`, { token: t, body: b === undefined ? null : b });
        seen.add(res.status);
        expect(res.status, `${JSON.stringify(b)?.slice(0, 300)} → ${JSON.stringify(res.body).slice(0, 300)}`).toBeLessThan(500);
      }),
      { numRuns: 300, seed: Number(process.env.STAMP_FC_SEED) || undefined },
    );
    expect(n).toBeGreaterThanOrEqual(300);
    // The bodies get past the schema into the use case, not only into the validator.
    expect([...seen]).toEqual(expect.arrayContaining([400, 422]));
  });
});
