import { execFileSync } from "node:child_process";
import { createPublicKey, verify } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkcs11js from "pkcs11js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isStampError } from "../../errors.js";
import { algorithmParams, type KeyAlgorithm } from "../../pki/algorithms.js";
import { createPkcs11Keys, type Pkcs11Keys } from "./pkcs11.js";
import { ecdsaRawToDer } from "./pkcs11-encoding.js";
import type { KeyRef } from "./signer.js";

const MODULE = "/usr/lib/softhsm/libsofthsm2.so";
const TOKEN = "stamp-test";
const PIN = "1234";
const data = Buffer.from("to be signed: a TBSCertificate, say");

function verifies(spki: Uint8Array, alg: KeyAlgorithm, sig: Uint8Array): boolean {
  const pub = createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" });
  return verify(algorithmParams(alg).hash, data, pub, sig);
}

describe("ecdsaRawToDer", () => {
  it("ok/pads high bits and strips leading zeros", () => {
    const raw = Buffer.concat([Buffer.from([0x80, ...Array(31).fill(1)]), Buffer.from([0, 0, 5, ...Array(29).fill(2)])]);
    const der = ecdsaRawToDer(raw);
    expect(der.subarray(0, 6).toString("hex")).toBe("3043022100" + "80");
    expect(der.subarray(2 + 2 + 33, 2 + 2 + 33 + 3).toString("hex")).toBe("021e05");
  });
  it("ok/long-form length for P-521", () => {
    const der = ecdsaRawToDer(Buffer.alloc(132, 0xff));
    expect(der.subarray(0, 3).toString("hex")).toBe("30818a");
  });
});

const haveSoftHsm = existsSync(MODULE);
// A developer's machine may lack softhsm2 and skip; CI may not: there a missing module fails.
const inCi = !!process.env.CI && process.env.CI !== "false" && process.env.CI !== "0";
it.runIf(inCi)("ok/ CI has softhsm2, so the PKCS#11 tests below run rather than skip", () => {
  expect(haveSoftHsm, `${MODULE} is missing on CI (CI=${process.env.CI}): apt-get install -y softhsm2`).toBe(true);
});
describe.skipIf(!haveSoftHsm)(`PKCS#11 keys on SoftHSM${haveSoftHsm ? "" : ` (skipped: ${MODULE} is missing; apt-get install softhsm2)`}`, () => {
  let dir: string;
  let keys: Pkcs11Keys;
  const made: Array<{ alg: KeyAlgorithm; ref: KeyRef; spki: Uint8Array }> = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "stamp-softhsm-"));
    await writeFile(join(dir, "softhsm2.conf"), `directories.tokendir = ${dir}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env.SOFTHSM2_CONF = join(dir, "softhsm2.conf"); // before the module is loaded
    execFileSync("softhsm2-util", ["--init-token", "--free", "--label", TOKEN, "--pin", PIN, "--so-pin", "5678"], {
      env: process.env,
      stdio: "pipe",
    });
    keys = createPkcs11Keys({ modulePath: MODULE, tokenLabel: TOKEN, pin: PIN });
  });
  afterAll(async () => {
    keys?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  for (const alg of ["EC_prime256v1", "EC_secp384r1", "EC_secp521r1", "RSA_2048"] as const) {
    it(`ok/${alg}: generate, sign, verify with node:crypto`, async () => {
      const { ref, spki } = await keys.generate(alg, `ca-${alg}`);
      expect(ref).toMatchObject({ backend: "pkcs11", tokenLabel: TOKEN });
      if (ref.backend !== "pkcs11") throw new Error("unreachable");
      expect(ref.id).toMatch(/^[0-9a-f]{32}$/);
      const signer = await keys.signer(ref, alg);
      expect(Buffer.from(signer.spki).equals(Buffer.from(spki))).toBe(true);
      const sig = await signer.sign(data);
      if (alg.startsWith("EC_")) expect(sig[0]).toBe(0x30); // DER, as X.509 carries it
      expect(verifies(spki, alg, sig)).toBe(true);
      // In parts (hashed here, the digest signed on the token): RSA gives the same signature, ECDSA a valid one.
      const parts = signer.signParts!();
      for (let i = 0; i < data.length; i += 5) parts.update(data.subarray(i, i + 5));
      const partSig = await parts.sign();
      expect(verifies(spki, alg, partSig)).toBe(true);
      if (alg === "RSA_2048") expect(Buffer.from(partSig).equals(Buffer.from(sig))).toBe(true);
      made.push({ alg, ref, spki });
    });
  }

  it("ok/ED25519 when the token has CKM_EC_EDWARDS_KEY_PAIR_GEN, else a clear bad_request", async () => {
    const r = await keys.generate("ED25519", "ca-ed").catch((e: unknown) => e);
    if (isStampError(r)) {
      expect(r.kind).toBe("bad_request");
      expect(r.message).toBe("ED25519 keys are not supported by this PKCS#11 token");
      return;
    }
    const { ref, spki } = r as { ref: KeyRef; spki: Uint8Array };
    const edSigner = await keys.signer(ref, "ED25519");
    expect(edSigner.signParts).toBeUndefined(); // PureEdDSA cannot sign a digest
    const sig = await edSigner.sign(data);
    expect(sig.length).toBe(64);
    expect(verifies(spki, "ED25519", sig)).toBe(true);
    made.push({ alg: "ED25519", ref, spki });
  });

  it("ok/concurrent signatures share the session pool", async () => {
    const { alg, ref, spki } = made.find((m) => m.alg === "EC_prime256v1")!;
    const signer = await keys.signer(ref, alg);
    const sigs = await Promise.all(Array.from({ length: 40 }, () => signer.sign(data)));
    for (const sig of sigs) expect(verifies(spki, alg, sig)).toBe(true);
  });

  it("fail/wrong algorithm, unknown id, other token", async () => {
    const { ref } = made.find((m) => m.alg === "EC_prime256v1")!;
    if (ref.backend !== "pkcs11") throw new Error("unreachable");
    await expect(keys.signer(ref, "EC_secp384r1")).rejects.toThrow(/not a EC_secp384r1 key/);
    await expect(keys.signer(ref, "RSA_2048")).rejects.toThrow(/not a RSA_2048 key/);
    await expect(keys.signer({ ...ref, id: "00".repeat(16) }, "EC_prime256v1")).rejects.toThrow(/was not found/);
    await expect(keys.signer({ ...ref, tokenLabel: "other" }, "EC_prime256v1")).rejects.toSatisfy((e) => isStampError(e, "unavailable"));
  });

  it("ok/private keys are sensitive, not extractable, sign-only; CKA_VALUE cannot be read", () => {
    keys.close(); // this test drives the token directly with its own library instance
    const p = new pkcs11js.PKCS11();
    p.load(MODULE);
    p.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    try {
      const slot = p.C_GetSlotList(true).find((s) => p.C_GetTokenInfo(s).label.trimEnd() === TOKEN)!;
      const s = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION);
      p.C_Login(s, pkcs11js.CKU_USER, PIN);
      for (const { ref } of made) {
        if (ref.backend !== "pkcs11") throw new Error("unreachable");
        p.C_FindObjectsInit(s, [
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_ID, value: Buffer.from(ref.id, "hex") },
        ]);
        const [priv] = p.C_FindObjects(s, 2);
        p.C_FindObjectsFinal(s);
        expect(priv).toBeDefined();
        const flags = p.C_GetAttributeValue(s, priv!, [
          { type: pkcs11js.CKA_SENSITIVE },
          { type: pkcs11js.CKA_EXTRACTABLE },
          { type: pkcs11js.CKA_SIGN },
          { type: pkcs11js.CKA_DECRYPT },
          { type: pkcs11js.CKA_UNWRAP },
          { type: pkcs11js.CKA_DERIVE },
          { type: pkcs11js.CKA_TOKEN },
          { type: pkcs11js.CKA_PRIVATE },
        ]).map((a) => (a.value as Buffer)[0]);
        expect(flags).toEqual([1, 0, 1, 0, 0, 0, 1, 1]);
        const secretAttr = pkcs11js.CKA_VALUE; // EC/EdDSA private value
        let code: number | undefined;
        try {
          p.C_GetAttributeValue(s, priv!, [{ type: secretAttr }]);
        } catch (e) {
          code = (e as { code?: number }).code;
        }
        // RSA keys have no CKA_VALUE; their secret is CKA_PRIVATE_EXPONENT, equally unreadable.
        if (code === pkcs11js.CKR_ATTRIBUTE_TYPE_INVALID) {
          try {
            p.C_GetAttributeValue(s, priv!, [{ type: pkcs11js.CKA_PRIVATE_EXPONENT }]);
            code = undefined;
          } catch (e) {
            code = (e as { code?: number }).code;
          }
        }
        expect(code).toBe(pkcs11js.CKR_ATTRIBUTE_SENSITIVE);
      }
      p.C_Logout(s);
      p.C_CloseSession(s);
    } finally {
      p.C_Finalize();
      p.close();
    }
  });

  it("fail/a wrong PIN or unknown token is a clear unavailable error", () => {
    // Login is per application, not per session: run this while no other backend is logged in.
    const attempt = (o: { tokenLabel: string; pin: string }) => {
      try {
        createPkcs11Keys({ modulePath: MODULE, ...o }).close();
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const e1 = attempt({ tokenLabel: TOKEN, pin: "0000" });
    expect(isStampError(e1, "unavailable")).toBe(true);
    expect((e1 as Error).message).toContain("CKR_PIN_INCORRECT");
    expect((e1 as Error).message).not.toContain("0000");
    const e2 = attempt({ tokenLabel: "nope", pin: PIN });
    expect(isStampError(e2, "unavailable")).toBe(true);
    expect((e2 as Error).message).toContain(`"${TOKEN}"`);
  });

  it("ok/after closing and re-opening, a signer made from only the stored KeyRef signs", async () => {
    keys.close(); // idempotent
    keys = createPkcs11Keys({ modulePath: MODULE, tokenLabel: TOKEN, pin: PIN });
    expect(made.length).toBeGreaterThanOrEqual(4);
    for (const { alg, ref, spki } of made) {
      const stored = JSON.parse(JSON.stringify(ref)) as KeyRef;
      const signer = await keys.signer(stored, alg);
      expect(Buffer.from(signer.spki).equals(Buffer.from(spki))).toBe(true);
      expect(verifies(spki, alg, await signer.sign(data))).toBe(true);
    }
  });

  it("fail/using a closed backend", async () => {
    const k = createPkcs11Keys({ modulePath: MODULE, tokenLabel: TOKEN, pin: PIN });
    k.close();
    await expect(k.generate("EC_prime256v1", "x")).rejects.toSatisfy((e) => isStampError(e, "unavailable"));
  });
});
