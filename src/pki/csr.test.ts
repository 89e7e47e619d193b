import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { assembleCsr, buildCsrInfo, parseCsr } from "./csr.js";
import { encodeName } from "./name.js";
import { toPem } from "./pem.js";
import { makeKey, signWith } from "./pki-fixtures.test-util.js";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stamp-csr-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A CSR made by OpenSSL with SANs, basicConstraints and a challengePassword. */
function opensslCsr(): string {
  const cfg = join(dir, "req.cnf");
  execFileSync("sh", ["-c", `cat > ${cfg} <<'X'
[req]
distinguished_name = dn
attributes = attrs
prompt = no
[dn]
CN = svc.example.test
O = Example
[attrs]
challengePassword = s3cret-pass
X`]);
  execFileSync("openssl", [
    "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384", "-nodes", "-keyout", join(dir, "k.pem"), "-config", cfg,
    "-addext", "subjectAltName=DNS:svc.example.test,DNS:*.example.test,IP:10.0.0.1,IP:2001:db8::1,email:ops@example.test,URI:spiffe://example.test/svc",
    "-addext", "basicConstraints=critical,CA:TRUE,pathlen:2", "-addext", "keyUsage=critical,digitalSignature,keyEncipherment",
    "-addext", "extendedKeyUsage=serverAuth,clientAuth", "-out", join(dir, "req.pem"),
  ], { stdio: "ignore" });
  return readFileSync(join(dir, "req.pem"), "utf8");
}

describe("parseCsr", () => {
  it("ok/ an OpenSSL CSR with requested extensions", () => {
    const csr = parseCsr(opensslCsr());
    expect(csr.signatureValid).toBe(true);
    expect(csr.keyAlgorithm).toBe("EC_secp384r1");
    expect(csr.keyDescription).toBe("EC P-384");
    // The config writes CN first, so RFC 4514 text (last RDN first) starts with O.
    expect(csr.subjectText).toBe("O=Example, CN=svc.example.test");
    expect(csr.subjectFields).toMatchObject({ commonName: "svc.example.test", organization: "Example" });
    expect(csr.challengePassword).toBe("s3cret-pass");
    const r = csr.requestedExtensions;
    expect(r.present).toBe(true);
    expect(r.sans).toEqual({
      dns: ["svc.example.test", "*.example.test"], ip: ["10.0.0.1", "2001:db8::1"], email: ["ops@example.test"], uri: ["spiffe://example.test/svc"], other: [],
    });
    expect(r.basicConstraints).toEqual({ ca: true, pathLength: 2 });
    expect(r.keyUsage).toEqual(["digitalSignature", "keyEncipherment"]);
    expect(r.extendedKeyUsage).toEqual(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]);
  });
  it("ok/ our own CSR, as PEM, DER, base64 and legacy label; a wrong signature is reported, not thrown", async () => {
    const key = await makeKey("RSA_2048");
    const info = buildCsrInfo(encodeName({ commonName: "mine" }), key.spki);
    const der = assembleCsr(info, "RSA_2048", signWith(key, info));
    for (const input of [der, toPem(der, "CERTIFICATE REQUEST"), Buffer.from(der).toString("base64"), toPem(der, "NEW CERTIFICATE REQUEST")]) {
      const c = parseCsr(input);
      expect(c.signatureValid).toBe(true);
      expect(c.requestedExtensions).toEqual({ present: false, oids: [] });
    }
    const other = await makeKey("RSA_2048");
    expect(parseCsr(assembleCsr(info, "RSA_2048", signWith(other, info))).signatureValid).toBe(false);
    // Claims ECDSA but the key is RSA: not valid.
    expect(parseCsr(assembleCsr(info, "EC_prime256v1", signWith(key, info))).signatureValid).toBe(false);
  });
});
