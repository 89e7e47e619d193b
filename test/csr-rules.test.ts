import { spawnSync } from "node:child_process";
import { createPrivateKey, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers/harness.js";
import { openssl, verifyChain, x509Text } from "./helpers/openssl.js";

// Issue 14 finding 14: which CSRs Stamp refuses (with every violation) and which it issues.
// Every CSR is made by `openssl req`; the non-minimal DER ones are hand-mutated and re-signed.

const CA = "/api/v1/cert-manager/ca/internal";
const TPL = "/api/v1/cert-manager/certificate-templates";
const PRO = "/api/v1/cert-manager/certificate-profiles";
const CERTS = "/api/v1/cert-manager/certificates";

let s: TestServer;
let profileId = "";
let rootPem = "";

type Res = { status: number; body: any };
const derOf = (p: string) => Buffer.from(p.replace(/-----[^-]+-----|\s/g, ""), "base64");
const toPem = (der: Uint8Array, label = "CERTIFICATE REQUEST") =>
  `-----BEGIN ${label}-----\n${Buffer.from(der).toString("base64").replace(/.{64}/g, "$&\n").replace(/\n?$/, "\n")}-----END ${label}-----\n`;

/** A CSR and its key from `openssl req`. */
function csrWithKey(newkey: string[], subj: string, extra: string[] = []): { csr: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), "stamp-csr-rules-"));
  try {
    const r = spawnSync("openssl", ["req", "-new", ...newkey, "-nodes", "-keyout", "k.pem", "-subj", subj, ...extra, "-out", "r.pem"], { cwd: dir, encoding: "utf8", timeout: 30_000 });
    if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
    return { csr: readFileSync(join(dir, "r.pem"), "utf8"), key: readFileSync(join(dir, "k.pem"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"];

/** Length octets: minimal unless `widen` (one more octet than needed, i.e. non-minimal DER). */
function lengthOctets(n: number, widen: boolean): number[] {
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (!widen) return n < 0x80 ? [n] : [0x80 | bytes.length, ...bytes];
  return [0x80 | (bytes.length + 1), 0, ...bytes];
}
/** Reads the header of the element at `off`: [header length, content length]. */
function header(der: Uint8Array, off: number): [number, number] {
  const first = der[off + 1];
  if (first < 0x80) return [2, first];
  const n = first & 0x7f;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + der[off + 2 + i];
  return [2 + n, len];
}
/**
 * Re-encodes a CSR with non-minimal lengths and signs it again with its key, so only the DER
 * encoding is wrong: the info SEQUENCE gets a leading zero length octet, the version INTEGER a
 * long-form length for 1 byte.
 */
function nonMinimalCsr(csrPem: string, keyPem: string, hashAlg = "sha256"): string {
  const der = derOf(csrPem);
  const [outerHl] = header(der, 0);
  const [infoHl, infoLen] = header(der, outerHl);
  const infoBody = der.subarray(outerHl + infoHl, outerHl + infoHl + infoLen);
  const rest = der.subarray(outerHl + infoHl + infoLen);
  expect([...infoBody.subarray(0, 3)]).toEqual([0x02, 0x01, 0x00]); // version 0
  const newInfoBody = Buffer.concat([Buffer.from([0x02, 0x81, 0x01, 0x00]), infoBody.subarray(3)]);
  const newInfo = Buffer.concat([Buffer.from([0x30, ...lengthOctets(newInfoBody.length, true)]), newInfoBody]);
  // The signature algorithm stays; the signature is over the new info bytes.
  const [algHl, algLen] = header(rest, 0);
  const alg = rest.subarray(0, algHl + algLen);
  const sig = sign(hashAlg, newInfo, { key: createPrivateKey(keyPem), dsaEncoding: "der" });
  const bits = Buffer.concat([Buffer.from([0x03, ...lengthOctets(sig.length + 1, false), 0]), sig]);
  const body = Buffer.concat([newInfo, alg, bits]);
  return toPem(Buffer.concat([Buffer.from([0x30, ...lengthOctets(body.length, false)]), body]));
}

function violationsOf(res: Res): string[] {
  return (res.body.violations ?? []).map((v: { field: string; code: string }) => `${v.field}:${v.code}`);
}
function expect422(res: Res, ...want: string[]) {
  const detail = JSON.stringify(res.body).slice(0, 1500);
  expect(res.status, detail).toBe(422);
  for (const w of want) expect(violationsOf(res), detail).toContain(w);
}
const issue = (csr: string, attributes: Record<string, unknown> = {}) => s.api("POST", CERTS, { token: s.adminToken, body: { profileId, csr, attributes } });
const preview = (csr: string, attributes: Record<string, unknown> = {}) => s.api("POST", `${CERTS}/preview`, { token: s.adminToken, body: { profileId, csr, attributes } });

/** Previews and issues; the certificate passes `openssl verify -x509_strict -purpose sslserver`. */
async function issuesAndVerifies(csr: string, attributes: Record<string, unknown> = {}) {
  const p = await preview(csr, attributes);
  expect(p.status, JSON.stringify(p.body)).toBe(200);
  const res = await issue(csr, attributes);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  const cert = res.body.certificate.certificate as string;
  expect(verifyChain(rootPem, "", cert, ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");
  return cert;
}

beforeAll(async () => {
  s = await startServer();
  const t = s.adminToken;
  const p = s.defaultProjectId;
  const root = await s.api("POST", CA, { token: t, body: { projectId: p, name: "csr-rules-root", configuration: { type: "root", commonName: "CSR Rules Root", keyAlgorithm: "EC_prime256v1" } } });
  expect(root.status, JSON.stringify(root.body)).toBe(200);
  rootPem = (await s.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body.certificate;
  const tpl = await s.api("POST", TPL, { token: t, body: { projectId: p, name: "csr-rules", preset: "tls-server", subject: [{ type: "common_name", allowed: ["*.example.test"] }], sans: [{ type: "dns_name", allowed: ["*.example.test"] }, { type: "ip_address", allowed: [] }] } });
  expect(tpl.status, JSON.stringify(tpl.body)).toBe(200);
  const pro = await s.api("POST", PRO, { token: t, body: { projectId: p, slug: "csr-rules", templateId: tpl.body.certificateTemplate.id, caId: root.body.id } });
  expect(pro.status, JSON.stringify(pro.body)).toBe(200);
  profileId = pro.body.certificateProfile.id;
});
afterAll(async () => s?.close());

describe("fail/ CSRs Stamp refuses, naming every violation", () => {
  it("the fixture is sound: a plain CSR issues", async () => {
    await issuesAndVerifies(csrWithKey(ec, "/CN=ok.example.test").csr);
  });
  it("two common names in the subject", async () => {
    const { csr } = csrWithKey(ec, "/CN=a.example.test/CN=b.example.test");
    expect422(await preview(csr), "csr.subject:multiple_common_names");
    expect422(await issue(csr), "csr.subject:multiple_common_names");
  });
  it("CA:TRUE, keyCertSign and cRLSign, and an unknown critical extension — all listed at once", async () => {
    const { csr } = csrWithKey(ec, "/CN=ca.example.test", [
      "-addext", "basicConstraints=critical,CA:TRUE",
      "-addext", "keyUsage=critical,digitalSignature,keyCertSign,cRLSign",
      "-addext", "1.3.6.1.4.1.55555.1=critical,ASN1:NULL",
    ]);
    // Explicit keyUsages in the request must not hide what the CSR asked for.
    const res = await issue(csr, { keyUsages: ["digital_signature"] });
    expect422(res, "csr.basicConstraints:ca_requested", "csr.keyUsage:ca_key_usage_requested", "csr.extensions:unknown_critical_extension");
    expect(JSON.stringify(res.body.violations)).toContain("1.3.6.1.4.1.55555.1");
    expect422(await preview(csr), "csr.basicConstraints:ca_requested", "csr.extensions:unknown_critical_extension");
  });
  it("cRLSign alone is a CA usage too", async () => {
    const { csr } = csrWithKey(ec, "/CN=crl.example.test", ["-addext", "keyUsage=critical,digitalSignature,cRLSign"]);
    expect422(await issue(csr), "csr.keyUsage:ca_key_usage_requested");
  });
  it("an unknown NON-critical extension is ignored, and CA:FALSE is fine", async () => {
    const { csr } = csrWithKey(ec, "/CN=nc.example.test", ["-addext", "1.3.6.1.4.1.55555.2=ASN1:NULL", "-addext", "basicConstraints=critical,CA:FALSE"]);
    await issuesAndVerifies(csr);
  });
  it("non-minimal DER lengths (re-signed, so only the encoding is wrong)", async () => {
    const { csr, key } = csrWithKey(ec, "/CN=ber.example.test");
    const bad = nonMinimalCsr(csr, key);
    const res = await issue(bad);
    expect422(res, "csr:unparseable");
    expect(JSON.stringify(res.body.violations)).toMatch(/non-minimal/);
  });
  it("trailing bytes after the DER, inside the PEM", async () => {
    const { csr } = csrWithKey(ec, "/CN=trail.example.test");
    const res = await issue(toPem(Buffer.concat([derOf(csr), Buffer.from([0, 0])])));
    expect422(res, "csr:unparseable");
  });
  it("two CSRs in one PEM, and text after the PEM block", async () => {
    const a = csrWithKey(ec, "/CN=one.example.test").csr;
    const b = csrWithKey(ec, "/CN=two.example.test").csr;
    const two = await issue(a + b);
    expect422(two, "csr:unparseable");
    expect(JSON.stringify(two.body.violations)).toMatch(/one/i);
    expect422(await issue(`${a}trailing garbage\n`), "csr:unparseable");
    // Whitespace around the block is fine.
    await issuesAndVerifies(`\n  ${a}\n\n`);
  });
});

describe("ok/ CSRs Stamp issues", () => {
  it("an RSA key with an RSASSA-PSS signature (salt length 32)", async () => {
    const { csr } = csrWithKey(["-newkey", "rsa:2048"], "/CN=pss.example.test", ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]);
    expect(openssl(() => ["req", "-in", "r.pem", "-noout", "-text"], { "r.pem": csr }).out).toMatch(/rsassaPss/);
    await issuesAndVerifies(csr);
  });
  it("an RSASSA-PSS key (id-RSASSA-PSS) is refused with a clear reason", async () => {
    const { csr } = csrWithKey(["-newkey", "rsa-pss", "-pkeyopt", "rsa_keygen_bits:2048"], "/CN=psskey.example.test");
    const res = await issue(csr);
    expect422(res, "csr:unsupported_key");
    expect(JSON.stringify(res.body.violations)).toMatch(/RSA-PSS 2048.*ordinary RSA key/);
  });
  it("a PSS signature that does not verify is still refused", async () => {
    const { csr } = csrWithKey(["-newkey", "rsa:2048"], "/CN=pss.example.test", ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"]);
    const der = derOf(csr);
    der[der.length - 1] ^= 1;
    expect422(await issue(toPem(der)), "csr:bad_signature");
  });
  it("an empty subject with a critical subjectAltName (RFC 5280 §4.2.1.6)", async () => {
    const { csr } = csrWithKey(ec, "/", ["-addext", "subjectAltName=critical,DNS:x.example.test"]);
    const cert = await issuesAndVerifies(csr);
    const text = x509Text(cert);
    expect(text).toMatch(/X509v3 Subject Alternative Name: critical\s+DNS:x\.example\.test/);
  });
});
