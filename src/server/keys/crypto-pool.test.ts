import { spawnSync } from "node:child_process";
import { createPublicKey, randomBytes, sign, verify, type KeyObject } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assembleCertificate } from "../../pki/ca-certificate.js";
import { buildLeafTbs, EKU } from "../../pki/leaf-certificate.js";
import { encodeName } from "../../pki/name.js";
import { toPem } from "../../pki/pem.js";
import { StampError } from "../../errors.js";
import { createCryptoPool } from "./crypto-pool.js";
import { createSoftwareKeys } from "./software.js";

/** Runs openssl in a temp dir holding `files`. */
function openssl(args: string[], files: Record<string, string | Uint8Array>) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-pool-"));
  try {
    for (const [f, v] of Object.entries(files)) writeFileSync(path.join(dir, f), v);
    const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8", timeout: 30_000 });
    return { ok: r.status === 0, out: `${r.stdout}${r.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A self-signed RSA certificate of `key`, made with the pure pki encoders. */
function selfSigned(privateKey: KeyObject, publicKey: KeyObject): Uint8Array {
  const spki = new Uint8Array(publicKey.export({ type: "spki", format: "der" }));
  const name = encodeName({ commonName: "pool.test" });
  const now = Date.now();
  const tbs = buildLeafTbs({ serialNumber: new Uint8Array([1, 2, 3]), subject: name, issuer: name, notBefore: new Date(now - 60_000), notAfter: new Date(now + 86_400_000), spki, issuerSpki: spki, signerAlgorithm: "RSA_2048", sans: { dns: ["pool.test"] }, keyUsage: ["digitalSignature"], extendedKeyUsage: [EKU.serverAuth], selfSigned: true });
  return assembleCertificate(tbs, "RSA_2048", new Uint8Array(sign("sha256", tbs, privateKey)));
}

describe("crypto pool (worker threads)", () => {
  const pool = createCryptoPool({ threads: 2 });
  afterAll(() => pool.close());

  it.each([
    ["RSA_2048", 2048],
    ["RSA_3072", 3072],
  ] as const)("ok/%s key pairs made in a worker thread are whole keys that OpenSSL accepts", async (alg, bits) => {
    const [a, b] = await Promise.all([pool.generateKeyPair(alg), pool.generateKeyPair(alg)]);
    for (const k of [a, b]) {
      expect(k.privateKey.asymmetricKeyDetails).toMatchObject({ modulusLength: bits, publicExponent: 65537n });
      const sig = sign("sha256", Buffer.from("data"), k.privateKey);
      expect(verify("sha256", Buffer.from("data"), k.publicKey, sig)).toBe(true);
      expect(createPublicKey(k.privateKey).equals(k.publicKey)).toBe(true);
      const check = openssl(["pkey", "-in", "k.pem", "-check", "-noout"], { "k.pem": k.privateKey.export({ type: "pkcs8", format: "pem" }) as string });
      expect(check.ok, check.out).toBe(true);
    }
    expect(a.publicKey.equals(b.publicKey)).toBe(false);
  });

  it("ok/EC and Ed25519 keys are made inline, without starting a thread", async () => {
    const fresh = createCryptoPool({ threads: 1 });
    await fresh.close(); // closed: any task reaching a thread would fail
    expect((await fresh.generateKeyPair("EC_prime256v1")).privateKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect((await fresh.generateKeyPair("ED25519")).privateKey.asymmetricKeyType).toBe("ed25519");
    await expect(fresh.generateKeyPair("RSA_2048")).rejects.toMatchObject({ kind: "unavailable" });
  });

  it("ok/the software key backend seals keys the pool made", async () => {
    const keys = createSoftwareKeys({ rootKey: randomBytes(32), generateKeyPair: pool.generateKeyPair });
    const { ref, spki } = await keys.generate("RSA_2048", "pool-key");
    const signer = await keys.signer(ref, "RSA_2048");
    expect(Buffer.from(signer.spki).equals(Buffer.from(spki))).toBe(true);
    expect(verify("sha256", Buffer.from("x"), createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }), await signer.sign(new Uint8Array(Buffer.from("x"))))).toBe(true);
  });

  it("ok/a PKCS#12 built in a worker thread opens with openssl pkcs12, with the salts drawn from the injected random source", async () => {
    const { privateKey, publicKey } = await pool.generateKeyPair("RSA_2048");
    const cert = selfSigned(privateKey, publicKey);
    let drawn = 0;
    const p12 = await pool.buildPkcs12({
      certificate: cert,
      chain: [],
      privateKeyPkcs8: new Uint8Array(privateKey.export({ type: "pkcs8", format: "der" })),
      password: "pool password",
      random: (n) => {
        drawn += n;
        return new Uint8Array(randomBytes(n));
      },
    });
    expect(drawn).toBeGreaterThanOrEqual(80);
    const r = openssl(["pkcs12", "-in", "a.p12", "-passin", "pass:pool password", "-nodes"], { "a.p12": p12 });
    expect(r.ok, r.out).toBe(true);
    expect(r.out).toContain(toPem(cert, "CERTIFICATE").trim().split("\n")[1]);
    expect(r.out).toContain("BEGIN PRIVATE KEY");
    const wrong = openssl(["pkcs12", "-in", "a.p12", "-passin", "pass:wrong", "-nodes"], { "a.p12": p12 });
    expect(wrong.ok).toBe(false);
  });

  it("fail/a refusal inside the worker comes back as the same StampError (kind and message), not an internal error", async () => {
    const a = await pool.generateKeyPair("RSA_2048");
    const b = await pool.generateKeyPair("RSA_2048");
    const e = await pool
      .buildPkcs12({ certificate: selfSigned(a.privateKey, a.publicKey), chain: [], privateKeyPkcs8: new Uint8Array(b.privateKey.export({ type: "pkcs8", format: "der" })), password: "p", random: (n) => new Uint8Array(randomBytes(n)) })
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StampError);
    expect(e).toMatchObject({ kind: "bad_request", message: "The private key does not belong to the certificate." });
  });
});
