import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers/harness.js";
import { createHierarchy } from "./helpers/hierarchy.js";
import { opensslAsync, x509Text } from "./helpers/openssl.js";

// Issue 14 findings 11 and 12: with --tls auto, CRL, OCSP and caIssuers URLs are plain http://
// on a listener that serves only those, and intermediates point at their parent's CRL and OCSP,
// so real revocation clients (GnuTLS ocsptool, openssl -crl_download) check a whole chain.

const CA = "/api/v1/cert-manager/ca/internal";
const CERTS = "/api/v1/cert-manager/certificates";

let s: TestServer;
let rootPem = "";
let intPem = "";
let intId = "";
let profileId = "";

/** Runs a command without blocking the event loop (the server answers it in-process). */
function run(cmd: string, args: string[], files: Record<string, string>): Promise<{ ok: boolean; out: string }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-revurl-"));
  for (const [n, c] of Object.entries(files)) writeFileSync(path.join(dir, n), c);
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: dir, encoding: "utf8", timeout: 30_000 }, (err, stdout, stderr) => {
      rmSync(dir, { recursive: true, force: true });
      resolve({ ok: !err, out: `${stdout ?? ""}${stderr ?? ""}` });
    });
  });
}
/** Every URI in one extension of a certificate's text. */
function urisIn(certPem: string, extension: string): string[] {
  const text = x509Text(certPem);
  const i = text.indexOf(extension);
  if (i < 0) return [];
  const section = text.slice(i).split(/\n {12}X509v3 |\n {8}Signature/)[0];
  return [...section.matchAll(/URI:(\S+)/g)].map((m) => m[1]);
}
const ocspAsk = (cert: string, issuer: string) => run("ocsptool", ["--ask", "--load-cert", "cert.pem", "--load-issuer", "issuer.pem"], { "cert.pem": cert, "issuer.pem": issuer });
/** openssl verify fetching the CRLs from the distribution points in the certificates (-crl_download). */
const verifyDownloading = (cert: string, flags: string[], extra: Record<string, string> = {}) =>
  opensslAsync(() => ["verify", "-crl_download", ...flags, "-CAfile", "root.pem", "-untrusted", "int.pem", "cert.pem"], { "root.pem": rootPem, "int.pem": intPem, "cert.pem": cert, ...extra });

async function issue(cn: string) {
  const r = await s.api("POST", CERTS, { token: s.adminToken, body: { profileId, attributes: { commonName: cn, altNames: [{ type: "dns_name", value: cn }] } } });
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  return r.body.certificate as { certificate: string; certificateId: string; serialNumber: string };
}

beforeAll(async () => {
  s = await startServer({ tls: true, httpListener: true });
  ({ intId, rootPem, intPem, profileId } = await createHierarchy(s, "url", "URL"));
});
afterAll(async () => s?.close());

describe("ok/ revocation URLs are plain HTTP with --tls auto", () => {
  it("leaf and intermediate carry http:// CRL, OCSP and caIssuers URLs of their issuer; the root carries none; the CA view shows them", async () => {
    expect(s.url).toMatch(/^https:/);
    expect(s.httpUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const leaf = await issue("leaf.url.test");
    const crl = urisIn(leaf.certificate, "X509v3 CRL Distribution Points");
    const aia = urisIn(leaf.certificate, "Authority Information Access");
    expect(crl).toEqual([expect.stringMatching(new RegExp(`^${s.httpUrl}/api/v1/cert-manager/crl/`))]);
    expect(aia).toHaveLength(2);
    for (const u of [...crl, ...aia, ...urisIn(leaf.certificate, "X509v3 Freshest CRL")]) expect(u.startsWith(`${s.httpUrl}/`)).toBe(true);

    // Finding 12: the intermediate points at the root's CRL and OCSP responder (and its certificate).
    const rootView = (await s.api("GET", `${CA}?projectId=${s.defaultProjectId}`, { token: s.adminToken })).body.find((c: { name: string }) => c.name === "url-root");
    const intCrl = urisIn(intPem, "X509v3 CRL Distribution Points");
    const intAia = urisIn(intPem, "Authority Information Access");
    expect(intCrl).toEqual([rootView.crl.url]);
    expect(intAia).toContain(rootView.ocspUrl);
    expect(intAia.some((u) => u.endsWith(`/ca-certificates/${rootView.configuration.activeCaCertId}/der`))).toBe(true);
    expect(rootView.crl.url.startsWith(`${s.httpUrl}/`)).toBe(true);
    expect(urisIn(rootPem, "X509v3 CRL Distribution Points")).toEqual([]);
    expect(urisIn(rootPem, "Authority Information Access")).toEqual([]);

    // The caIssuers URL serves the issuer's DER over plain HTTP.
    const caIssuers = aia.find((u) => u.includes("/ca-certificates/"))!;
    const der = await fetch(caIssuers, { signal: AbortSignal.timeout(30_000) });
    expect(der.status).toBe(200);
    expect(der.headers.get("content-type")).toBe("application/pkix-cert");
  });

  it("openssl verify -crl_download checks root → intermediate → leaf from the URLs in the certificates: good, then revoked", async () => {
    const leaf = await issue("crl.url.test");
    // Finding 12: the intermediate's CRL distribution point is the root's CRL, on plain HTTP.
    expect((await verifyDownloading(intPem, ["-crl_check"])).out).toContain("cert.pem: OK");
    expect((await verifyDownloading(leaf.certificate, ["-crl_check"])).out).toContain("cert.pem: OK");
    // -crl_check_all also checks the self-signed root, which (like public roots) names no CRL;
    // OpenSSL then needs the root's own CRL as a file (openssl/openssl#8439). Every other CRL is
    // downloaded from the URLs in the certificates.
    const rootView = (await s.api("GET", `${CA}?projectId=${s.defaultProjectId}`, { token: s.adminToken })).body.find((c: { name: string }) => c.name === "url-root");
    const rootCrl = async () => ({ "root-crl.pem": await (await fetch(`${rootView.crl.url}?format=pem`, { signal: AbortSignal.timeout(30_000) })).text() });
    expect((await verifyDownloading(leaf.certificate, ["-crl_check_all", "-CRLfile", "root-crl.pem"], await rootCrl())).out).toContain("cert.pem: OK");

    expect((await s.api("POST", `${CERTS}/${leaf.certificateId}/revoke`, { token: s.adminToken, body: { revocationReason: "KEY_COMPROMISE" } })).status).toBe(200);
    await s.server.jobs.runNow("crl");
    for (const flags of [["-crl_check"], ["-crl_check_all", "-CRLfile", "root-crl.pem"]]) {
      const revoked = await verifyDownloading(leaf.certificate, flags, await rootCrl());
      expect(revoked.ok).toBe(false);
      expect(revoked.out).toContain("certificate revoked");
    }
    expect((await verifyDownloading(intPem, ["-crl_check_all", "-CRLfile", "root-crl.pem"], await rootCrl())).out).toContain("cert.pem: OK");
  });

  it("ocsptool --ask follows the OCSP URL in the certificate: good, revoked, and good for the intermediate at the root's responder", async () => {
    const leaf = await issue("ocsp.url.test");
    const good = await ocspAsk(leaf.certificate, intPem);
    // ocsptool speaks plain HTTP only: it reached the responder on the --http-listen port.
    expect(good.out).toContain(`Connecting to '${new URL(s.httpUrl!).host}'`);
    expect(good.out).toContain("Response Status: Successful");
    expect(good.out).toMatch(/Certificate Status: good/);
    expect(good.out).toContain("Verifying OCSP Response: Success");
    expect((await s.api("POST", `${CERTS}/${leaf.certificateId}/revoke`, { token: s.adminToken, body: { revocationReason: "SUPERSEDED" } })).status).toBe(200);
    const revoked = await ocspAsk(leaf.certificate, intPem);
    expect(revoked.out).toMatch(/Certificate Status: revoked/);
    // The intermediate's serial is one the root signed: good, not unknown.
    const intermediate = await ocspAsk(intPem, rootPem);
    expect(intermediate.out).toContain(`Connecting to '${new URL(s.httpUrl!).host}'`);
    expect(intermediate.out).toMatch(/Certificate Status: good/);
  });

  it("intermediates signed from a CSR and rolled over to a new key also point at their parent", async () => {
    const t = s.adminToken;
    const p = s.defaultProjectId;
    const rootId = (await s.api("GET", `${CA}?projectId=${p}`, { token: t })).body.find((c: { name: string }) => c.name === "url-root").id;
    const outside = await s.api("POST", CA, { token: t, body: { projectId: p, name: "url-outside", configuration: { type: "intermediate", commonName: "URL Outside", keyAlgorithm: "EC_prime256v1" } } });
    const csr = (await s.api("GET", `${CA}/${outside.body.id}/csr`, { token: t })).body.csr;
    const signed = await s.api("POST", `${CA}/${rootId}/sign-intermediate`, { token: t, body: { csr, notAfter: new Date(Date.now() + 200 * 86_400_000).toISOString(), maxPathLength: 0 } });
    expect(signed.status).toBe(200);
    const rootCrl = urisIn(intPem, "X509v3 CRL Distribution Points");
    expect(urisIn(signed.body.certificate, "X509v3 CRL Distribution Points")).toEqual(rootCrl);
    expect(urisIn(signed.body.certificate, "Authority Information Access")).toEqual(urisIn(intPem, "Authority Information Access"));
    const ocsp = await ocspAsk(signed.body.certificate, rootPem);
    expect(ocsp.out).toMatch(/Certificate Status: good/);

    const rolled = await s.api("POST", `${CA}/${intId}/renew`, { token: t, body: { type: "new" } });
    expect(rolled.status).toBe(200);
    const newPem = (await s.api("GET", `${CA}/${intId}/certificate`, { token: t })).body.certificate;
    expect(newPem).not.toBe(intPem);
    expect(urisIn(newPem, "X509v3 CRL Distribution Points")).toEqual(rootCrl);
  });

  it("the plain-HTTP listener serves nothing but CRLs, OCSP and CA certificates", async () => {
    for (const [method, p] of [
      ["GET", "/healthz"],
      ["GET", "/api/v1/projects"],
      ["POST", "/api/v1/auth/login"],
      ["GET", `${CA}/${intId}`],
      ["GET", `${CA}/${intId}/crls`],
      ["GET", "/api/docs"],
      ["GET", "/"],
    ]) {
      const r = await fetch(`${s.httpUrl}${p}`, { method, headers: method === "POST" ? { "content-type": "application/json" } : {}, body: method === "POST" ? "{}" : undefined, signal: AbortSignal.timeout(30_000) });
      expect(r.status, `${method} ${p}`).toBe(404);
      expect(r.headers.get("content-type")).toMatch(/application\/problem\+json/);
    }
  });
});
