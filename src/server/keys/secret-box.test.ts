import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isStampError } from "../../errors.js";
import { seal } from "./envelope.js";
import { createSecretBox } from "./secret-box.js";
import { softwareKeyAad } from "./software.js";

const root = randomBytes(32);
const box = createSecretBox(root, ["acme-eab:", "alert-rule:"]);

describe("secret box", () => {
  it("ok/ seals and opens within its namespaces", () => {
    const s = box.seal(Buffer.from("hmac"), "acme-eab:kid-1");
    expect(Buffer.from(box.open(s, "acme-eab:kid-1")).toString()).toBe("hmac");
  });
  it("fail/ refuses to open a CA key's envelope, though it is sealed under the same root key", () => {
    const caKey = seal(root, Buffer.from("pkcs8"), softwareKeyAad("ca-1"));
    let err: unknown;
    try {
      box.open(caKey, softwareKeyAad("ca-1"));
    } catch (e) {
      err = e;
    }
    expect(isStampError(err) && err.kind).toBe("internal");
    expect(() => box.seal(Buffer.from("x"), softwareKeyAad("forged"))).toThrow(/AAD namespace of "stamp-key"/);
  });
  it("fail/ an envelope moved to another AAD in the namespace does not open", () => {
    const s = box.seal(Buffer.from("hmac"), "acme-eab:kid-1");
    expect(() => box.open(s, "acme-eab:kid-2")).toThrow();
  });
  it("fail/ a namespace must be a prefix ending in ':'", () => {
    expect(() => createSecretBox(root, ["stamp"])).toThrow(/ending in ':'/);
  });
});
