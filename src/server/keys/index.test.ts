import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isStampError } from "../../errors.js";
import { createKeys } from "./index.js";
import type { KeyBackend } from "./signer.js";
import { createSoftwareKeys } from "./software.js";

describe("createKeys", () => {
  it("ok/dispatches on the backend named in the ref", async () => {
    const calls: string[] = [];
    const fake: KeyBackend = {
      async generate() {
        calls.push("generate");
        return { ref: { backend: "pkcs11", tokenLabel: "t", id: "00" }, spki: new Uint8Array() };
      },
      async signer(_ref, alg) {
        calls.push("signer");
        return { keyAlgorithm: alg, spki: new Uint8Array(), sign: async () => new Uint8Array() };
      },
    };
    const keys = createKeys({ software: createSoftwareKeys({ rootKey: randomBytes(32) }), pkcs11: fake });
    const sw = await keys.generate("EC_prime256v1", "a", "software");
    expect(sw.ref.backend).toBe("software");
    expect((await keys.signer(sw.ref, "EC_prime256v1")).keyAlgorithm).toBe("EC_prime256v1");
    const hw = await keys.generate("EC_prime256v1", "a", "pkcs11");
    await keys.signer(hw.ref, "EC_prime256v1");
    expect(calls).toEqual(["generate", "signer"]);
  });

  it("fail/pkcs11 when not configured", async () => {
    const keys = createKeys({ software: createSoftwareKeys({ rootKey: randomBytes(32) }) });
    const msg = "PKCS#11 is not configured on this server (set STAMP_PKCS11_MODULE, STAMP_PKCS11_TOKEN_LABEL, STAMP_PKCS11_PIN)";
    const e1 = await keys.generate("RSA_2048", "a", "pkcs11").catch((e: unknown) => e);
    expect(isStampError(e1, "bad_request")).toBe(true);
    expect((e1 as Error).message).toBe(msg);
    const e2 = await keys.signer({ backend: "pkcs11", tokenLabel: "t", id: "00" }, "RSA_2048").catch((e: unknown) => e);
    expect(isStampError(e2, "bad_request")).toBe(true);
  });
});
