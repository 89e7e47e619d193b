import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";
import { createHierarchy } from "./helpers/hierarchy.js";
import { openssl, x509Text } from "./helpers/openssl.js";

const CA = "/api/v1/cert-manager/ca/internal";
const CERTS = "/api/v1/cert-manager/certificates";

let s: TestServer;
let rootPem = "";
let intPem = "";
let intId = "";
let profileId = "";

async function issue(cn: string) {
  const r = await s.api("POST", CERTS, { token: s.adminToken, body: { profileId, attributes: { commonName: cn } } });
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  return r.body.certificate as { certificate: string; certificateId: string; serialNumber: string };
}
/** The URL path a certificate names in its CRL distribution point / Freshest CRL. */
function crlPath(certPem: string, which: "X509v3 CRL Distribution Points" | "X509v3 Freshest CRL") {
  const text = x509Text(certPem);
  const section = text.slice(text.indexOf(which));
  return new URL(/URI:(\S+)/.exec(section)![1]).pathname;
}
async function fetchCrl(path: string, format: "der" | "pem" = "pem") {
  const res = await fetch(`${s.url}${path}${format === "pem" ? "?format=pem" : ""}`);
  return { res, body: format === "pem" ? await res.text() : Buffer.from(await res.arrayBuffer()) };
}
const crlText = (pem: string) => openssl(() => ["crl", "-in", "c.pem", "-noout", "-text"], { "c.pem": pem }).out;
const crlVerify = (pem: string) => openssl(() => ["crl", "-in", "c.pem", "-CAfile", "ca.pem", "-noout"], { "c.pem": pem, "ca.pem": intPem });
const verifyWithCrl = (leaf: string, crl: string) =>
  openssl(() => ["verify", "-crl_check", "-CRLfile", "crl.pem", "-CAfile", "root.pem", "-untrusted", "int.pem", "leaf.pem"], { "crl.pem": crl, "root.pem": rootPem, "int.pem": intPem, "leaf.pem": leaf });

beforeAll(async () => {
  s = await startServer();
  ({ intId, rootPem, intPem, profileId } = await createHierarchy(s, "crl", "CRL"));
});
afterAll(async () => s?.close());

describe("ok/ CRLs", () => {
  it("publishes full and delta CRLs that OpenSSL verifies; a revoked leaf is rejected and a good one accepted; a lifted hold leaves the list", async () => {
    const good = await issue("good.crl.test");
    const bad = await issue("bad.crl.test");
    const held = await issue("held.crl.test");
    const fullPath = crlPath(good.certificate, "X509v3 CRL Distribution Points");
    const deltaPath = crlPath(good.certificate, "X509v3 Freshest CRL");
    expect(deltaPath).toBe(`${fullPath}/delta`);

    // The first CRL is built on demand: empty, verified by OpenSSL, with a Freshest CRL pointer.
    const first = await fetchCrl(fullPath);
    expect(first.res.status).toBe(200);
    expect(first.body).toMatch(/^-----BEGIN X509 CRL-----/);
    expect(crlVerify(first.body as string).out).toContain("verify OK");
    expect(crlText(first.body as string)).toContain("X509v3 Freshest CRL");
    expect(verifyWithCrl(good.certificate, first.body as string).out).toContain("leaf.pem: OK");

    const t = s.adminToken;
    const invalidity = new Date(Date.now() - 3600_000).toISOString();
    expect((await s.api("POST", `${CERTS}/${bad.certificateId}/revoke`, { token: t, body: { revocationReason: "KEY_COMPROMISE", invalidityDate: invalidity } })).status).toBe(200);
    expect((await s.api("POST", `${CERTS}/${held.certificateId}/revoke`, { token: t, body: { revocationReason: "CERTIFICATE_HOLD" } })).status).toBe(200);
    await s.server.jobs.runNow("crl");

    const full = (await fetchCrl(fullPath)).body as string;
    expect(crlVerify(full).out).toContain("verify OK");
    const text = crlText(full);
    expect(text).toContain(bad.serialNumber.toUpperCase());
    expect(text).toContain("Key Compromise");
    expect(text).toContain("Invalidity Date");
    expect(text).toContain("Certificate Hold");
    expect(text).toMatch(/X509v3 CRL Number:\s+\d+/);
    expect(text).toContain("X509v3 Authority Key Identifier");
    expect(verifyWithCrl(bad.certificate, full).out).toContain("certificate revoked");
    expect(verifyWithCrl(held.certificate, full).out).toContain("certificate revoked");
    expect(verifyWithCrl(good.certificate, full).out).toContain("leaf.pem: OK");

    const delta = (await fetchCrl(deltaPath)).body as string;
    expect(crlVerify(delta).out).toContain("verify OK");
    const dtext = crlText(delta);
    expect(dtext).toMatch(/X509v3 Delta CRL Indicator: critical\s+\d+/);
    const base = /X509v3 CRL Number:\s+(\d+)/.exec(text)![1];
    // The delta's base is the previous complete CRL (usable with it and with the newest one).
    expect(Number(/X509v3 Delta CRL Indicator: critical\s+(\d+)/.exec(dtext)![1])).toBeLessThanOrEqual(Number(base));
    expect(dtext).toContain(bad.serialNumber.toUpperCase());
    expect(Number(/X509v3 CRL Number:\s+(\d+)/.exec(dtext)![1])).toBeGreaterThan(Number(base));

    // Lift the hold: the next full CRL no longer lists it; the delta says removeFromCRL.
    expect((await s.api("POST", `${CERTS}/${held.certificateId}/lift-hold`, { token: t })).status).toBe(200);
    await s.server.jobs.runNow("crl");
    const full2 = (await fetchCrl(fullPath)).body as string;
    expect(crlText(full2)).not.toContain(held.serialNumber.toUpperCase());
    expect(Number(/X509v3 CRL Number:\s+(\d+)/.exec(crlText(full2))![1])).toBeGreaterThan(Number(base));
    expect(verifyWithCrl(held.certificate, full2).out).toContain("leaf.pem: OK");
    expect(verifyWithCrl(bad.certificate, full2).out).toContain("certificate revoked");
    const delta2 = crlText((await fetchCrl(deltaPath)).body as string);
    expect(delta2).toContain(held.serialNumber.toUpperCase());
    expect(delta2).toContain("Remove From CRL");
  });

  it("serves DER as application/pkix-crl with ETag, Last-Modified and max-age up to nextUpdate; 304 on If-None-Match", async () => {
    const leaf = await issue("der.crl.test");
    const path = crlPath(leaf.certificate, "X509v3 CRL Distribution Points");
    const { res, body } = await fetchCrl(path, "der");
    expect(res.headers.get("content-type")).toBe("application/pkix-crl");
    expect(openssl(() => ["crl", "-inform", "DER", "-in", "c.der", "-CAfile", "ca.pem", "-noout"], { "c.der": body as unknown as string, "ca.pem": intPem }).out).toContain("verify OK");
    const etag = res.headers.get("etag")!;
    expect(etag).toBeTruthy();
    expect(res.headers.get("last-modified")).toBeTruthy();
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get("cache-control")!)![1]);
    expect(maxAge).toBeGreaterThan(0);
    expect(maxAge).toBeLessThanOrEqual(7 * 86400);
    const again = await fetch(`${s.url}${path}`, { headers: { "if-none-match": etag } });
    expect(again.status).toBe(304);
  });

  it("lists a CA's current CRLs as Infisical does: [{id, crl}], the latest full CRL per key, served at /crl/{id}/der", async () => {
    const list = await s.api("GET", `${CA}/${intId}/crls`, { token: s.adminToken });
    expect(list.status).toBe(200);
    expect(Array.isArray(list.body)).toBe(true);
    const [first] = list.body;
    expect(crlVerify(first.crl).out).toContain("verify OK");
    const der = await fetch(`${s.url}/api/v1/cert-manager/crl/${first.id}/der`);
    expect(der.headers.get("content-type")).toBe("application/pkix-crl");
    expect(Buffer.from(await der.arrayBuffer()).toString("base64")).toBe(first.crl.replace(/-----[^-]+-----|\s/g, ""));
  });

  it("lists a CA's CRLs (old ones kept) with strictly increasing numbers", async () => {
    const list = await s.api("GET", `${CA}/${intId}/crls/archive`, { token: s.adminToken });
    expect(list.status).toBe(200);
    const numbers = list.body.crls.map((c: { crlNumber: string }) => Number(c.crlNumber));
    expect(numbers.length).toBeGreaterThanOrEqual(4);
    expect([...numbers].sort((a, b) => b - a)).toEqual(numbers);
    expect(new Set(numbers).size).toBe(numbers.length);
    const archived = await fetch(`${s.url}${new URL(list.body.crls.at(-1).downloadUrl).pathname}?format=pem`);
    expect(crlVerify(await archived.text()).out).toContain("verify OK");
  });

  it("fail/ an unknown key answers 404 problem+json; a bad id 400", async () => {
    expect((await fetch(`${s.url}/api/v1/cert-manager/crl/${crypto.randomUUID()}`)).status).toBe(404);
    expect((await fetch(`${s.url}/api/v1/cert-manager/crl/nope`)).status).toBe(400);
  });
});

describe.skipIf(dbKind !== "postgres")("CRL job on two servers", () => {
  it("ok/ exactly one server builds at a time; the numbers never collide", async () => {
    const db = await freshDatabase();
    const [a, b] = await Promise.all([startServer({ db }), startServer({ db })]);
    try {
      const t = a.adminToken;
      const root = await a.api("POST", CA, { token: t, body: { projectId: a.defaultProjectId, name: "two-root", configuration: { type: "root", commonName: "Two Root", keyAlgorithm: "EC_prime256v1" } } });
      expect(root.status).toBe(200);
      // Both run their job at once, many times: each pass is either done or skipped under the lock.
      for (let i = 0; i < 5; i++) await Promise.all([a.server.jobs.runNow("crl"), b.server.jobs.runNow("crl")]);
      let list = (await a.api("GET", `${CA}/${root.body.id}/crls/archive`, { token: t })).body.crls;
      // Nothing changed after the first pass, so only the first full + delta exist.
      const first = list.map((c: { crlNumber: string }) => Number(c.crlNumber)).sort();
      expect(first).toEqual([first[0], first[0] + 1]);
      // Forced rebuilds on both servers at once: some are refused as busy, none collide or fail.
      const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? b : a).api("POST", `${CA}/${root.body.id}/crls`, { token: t })));
      expect(answers.map((r) => r.status)).toEqual(Array(10).fill(200));
      const results = answers.flatMap((r) => r.body.results as { status: string; fullCrlNumber: string | null }[]);
      const built = results.filter((r) => r.status === "built");
      expect(built.length).toBeGreaterThan(0);
      list = (await b.api("GET", `${CA}/${root.body.id}/crls/archive`, { token: t })).body.crls;
      const numbers = list.map((c: { crlNumber: string }) => Number(c.crlNumber));
      expect(new Set(numbers).size).toBe(numbers.length);
      // Every built full CRL is there, each exactly once: 2 from the job, 2 per forced build.
      expect(numbers.length).toBe(2 + 2 * built.length);
      expect(new Set(built.map((r) => r.fullCrlNumber)).size).toBe(built.length);
    } finally {
      await a.close();
      await b.close();
      await db.drop();
    }
  });
});
