import { afterAll, beforeAll, describe, expect, it } from "vitest";
import fc from "fast-check";
import { startServer, type TestServer } from "./helpers/harness.js";
import { openssl, opensslAsync } from "./helpers/openssl.js";

const CA = "/api/v1/cert-manager/ca/internal";
const CERTS = "/api/v1/cert-manager/certificates";

let s: TestServer;
let rootPem = "";
let intPem = "";
let intId = "";
let rootId = "";
let profileId = "";
let ocspUrl = "";

async function issue(cn: string) {
  const r = await s.api("POST", CERTS, { token: s.adminToken, body: { profileId, attributes: { commonName: cn } } });
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  return r.body.certificate as { certificate: string; certificateId: string; serialNumber: string };
}
/** `openssl ocsp` against the live responder; `extra` adds flags such as -no_nonce. */
async function query(leaf: string, extra: string[] = [], url = ocspUrl, issuer = intPem) {
  return (await opensslAsync(() => ["ocsp", "-issuer", "issuer.pem", "-cert", "leaf.pem", "-url", url, "-CAfile", "chain.pem", "-timeout", "10", ...extra], { "issuer.pem": issuer, "leaf.pem": leaf, "chain.pem": rootPem + intPem })).out;
}
async function post(body: Uint8Array) {
  const res = await fetch(ocspUrl, { method: "POST", headers: { "content-type": "application/ocsp-request" }, body: body as unknown as BodyInit });
  return { status: res.status, type: res.headers.get("content-type"), der: Buffer.from(await res.arrayBuffer()) };
}
const respText = (der: Buffer) => openssl(() => ["ocsp", "-respin", "r.der", "-resp_text", "-noverify"], { "r.der": der as unknown as string }).out;

beforeAll(async () => {
  s = await startServer();
  const t = s.adminToken;
  const p = s.defaultProjectId;
  const root = await s.api("POST", CA, { token: t, body: { projectId: p, name: "ocsp-root", configuration: { type: "root", commonName: "OCSP Root", keyAlgorithm: "EC_secp384r1" } } });
  rootId = root.body.id;
  const int = await s.api("POST", CA, { token: t, body: { projectId: p, name: "ocsp-int", configuration: { type: "intermediate", commonName: "OCSP Issuing", keyAlgorithm: "RSA_2048", parentCaId: rootId } } });
  intId = int.body.id;
  rootPem = (await s.api("GET", `${CA}/${rootId}/certificate`, { token: t })).body.certificate;
  intPem = (await s.api("GET", `${CA}/${intId}/certificate`, { token: t })).body.certificate;
  const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: "ocsp-tpl", preset: "tls-server" } });
  profileId = (await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug: "ocsp", templateId: tpl.body.certificateTemplate.id, caId: intId } })).body.certificateProfile.id;
  ocspUrl = `${s.url}/api/v1/cert-manager/ocsp/${intId}`;
});
afterAll(async () => s?.close());

describe("ok/ OCSP with openssl ocsp", () => {
  it("good, revoked (with the reason) and unknown, signed by the delegated responder; the nonce is echoed", async () => {
    const good = await issue("good.ocsp.test");
    const bad = await issue("bad.ocsp.test");
    // The certificate names this responder in its AIA.
    expect(openssl(() => ["x509", "-in", "c.pem", "-noout", "-ocsp_uri"], { "c.pem": good.certificate }).out.trim()).toBe(`http://127.0.0.1:1/api/v1/cert-manager/ocsp/${intId}`);
    const out1 = await query(good.certificate);
    expect(out1).toContain("Response verify OK");
    expect(out1).toContain("leaf.pem: good");
    expect(out1).not.toMatch(/nonce/i);

    expect((await s.api("POST", `${CERTS}/${bad.certificateId}/revoke`, { token: s.adminToken, body: { revocationReason: "KEY_COMPROMISE" } })).status).toBe(200);
    const out2 = await query(bad.certificate);
    expect(out2).toContain("Response verify OK");
    expect(out2).toContain("leaf.pem: revoked");
    expect(out2).toContain("Reason: keyCompromise");

    // An unknown serial under this CA: unknown.
    const out3 = (await opensslAsync(() => ["ocsp", "-issuer", "issuer.pem", "-serial", "0x1234567890abcdef", "-url", ocspUrl, "-CAfile", "chain.pem"], { "issuer.pem": intPem, "chain.pem": rootPem + intPem })).out;
    expect(out3).toContain("Response verify OK");
    expect(out3).toContain("0x1234567890abcdef: unknown");

    // The responder certificate in the response: EKU OCSPSigning, ocsp-nocheck, issued by the CA.
    const resp = (await opensslAsync(() => ["ocsp", "-issuer", "issuer.pem", "-cert", "leaf.pem", "-url", ocspUrl, "-CAfile", "chain.pem", "-resp_text"], { "issuer.pem": intPem, "leaf.pem": good.certificate, "chain.pem": rootPem + intPem })).out;
    expect(resp).toContain("OCSP Signing");
    expect(resp).toContain("OCSP No Check");
    expect(resp).toContain("OCSP Responder");
  });

  it("signed by the CA key when the CA is set to sign itself", async () => {
    const leaf = await issue("ca-signed.ocsp.test");
    expect((await s.api("PATCH", `${CA}/${intId}`, { token: s.adminToken, body: { ocspSigner: "ca" } })).status).toBe(200);
    try {
      const out = await query(leaf.certificate, ["-resp_text"]);
      expect(out).toContain("Response verify OK");
      expect(out).toContain("leaf.pem: good");
      expect(out).not.toContain("OCSP No Check");
    } finally {
      await s.api("PATCH", `${CA}/${intId}`, { token: s.adminToken, body: { ocspSigner: "delegated" } });
    }
  });

  it("cached answers (no nonce) are invalidated at once by a revocation; a lifted hold comes back good", async () => {
    const leaf = await issue("hold.ocsp.test");
    expect(await query(leaf.certificate, ["-no_nonce"])).toContain("leaf.pem: good");
    expect(await query(leaf.certificate, ["-no_nonce"])).toContain("leaf.pem: good");
    expect((await s.api("POST", `${CERTS}/${leaf.certificateId}/revoke`, { token: s.adminToken, body: { revocationReason: "CERTIFICATE_HOLD" } })).status).toBe(200);
    const held = await query(leaf.certificate, ["-no_nonce"]);
    expect(held).toContain("leaf.pem: revoked");
    expect(held).toContain("Reason: certificateHold");
    expect((await s.api("POST", `${CERTS}/${leaf.certificateId}/lift-hold`, { token: s.adminToken })).status).toBe(200);
    expect(await query(leaf.certificate, ["-no_nonce"])).toContain("leaf.pem: good");
  });

  it("GET with the base64 request in the path; several certificates in one request", async () => {
    const a = await issue("a.ocsp.test");
    const b = await issue("b.ocsp.test");
    const der = await makeRequest([a.certificate, b.certificate]);
    const res = await fetch(`${ocspUrl}/${encodeURIComponent(der.toString("base64"))}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("application/ocsp-response");
    expect(res.headers.get("cache-control")).toMatch(/max-age=\d+/);
    const text = respText(Buffer.from(await res.arrayBuffer()));
    expect(text.match(/Cert Status: good/g)).toHaveLength(2);
  });
});

/** A DER OCSP request made by openssl for these certificates (read back through -req_text is not enough; write and read the file). */
async function makeRequest(certs: string[], nonce = false): Promise<Buffer> {
  const { mkdtempSync, readFileSync, writeFileSync, rmSync } = await import("node:fs");
  const { execFileSync } = await import("node:child_process");
  const os = await import("node:os");
  const path = await import("node:path");
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-ocspreq-"));
  try {
    writeFileSync(path.join(dir, "issuer.pem"), intPem);
    const args = ["ocsp", "-issuer", path.join(dir, "issuer.pem"), "-reqout", path.join(dir, "req.der")];
    certs.forEach((c, i) => {
      writeFileSync(path.join(dir, `c${i}.pem`), c);
      args.push("-cert", path.join(dir, `c${i}.pem`));
    });
    if (!nonce) args.push("-no_nonce");
    execFileSync("openssl", args, { stdio: "ignore" });
    return readFileSync(path.join(dir, "req.der"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("fail/ OCSP errors are OCSP statuses, never a 500", () => {
  it("a CA this responder does not serve → unauthorized; an unknown CA id → unauthorized", async () => {
    const leaf = await issue("other.ocsp.test");
    const rootUrl = `${s.url}/api/v1/cert-manager/ocsp/${rootId}`;
    expect((await query(leaf.certificate, [], rootUrl)).toLowerCase()).toContain("responder error: unauthorized (6)");
    const der = await makeRequest([leaf.certificate]);
    for (const id of [crypto.randomUUID(), "not-a-uuid"]) {
      const res = await fetch(`${s.url}/api/v1/cert-manager/ocsp/${id}`, { method: "POST", headers: { "content-type": "application/ocsp-request" }, body: der as unknown as BodyInit });
      expect(res.status).toBe(200);
      expect(respText(Buffer.from(await res.arrayBuffer())).toLowerCase()).toContain("unauthorized (6)");
    }
  });

  it("garbage, truncated, empty and oversized requests → malformedRequest", async () => {
    const leaf = await issue("garbage.ocsp.test");
    const der = await makeRequest([leaf.certificate]);
    for (const body of [Buffer.from("garbage"), der.subarray(0, der.length - 3), Buffer.alloc(0), Buffer.alloc(100 * 1024, 0x30)]) {
      const r = await post(body);
      expect(r.status).toBe(200);
      expect(r.type).toBe("application/ocsp-response");
      expect(respText(r.der).toLowerCase()).toContain("malformedrequest (1)");
    }
    const get = await fetch(`${ocspUrl}/${encodeURIComponent("!!!not base64!!!")}`);
    expect(respText(Buffer.from(await get.arrayBuffer())).toLowerCase()).toContain("malformedrequest (1)");
  });

  it("10,000 mutated requests: every answer is HTTP 200 application/ocsp-response", async () => {
    const leaf = await issue("fuzz.ocsp.test");
    const base = await makeRequest([leaf.certificate], true);
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 }), fc.constantFrom("flip", "cut", "insert")), { minLength: 1, maxLength: 4 }),
        async (edits) => {
          let b = Buffer.from(base);
          for (const [at, byte, kind] of edits) {
            const i = at % Math.max(1, b.length);
            if (kind === "flip") b[i] = byte;
            else if (kind === "cut") b = b.subarray(0, i);
            else b = Buffer.concat([b.subarray(0, i), Buffer.of(byte), b.subarray(i)]);
          }
          const r = await post(b);
          n++;
          return r.status === 200 && r.type === "application/ocsp-response" && r.der.length > 0;
        },
      ),
      { numRuns: 10_000 },
    );
    expect(n).toBe(10_000);
  });
});
