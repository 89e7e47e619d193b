import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer, type TestServer } from "./helpers/harness.js";
import { verifyChain } from "./helpers/openssl.js";

const MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const CA = "/api/v1/cert-manager/ca/internal";

// A CA whose key lives in a PKCS#11 token (Debian's softhsm2) signs without the key leaving it.
describe("PKCS#11 CA keys (softhsm2)", () => {
  let dir = "";
  let s: TestServer;
  beforeAll(async () => {
    expect(existsSync(MODULE), `${MODULE} is missing: apt-get install -y softhsm2`).toBe(true);
    dir = mkdtempSync(path.join(os.tmpdir(), "stamp-hsm-"));
    writeFileSync(path.join(dir, "softhsm2.conf"), `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    // The token library reads its configuration from the environment of this process.
    process.env.SOFTHSM2_CONF = path.join(dir, "softhsm2.conf");
    execFileSync("softhsm2-util", ["--init-token", "--free", "--label", "stamp-ca", "--pin", "1234", "--so-pin", "5678"], { env: process.env, stdio: "ignore" });
    s = await startServer({ env: { STAMP_PKCS11_MODULE: MODULE, STAMP_PKCS11_TOKEN_LABEL: "stamp-ca", STAMP_PKCS11_PIN: "1234" } });
  });
  afterAll(async () => {
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const alg of ["EC_prime256v1", "EC_secp384r1", "RSA_2048"] as const) {
    it(`ok/ ${alg}: root and intermediate with token keys verify with openssl; the database holds only a token reference`, async () => {
      const t = s.adminToken;
      const root = await s.api("POST", CA, { token: t, body: { projectId: s.defaultProjectId, name: `hsm-root-${alg}`, keyBackend: "pkcs11", configuration: { type: "root", commonName: `HSM Root ${alg}`, keyAlgorithm: alg } } });
      expect(root.status, JSON.stringify(root.body)).toBe(200);
      expect(root.body.keyBackend).toBe("pkcs11");
      const int = await s.api("POST", CA, { token: t, body: { projectId: s.defaultProjectId, name: `hsm-int-${alg}`, keyBackend: "pkcs11", configuration: { type: "intermediate", commonName: `HSM Int ${alg}`, keyAlgorithm: alg, parentCaId: root.body.id } } });
      expect(int.status, JSON.stringify(int.body)).toBe(200);
      const rootPem = (await s.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body.certificate;
      const intPem = (await s.api("GET", `${CA}/${int.body.id}/certificate`, { token: t })).body.certificate;
      expect(verifyChain(rootPem, "", intPem).out).toContain("cert.pem: OK");

      const keys = await s.server.store.ca.keysOf(root.body.id);
      expect(keys).toHaveLength(1);
      const ref = keys[0].key_ref as Record<string, unknown>;
      expect(ref).toMatchObject({ backend: "pkcs11", tokenLabel: "stamp-ca" });
      expect(Object.keys(ref).sort()).toEqual(["backend", "id", "tokenLabel"]);
    });
  }

  it("fail/ without PKCS#11 configured, asking for a token key is a clear 400", async () => {
    const plain = await startServer();
    try {
      const r = await plain.api("POST", CA, { token: plain.adminToken, body: { projectId: plain.defaultProjectId, name: "no-hsm", keyBackend: "pkcs11", configuration: { type: "root", commonName: "x", keyAlgorithm: "EC_prime256v1" } } });
      expect(r.status).toBe(400);
      expect(r.body.detail).toContain("PKCS#11 is not configured");
      // Nothing half-made stays behind.
      expect((await plain.api("GET", `${CA}?projectId=${plain.defaultProjectId}`, { token: plain.adminToken })).body).toEqual([]);
    } finally {
      await plain.close();
    }
  });
});
