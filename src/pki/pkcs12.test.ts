import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isStampError } from "../errors.js";
import type { KeyAlgorithm } from "./algorithms.js";
import { assembleCertificate } from "./ca-certificate.js";
import { EKU, buildLeafTbs, defaultKeyUsage } from "./leaf-certificate.js";
import { encodeName } from "./name.js";
import { buildPkcs12, pkcs12Kdf, type Pkcs12Input } from "./pkcs12.js";
import { issueCa, makeKey, signWith, type TestIssuer, type TestKey } from "./pki-fixtures.test-util.js";

let dir: string;
let root: { der: Uint8Array; asIssuer: TestIssuer };
let inter: { der: Uint8Array; asIssuer: TestIssuer };
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stamp-p12-"));
  root = issueCa({ subject: { commonName: "Stamp P12 Root" }, key: await makeKey("EC_secp384r1") });
  inter = issueCa({ subject: { commonName: "Stamp P12 Issuing" }, key: await makeKey("EC_prime256v1"), issuer: root.asIssuer, pathLength: 0 });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs openssl; returns stdout and stderr, or throws with both. */
function openssl(args: string[]): { stdout: string; stderr: string } {
  try {
    const stdout = execFileSync("openssl", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { stdout, stderr: "" };
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; status?: number };
    throw new Error(`openssl ${args.join(" ")} failed (${err.status}):\n${err.stdout}\n${err.stderr}`);
  }
}
/** Like openssl() but captures stderr on success too (pkcs12 -info writes there). */
function opensslBoth(args: string[]): string {
  return execFileSync("sh", ["-c", `openssl "$@" 2>&1`, "sh", ...args], { cwd: dir, encoding: "utf8" });
}

/** A leaf of a fresh key issued by the intermediate, with its PKCS#8 private key. */
async function leafFor(alg: KeyAlgorithm): Promise<{ key: TestKey; cert: Uint8Array; pkcs8: Uint8Array }> {
  const key = await makeKey(alg);
  const eku = [EKU.serverAuth];
  const tbs = buildLeafTbs({
    serialNumber: Uint8Array.from(randomBytes(16)).map((b, i) => (i === 0 ? (b & 0x7f) | 1 : b)),
    subject: encodeName({ commonName: "p12.example.test" }),
    issuer: inter.asIssuer.name,
    notBefore: new Date("2025-01-01T00:00:00Z"),
    notAfter: new Date("2026-01-01T00:00:00Z"),
    spki: key.spki, issuerSpki: inter.asIssuer.key.spki, signerAlgorithm: inter.asIssuer.key.alg,
    sans: { dns: ["p12.example.test"] }, keyUsage: defaultKeyUsage(alg, eku), extendedKeyUsage: eku, selfSigned: false,
  });
  const cert = assembleCertificate(tbs, inter.asIssuer.key.alg, signWith(inter.asIssuer.key, tbs));
  return { key, cert, pkcs8: new Uint8Array(key.privateKey.export({ format: "der", type: "pkcs8" })) };
}

const random = (n: number) => new Uint8Array(randomBytes(n));
let fileNo = 0;
function writeP12(p12: Uint8Array): string {
  const name = `out-${fileNo++}.p12`;
  writeFileSync(join(dir, name), p12);
  return name;
}
const pems = (text: string, label: string): string[] => text.match(new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----\\n`, "g")) ?? [];

describe("pkcs12Kdf (RFC 7292 Appendix B.2, SHA-256)", () => {
  it("ok/ known answers (computed with OpenSSL 3's PKCS12KDF)", () => {
    const hex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
    const kdf = (...a: Parameters<typeof pkcs12Kdf>) => Buffer.from(pkcs12Kdf(...a)).toString("hex").toUpperCase();
    expect(kdf(hex("00700061007300730000"), hex("0102030405060708"), 3, 1000, 32)).toBe("12681AAD3120B4A96A07356A03BB9404DA33BE88157FC5D6688A7EE4EFE6BBE9");
    // Multi-block output (70 > 32 bytes) exercises the I_j update.
    expect(kdf(hex("00700000"), hex("01"), 1, 3, 70)).toBe(
      "6307790B2E77343E2D4820E9D576B6B368C5650BA24824FE7391DABB35CCB2859F758F47340479936ECD40230055B4F11FCACC289BB40DA91390E19ADDBD1F23BD151B672C60",
    );
    // Salt and password each longer than v = 64 bytes: several I blocks with carries.
    expect(kdf(hex(`${"0041".repeat(40)}0000`), hex("ab".repeat(70)), 2, 2, 100)).toBe(
      "6E796FAF58330DD52EDD0BFC52CBE5FFBA4A5E761400DD8AB12934068AB0E934F8551CCBADF70DDE912FB125D0F315ED051C5F7522FCE66190060BCD68781FBAFA982572AEECF90D7E3F37F5EC187547111A1E27A806A1C5AB0386FDADAE683AABE276C6",
    );
  });
});

describe("buildPkcs12 with openssl", () => {
  for (const alg of ["EC_prime256v1", "RSA_2048", "ED25519"] as const) {
    it(`ok/ ${alg}: openssl reads the certificates and a key that matches the leaf`, async () => {
      const { cert, pkcs8 } = await leafFor(alg);
      const password = "correct horse ✓ battery";
      const file = writeP12(buildPkcs12({ certificate: cert, chain: [inter.der, root.der], privateKeyPkcs8: pkcs8, password, friendlyName: "p12.example.test", random }));
      const out = openssl(["pkcs12", "-in", file, "-passin", `pass:${password}`, "-nodes"]).stdout;
      const certs = pems(out, "CERTIFICATE");
      expect(certs).toHaveLength(3);
      expect(out).toContain("friendlyName: p12.example.test");
      expect(out).toMatch(/localKeyID: [0-9A-F ]+/);
      const keys = pems(out, "PRIVATE KEY");
      expect(keys).toHaveLength(1);
      writeFileSync(join(dir, "key.pem"), keys[0]);
      writeFileSync(join(dir, "leaf.pem"), certs[0]);
      const fromKey = openssl(["pkey", "-in", "key.pem", "-pubout"]).stdout;
      const fromCert = openssl(["x509", "-in", "leaf.pem", "-noout", "-pubkey"]).stdout;
      expect(fromKey).toBe(fromCert);
      // The leaf comes first, then the chain in order.
      const subjects = certs.map((c, i) => {
        writeFileSync(join(dir, `c${i}.pem`), c);
        return openssl(["x509", "-in", `c${i}.pem`, "-noout", "-subject"]).stdout.trim();
      });
      expect(subjects).toEqual(["subject=CN = p12.example.test", "subject=CN = Stamp P12 Issuing", "subject=CN = Stamp P12 Root"]);
    });
  }

  it("ok/ -info shows PBES2 with AES-256-CBC and PBKDF2-HMAC-SHA256 for both bags, and a SHA-256 MAC", async () => {
    const { cert, pkcs8 } = await leafFor("EC_prime256v1");
    const file = writeP12(buildPkcs12({ certificate: cert, chain: [inter.der], privateKeyPkcs8: pkcs8, password: "pw", random, iterations: 4096 }));
    const info = opensslBoth(["pkcs12", "-in", file, "-passin", "pass:pw", "-info", "-noout"]);
    expect(info).toMatch(/MAC: sha256, Iteration 4096/);
    expect(info).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 4096, PRF hmacWithSHA256/);
    expect(info).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 4096, PRF hmacWithSHA256/);
  });

  it("ok/ the default is 10,000 iterations; an empty password works", async () => {
    const { cert, pkcs8 } = await leafFor("EC_prime256v1");
    const file = writeP12(buildPkcs12({ certificate: cert, chain: [], privateKeyPkcs8: pkcs8, password: "", random }));
    const info = opensslBoth(["pkcs12", "-in", file, "-passin", "pass:", "-info", "-nodes"]);
    expect(info).toMatch(/MAC: sha256, Iteration 10000/);
    expect(pems(info, "CERTIFICATE")).toHaveLength(1);
    expect(pems(info, "PRIVATE KEY")).toHaveLength(1);
  });

  it("fail/ a wrong password is refused by openssl", async () => {
    const { cert, pkcs8 } = await leafFor("EC_prime256v1");
    const file = writeP12(buildPkcs12({ certificate: cert, chain: [], privateKeyPkcs8: pkcs8, password: "right", random }));
    expect(() => openssl(["pkcs12", "-in", file, "-passin", "pass:wrong", "-nodes"])).toThrow(/mac verify failure|invalid password/i);
  });

  it("ok/ same random bytes give the same file (pure); salts and IVs come only from `random`", async () => {
    const { cert, pkcs8 } = await leafFor("EC_prime256v1");
    const seeded = () => {
      let i = 0;
      return (n: number) => Uint8Array.from({ length: n }, () => i++ & 0xff);
    };
    const input = (r: Pkcs12Input["random"]): Pkcs12Input => ({ certificate: cert, chain: [], privateKeyPkcs8: pkcs8, password: "pw", random: r, iterations: 1000 });
    expect(Buffer.from(buildPkcs12(input(seeded()))).equals(Buffer.from(buildPkcs12(input(seeded()))))).toBe(true);
  });
});

describe("buildPkcs12: bad input", () => {
  it("fail/ a key that does not belong to the certificate", async () => {
    const a = await leafFor("EC_prime256v1");
    const b = await leafFor("EC_prime256v1");
    try {
      buildPkcs12({ certificate: a.cert, chain: [], privateKeyPkcs8: b.pkcs8, password: "x", random });
      expect.unreachable();
    } catch (e) {
      expect(isStampError(e, "bad_request")).toBe(true);
      expect((e as Error).message).toBe("The private key does not belong to the certificate.");
    }
  });
  it("fail/ garbage certificate or key, and iteration counts out of range", async () => {
    const a = await leafFor("EC_prime256v1");
    const bad: Partial<Pkcs12Input>[] = [{ certificate: Uint8Array.of(1, 2) }, { privateKeyPkcs8: Uint8Array.of(0x30, 0) }, { chain: [Uint8Array.of(5)] }, { iterations: 0 }, { iterations: 1.5 }, { iterations: 10_000_000 }];
    for (const patch of bad) {
      expect(() => buildPkcs12({ certificate: a.cert, chain: [], privateKeyPkcs8: a.pkcs8, password: "x", random, ...patch })).toThrow(/PKCS#12|PKCS#8|iteration/);
    }
  });
  it("fail/ a random source that returns the wrong length is an internal error", async () => {
    const a = await leafFor("EC_prime256v1");
    expect(() => buildPkcs12({ certificate: a.cert, chain: [], privateKeyPkcs8: a.pkcs8, password: "x", random: () => new Uint8Array(3) })).toThrow(/random source/);
  });
});
