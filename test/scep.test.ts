// SCEP (RFC 8894) with micromdm's scepclient (Debian package `scep`): static and one-time
// challenges, a reused and a wrong challenge, renewal, PKIOperation over POST and over GET
// (through a proxy that turns the client's POST into a GET), every certificate checked by
// openssl; and 10,000 mutated PKIOperation messages sent in-process (no 5xx, no crash).
import { execFile, spawnSync } from "node:child_process";
import { createPrivateKey, randomBytes, sign, type KeyObject } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_EMAIL, ADMIN_PASSWORD, startServer, type TestServer } from "./helpers/harness.js";
import { runStamp } from "./helpers/cli-run.js";
import { openssl, verifyChain } from "./helpers/openssl.js";
import { parseCertificate } from "../src/pki/certificate-parse.js";
import { seq, tlv } from "../src/pki/der.js";
import type { ReplyCipher } from "../src/pki/scep-cms.js";
import { buildEnvelope, signPkiMessage } from "../src/pki/scep-write.js";

const CA = "/api/v1/cert-manager/ca/internal";
const PROFILES = "/api/v1/cert-manager/certificate-profiles";
const STATIC = "static-challenge-123";

let s: TestServer;
let rootPem = "";
let profileId = "";
let identityToken = "";
let work = "";
let proxy: http.Server;
let proxyUrl = "";
/** PKIOperation bodies the proxy saw, for the fuzz test. */
const captured: Buffer[] = [];
let proxiedGets = 0;

/** Runs scepclient in its own directory (it silently reuses ./csr.pem); returns its exit status and output. */
function scepclient(dir: string, args: string[], url = `${s.url}/scep/${profileId}/pkiclient.exe`): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile("scepclient", ["-server-url", url, "-private-key", path.join(dir, "key.pem"), ...args], { cwd: dir, timeout: 30_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}
const newDir = (name: string) => mkdtempSync(path.join(work, `${name}-`));
const certIn = (dir: string) => readFileSync(path.join(dir, "client.pem"), "utf8");
const subjectOf = (pem: string) => openssl(() => ["x509", "-in", "c.pem", "-noout", "-subject", "-serial"], { "c.pem": pem }).out;

beforeAll(async () => {
  s = await startServer();
  work = mkdtempSync(path.join(os.tmpdir(), "stamp-scep-"));
  const t = s.adminToken;
  const p = s.defaultProjectId;
  // RSA: scepclient 2.1 encrypts to every certificate GetCACert returns, the CA's included.
  const root = await s.api("POST", CA, { token: t, body: { projectId: p, name: "scep-root", configuration: { type: "root", commonName: "SCEP Test Root", organization: "Stamp Test", keyAlgorithm: "RSA_2048" } } });
  expect(root.status, JSON.stringify(root.body)).toBe(200);
  rootPem = (await s.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body.certificate;
  const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: "scep-devices", preset: "device" } });
  const prof = await s.api("POST", PROFILES, { token: t, body: { projectId: p, slug: "scep-devices", templateId: tpl.body.certificateTemplate.id, caId: root.body.id, enrollmentMethods: ["scep"], scepConfig: { challengePassword: STATIC, challengeLifetimeSeconds: 600, maxPendingChallenges: 3 } } });
  expect(prof.status, JSON.stringify(prof.body)).toBe(200);
  profileId = prof.body.certificateProfile.id;
  expect(prof.body.certificateProfile.scepConfig).toMatchObject({ challengePasswordSet: true, raCertificateLifetimeDays: 365, maxPendingChallenges: 3 });
  expect(JSON.stringify(prof.body)).not.toContain(STATIC);

  // A machine identity (an MDM) that asks for one-time challenges.
  const id = await s.api("POST", "/api/v1/identities", { token: t, body: { projectId: p, name: "mdm", role: "member" } });
  const sec = await s.api("POST", `/api/v1/identities/${id.body.identity.id}/universal-auth/client-secrets`, { token: t, body: { description: "scep" } });
  const login = await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: id.body.identity.clientId, clientSecret: sec.body.clientSecret } });
  identityToken = login.body.accessToken;

  // A proxy that passes everything through but sends the client's POSTed PKIOperation as a GET.
  proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks);
      let target = `${s.url}${req.url}`;
      if (req.method === "POST") {
        captured.push(body);
        target = `${s.url}${req.url!.split("?")[0]}?operation=PKIOperation&message=${encodeURIComponent(body.toString("base64"))}`;
        proxiedGets++;
      }
      const r = await fetch(target, { signal: AbortSignal.timeout(30_000) });
      res.writeHead(r.status, { "content-type": r.headers.get("content-type") ?? "application/octet-stream" });
      res.end(Buffer.from(await r.arrayBuffer()));
    });
  });
  await new Promise<void>((ok) => proxy.listen(0, "127.0.0.1", ok));
  proxyUrl = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  if (proxy) await new Promise((ok) => proxy.close(ok));
  if (work) rmSync(work, { recursive: true, force: true });
  await s?.close();
});

describe("ok/ GetCACaps and GetCACert", () => {
  it("advertises what works and serves the RA certificate with the CA chain as a degenerate PKCS#7", async () => {
    const caps = await fetch(`${s.url}/scep/scep-devices/pkiclient.exe?operation=GetCACaps`);
    expect(caps.status).toBe(200);
    const text = await caps.text();
    for (const c of ["POSTPKIOperation", "SHA-256", "SHA-512", "AES", "Renewal"]) expect(text).toContain(c);
    expect(text).not.toMatch(/GetNextCACert|DES3/);
    const ca = await fetch(`${s.url}/scep/${profileId}?operation=GetCACert`);
    expect(ca.headers.get("content-type")).toBe("application/x-x509-ca-ra-cert");
    const der = Buffer.from(await ca.arrayBuffer());
    const certs = openssl(() => ["pkcs7", "-inform", "DER", "-in", "p7.der", "-print_certs"], { "p7.der": der as unknown as string });
    expect(certs.ok, certs.out).toBe(true);
    expect(certs.out).toContain("CN = scep-devices SCEP RA");
    expect(certs.out).toContain("CN = SCEP Test Root");
    const ra = certs.out.slice(certs.out.indexOf("-----BEGIN CERTIFICATE-----"), certs.out.indexOf("-----END CERTIFICATE-----") + 25);
    expect(verifyChain(rootPem, "", ra).out).toContain("OK");
    const text509 = openssl(() => ["x509", "-in", "ra.pem", "-noout", "-ext", "keyUsage"], { "ra.pem": ra }).out;
    expect(text509).toMatch(/Digital Signature, Key Encipherment/);
  });

  it("fail/ an unknown profile is 404, an unknown operation 400, garbage PKIOperation 400", async () => {
    expect((await fetch(`${s.url}/scep/no-such-profile/pkiclient.exe?operation=GetCACaps`)).status).toBe(404);
    expect((await fetch(`${s.url}/scep/${profileId}/pkiclient.exe?operation=Nope`)).status).toBe(400);
    const r = await fetch(`${s.url}/scep/${profileId}/pkiclient.exe?operation=PKIOperation`, { method: "POST", headers: { "content-type": "application/x-pki-message" }, body: "not a message" });
    expect(r.status).toBe(400);
  });
});

describe("ok/ enrollment with scepclient", () => {
  let first = "";
  let firstDir = "";

  it("enrolls with the static challenge over POST; the certificate verifies with openssl", async () => {
    firstDir = newDir("static");
    const r = await scepclient(firstDir, ["-challenge", STATIC, "-cn", "device-1.example", "-organization", "Stamp Test"]);
    expect(r.code, r.out).toBe(0);
    first = certIn(firstDir);
    expect(verifyChain(rootPem, "", first, ["-purpose", "sslclient"]).out).toContain("cert.pem: OK");
    expect(subjectOf(first)).toContain("CN = device-1.example");
    const list = await s.api("GET", `${PROFILES}/${profileId}/certificates`, { token: s.adminToken });
    expect(list.body.certificates.map((c: { cn: string }) => c.cn)).toContain("device-1.example");
  });

  it("renews with RenewalReq signed by the current certificate; the old one is marked renewed", async () => {
    const r = await scepclient(firstDir, ["-cn", "device-1.example", "-organization", "Stamp Test"]);
    expect(r.code, r.out).toBe(0);
    const renewed = certIn(firstDir);
    expect(renewed).not.toBe(first);
    expect(verifyChain(rootPem, "", renewed, ["-purpose", "sslclient"]).out).toContain("cert.pem: OK");
    const serial = /serial=([0-9A-F]+)/.exec(subjectOf(first))![1].toLowerCase();
    const list = await s.api("GET", `${PROFILES}/${profileId}/certificates?status=renewed`, { token: s.adminToken });
    expect(list.body.certificates.map((c: { serialNumber: string }) => c.serialNumber.toLowerCase().replace(/^0+/, ""))).toContain(serial.replace(/^0+/, ""));
  });

  it("a one-time challenge from an MDM identity enrolls once, over GET; reused, it is refused", async () => {
    const ch = await s.api("POST", `/scep/${profileId}/challenge`, { token: identityToken });
    expect(ch.status, JSON.stringify(ch.body)).toBe(200);
    expect(ch.body.challenge).toMatch(/^[0-9a-f]{40}$/);
    const dir = newDir("dynamic");
    const before = proxiedGets;
    const r = await scepclient(dir, ["-challenge", ch.body.challenge, "-cn", "device-2.example"], `${proxyUrl}/scep/scep-devices/pkiclient.exe`);
    expect(r.code, r.out).toBe(0);
    expect(proxiedGets).toBe(before + 1);
    expect(verifyChain(rootPem, "", certIn(dir), ["-purpose", "sslclient"]).out).toContain("cert.pem: OK");

    const again = await scepclient(newDir("reuse"), ["-challenge", ch.body.challenge, "-cn", "device-3.example"]);
    expect(again.code).not.toBe(0);
    expect(again.out).toMatch(/failInfo: badRequest|failInfo: 2/);
  });

  it("fail/ a wrong challenge is refused with badRequest, and the audit log says why", async () => {
    const r = await scepclient(newDir("wrong"), ["-challenge", "not-the-challenge", "-cn", "device-4.example"]);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/failInfo: badRequest|failInfo: 2/);
    const log = await s.api("GET", `/api/v1/projects/${s.defaultProjectId}/audit-logs`, { token: s.adminToken });
    expect(JSON.stringify(log.body)).toContain("wrong, used or expired challenge password");
  });

  it("fail/ challenges need a token, and at most maxPendingChallenges wait unused", async () => {
    expect((await s.api("POST", `/scep/${profileId}/challenge`)).status).toBe(401);
    const codes = [];
    for (let i = 0; i < 4; i++) codes.push((await s.api("POST", `/scep/${profileId}/challenge`, { token: identityToken })).status);
    expect(codes).toEqual([200, 200, 200, 429]);
  });

  it("rotating the static challenge shows it once; the old one stops working", async () => {
    const rot = await s.api("POST", `${PROFILES}/${profileId}/scep/challenge-password`, { token: s.adminToken });
    expect(rot.status, JSON.stringify(rot.body)).toBe(200);
    const old = await scepclient(newDir("old-static"), ["-challenge", STATIC, "-cn", "device-5.example"]);
    expect(old.code).not.toBe(0);
    const dir = newDir("new-static");
    const ok = await scepclient(dir, ["-challenge", rot.body.challengePassword, "-cn", "device-5.example"]);
    expect(ok.code, ok.out).toBe(0);
    expect(verifyChain(rootPem, "", certIn(dir)).out).toContain("cert.pem: OK");
  });
});

/** A client's key, self-signed certificate and CSR (with the challenge), made by openssl. */
function clientMaterial(cn: string, challenge: string) {
  const dir = newDir("material");
  const cfg = `[req]\nprompt=no\ndistinguished_name=dn\nattributes=attrs\n[dn]\nCN=${cn}\n[attrs]\nchallengePassword=${challenge}\n`;
  writeFileSync(path.join(dir, "req.cnf"), cfg);
  const run = (args: string[]) => {
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(r.stderr);
  };
  run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "self.pem", "-subj", `/CN=${cn}`, "-days", "1"]);
  run(["req", "-new", "-key", "key.pem", "-config", "req.cnf", "-outform", "DER", "-out", "csr.der"]);
  const self = parseCertificate(readFileSync(path.join(dir, "self.pem"), "utf8")).der;
  const key = createPrivateKey(readFileSync(path.join(dir, "key.pem")));
  return { dir, self, key, csr: new Uint8Array(readFileSync(path.join(dir, "csr.der"))) };
}

/** Sends one pkiMessage the way a client builds it (envelope to the RA, signed by `self`); returns the CertRep DER. */
async function pkiOperation(m: { messageType: string; transactionId: string; payload: Uint8Array; self: Uint8Array; key: KeyObject; cipher: ReplyCipher; digest: "sha1" | "sha256" | "sha384" | "sha512" }, method: "GET" | "POST" = "POST") {
  const caDer = Buffer.from(await (await fetch(`${s.url}/scep/${profileId}?operation=GetCACert`)).arrayBuffer());
  const raPem = openssl(() => ["pkcs7", "-inform", "DER", "-in", "p7.der", "-print_certs"], { "p7.der": caDer as unknown as string }).out;
  const ra = parseCertificate(raPem.slice(raPem.indexOf("-----BEGIN"), raPem.indexOf("-----END CERTIFICATE-----") + 25)).der;
  const envelope = buildEnvelope(m.payload, ra, m.cipher, randomBytes(32), randomBytes(16));
  const msg = await signPkiMessage({ messageType: m.messageType, transactionId: m.transactionId, senderNonce: randomBytes(16), envelope, digest: m.digest, signerCert: m.self, sign: async (d) => new Uint8Array(sign(m.digest, d, m.key)) });
  const url = `${s.url}/scep/${profileId}/pkiclient.exe?operation=PKIOperation`;
  const r = method === "POST" ? await fetch(url, { method, headers: { "content-type": "application/x-pki-message" }, body: msg as unknown as BodyInit }) : await fetch(`${url}&message=${encodeURIComponent(Buffer.from(msg).toString("base64"))}`);
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toBe("application/x-pki-message");
  return Buffer.from(await r.arrayBuffer());
}

/** openssl's reading of a CertRep: its signature checked against the root, the envelope opened with the client key. */
function openCertRep(rep: Buffer, client: { dir: string }) {
  const printed = openssl(() => ["cms", "-cmsout", "-inform", "DER", "-in", "r.der", "-print"], { "r.der": rep as unknown as string }).out;
  const status = /2\.16\.840\.1\.113733\.1\.9\.3\)\s*set:\s*PRINTABLESTRING:(\d)/.exec(printed)?.[1];
  const failInfo = /2\.16\.840\.1\.113733\.1\.9\.4\)\s*set:\s*PRINTABLESTRING:(\d)/.exec(printed)?.[1];
  writeFileSync(path.join(client.dir, "rep.der"), rep);
  writeFileSync(path.join(client.dir, "root.pem"), rootPem);
  const verified = spawnSync("sh", ["-c", "openssl cms -verify -inform DER -in rep.der -CAfile root.pem -purpose any -binary -out env.der && openssl cms -decrypt -inform DER -in env.der -inkey key.pem -binary -out inner.der"], { cwd: client.dir, encoding: "utf8", timeout: 30_000 });
  return { status, failInfo, verified: verified.status === 0 ? "ok" : verified.stderr };
}

describe("ok/ ciphers, digests, CertPoll, GetCert and GetCRL (messages built like a client's)", () => {
  it("AES-256 with SHA-256, AES-128 with SHA-512 (over GET), 3DES with SHA-384: each enrolls, and the reply verifies and decrypts with openssl", async () => {
    const cases = [
      { cipher: "aes-256-cbc", digest: "sha256", method: "POST" },
      { cipher: "aes-128-cbc", digest: "sha512", method: "GET" },
      { cipher: "des-ede3-cbc", digest: "sha384", method: "POST" },
    ] as const;
    const rot = await s.api("POST", `${PROFILES}/${profileId}/scep/challenge-password`, { token: s.adminToken });
    for (const c of cases) {
      const m = clientMaterial(`${c.cipher}.example`, rot.body.challengePassword);
      const rep = await pkiOperation({ messageType: "19", transactionId: `tx-${c.cipher}`, payload: m.csr, self: m.self, key: m.key, cipher: c.cipher, digest: c.digest }, c.method);
      const o = openCertRep(rep, m);
      expect(o.status, `${c.cipher}: ${o.failInfo}`).toBe("0");
      expect(o.verified).toBe("ok");
      const certs = openssl(() => ["pkcs7", "-inform", "DER", "-in", "i.der", "-print_certs"], { "i.der": readFileSync(path.join(m.dir, "inner.der")) as unknown as string }).out;
      expect(certs).toContain(`CN = ${c.cipher}.example`);
      const leaf = certs.slice(certs.indexOf("-----BEGIN"), certs.indexOf("-----END CERTIFICATE-----") + 25);
      expect(verifyChain(rootPem, "", leaf).out).toContain("cert.pem: OK");
      if (c.cipher !== "aes-256-cbc") continue;
      // CertPoll finds the transaction's certificate; GetCert and GetCRL name it by issuer and serial.
      const parsed = parseCertificate(leaf);
      const poll = openCertRep(await pkiOperation({ messageType: "20", transactionId: `tx-${c.cipher}`, payload: seq(parsed.issuer, parsed.subject), self: m.self, key: m.key, cipher: "aes-256-cbc", digest: "sha256" }), m);
      expect([poll.status, poll.verified]).toEqual(["0", "ok"]);
      expect(openssl(() => ["pkcs7", "-inform", "DER", "-in", "i.der", "-print_certs"], { "i.der": readFileSync(path.join(m.dir, "inner.der")) as unknown as string }).out).toContain("aes-256-cbc.example");
      const ias = seq(parsed.issuer, tlv(0x02, Buffer.from(parsed.serialHex.length % 2 ? `0${parsed.serialHex}` : parsed.serialHex, "hex")));
      const got = openCertRep(await pkiOperation({ messageType: "21", transactionId: "get-cert", payload: ias, self: m.self, key: m.key, cipher: "aes-256-cbc", digest: "sha256" }), m);
      expect([got.status, got.verified]).toEqual(["0", "ok"]);
      const crl = openCertRep(await pkiOperation({ messageType: "22", transactionId: "get-crl", payload: ias, self: m.self, key: m.key, cipher: "aes-256-cbc", digest: "sha256" }), m);
      expect([crl.status, crl.verified]).toEqual(["0", "ok"]);
      const crlText = openssl(() => ["pkcs7", "-inform", "DER", "-in", "i.der", "-print_certs", "-print"], { "i.der": readFileSync(path.join(m.dir, "inner.der")) as unknown as string }).out;
      expect(crlText).toMatch(/crl:|Certificate Revocation List|lastUpdate/i);
      // An unknown serial and an unknown transaction are badCertId.
      const none = openCertRep(await pkiOperation({ messageType: "21", transactionId: "get-none", payload: seq(parsed.issuer, tlv(0x02, Buffer.from([0x01, 0x02]))), self: m.self, key: m.key, cipher: "aes-256-cbc", digest: "sha256" }), m);
      expect([none.status, none.failInfo]).toEqual(["2", "4"]);
      const nopoll = openCertRep(await pkiOperation({ messageType: "20", transactionId: "tx-unknown", payload: seq(parsed.issuer, parsed.subject), self: m.self, key: m.key, cipher: "aes-256-cbc", digest: "sha256" }), m);
      expect([nopoll.status, nopoll.failInfo]).toEqual(["2", "4"]);
    }
  });

  it("fail/ a CSR the template refuses gets badRequest, and the audit log keeps the reason", async () => {
    const rot = await s.api("POST", `${PROFILES}/${profileId}/scep/challenge-password`, { token: s.adminToken });
    // The device template allows no email SANs.
    const m = clientMaterial("refused.example", rot.body.challengePassword);
    const bad = spawnSync("openssl", ["req", "-new", "-key", "key.pem", "-config", "req.cnf", "-addext", "subjectAltName=email:x@example.com", "-outform", "DER", "-out", "bad.der"], { cwd: m.dir, encoding: "utf8" });
    expect(bad.status, bad.stderr).toBe(0);
    const rep = await pkiOperation({ messageType: "19", transactionId: "tx-refused", payload: new Uint8Array(readFileSync(path.join(m.dir, "bad.der"))), self: m.self, key: m.key, cipher: "aes-256-cbc", digest: "sha256" });
    const o = openCertRep(rep, m);
    expect([o.status, o.failInfo]).toEqual(["2", "2"]);
    const log = await s.api("GET", `/api/v1/projects/${s.defaultProjectId}/audit-logs`, { token: s.adminToken });
    const entries = JSON.stringify(log.body);
    expect(entries).toContain("tx-refused");
    expect(entries).toMatch(/sans\.email|email/);
  });
});

describe("ok/ the CLI", () => {
  it("stamp profile create --scep prints the URL and a challenge once; the challenge enrolls; scep-challenge replaces it", async () => {
    const config = path.join(work, "session.json");
    const login = await runStamp(["login", "--server", s.url, "--email", ADMIN_EMAIL, "--password-stdin"], { config, stdin: `${ADMIN_PASSWORD}\n` });
    expect(login.code, login.stderr).toBe(0);
    const made = await runStamp(["profile", "create", "--slug", "cli-scep", "--template", "scep-devices", "--ca", "scep-root", "--scep", "--scep-ra-days", "30", "--scep-ra-renew-before-days", "7"], { config });
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/scep url:\s+http:\/\/127\.0\.0\.1:1\/scep\/[0-9a-f-]{36}\/pkiclient\.exe/);
    const challenge = /scep challenge:\s+([0-9a-f]{40})/.exec(made.stdout)![1];
    expect(made.stderr).toContain("shown only now");
    const dir = newDir("cli");
    const r = await scepclient(dir, ["-challenge", challenge, "-cn", "cli-device.example"], `${s.url}/scep/cli-scep/pkiclient.exe`);
    expect(r.code, r.out).toBe(0);
    const ra = await fetch(`${s.url}/scep/cli-scep?operation=GetCACert`);
    const end = openssl(() => ["pkcs7", "-inform", "DER", "-in", "p7.der", "-print_certs", "-text"], { "p7.der": Buffer.from(await ra.arrayBuffer()) as unknown as string }).out;
    const [nb, na] = [/Not Before: (.*)/.exec(end)![1], /Not After : (.*)/.exec(end)![1]];
    expect(Math.round((Date.parse(na) - Date.parse(nb)) / 86_400_000)).toBe(30);
    const rot = await runStamp(["profile", "scep-challenge", "--profile", "cli-scep"], { config });
    expect(rot.code, rot.stderr).toBe(0);
    expect(/scep challenge:\s+([0-9a-f]{40})/.exec(rot.stdout)![1]).not.toBe(challenge);
    const bad = await runStamp(["profile", "create", "--slug", "x", "--template", "scep-devices", "--ca", "scep-root", "--scep-ra-days", "3"], { config });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain("need --scep");
  });
});

describe("fuzz/ PKIOperation", () => {
  it("10,000 mutated valid messages get no 5xx and do not crash the server", async () => {
    expect(captured.length).toBeGreaterThan(0);
    const seed = captured[0];
    let x = 0x5eed;
    const rnd = (n: number) => {
      x = (x * 1103515245 + 12345) & 0x7fffffff;
      return x % n;
    };
    const statuses = new Map<number, number>();
    for (let i = 0; i < 10_000; i++) {
      const m = Buffer.from(seed);
      const kind = rnd(4);
      let body: Buffer;
      if (kind === 0) body = m.subarray(0, rnd(m.length));
      else if (kind === 1) {
        for (let k = 0; k <= rnd(3); k++) m[rnd(m.length)] ^= 1 << rnd(8);
        body = m;
      } else if (kind === 2) {
        const at = rnd(m.length);
        body = Buffer.concat([m.subarray(0, at), Buffer.from([rnd(256)]), m.subarray(at)]);
      } else {
        m[rnd(Math.min(m.length, 64))] = rnd(256);
        body = m;
      }
      const r = await s.server.app.inject({ method: "POST", url: `/scep/${profileId}/pkiclient.exe?operation=PKIOperation`, headers: { "content-type": "application/x-pki-message" }, payload: body });
      statuses.set(r.statusCode, (statuses.get(r.statusCode) ?? 0) + 1);
      expect(r.statusCode, `mutation ${i}: ${r.body.slice(0, 200)}`).toBeLessThan(500);
    }
    expect(statuses.get(400)).toBeGreaterThan(0);
    expect((await fetch(`${s.url}/scep/${profileId}/pkiclient.exe?operation=GetCACaps`)).status).toBe(200);
  });
});
