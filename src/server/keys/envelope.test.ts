import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isStampError } from "../../errors.js";
import { isSealed, open, rewrap, seal, type Sealed } from "./envelope.js";
import { makeKeyring, rootKeyId } from "./keyring.js";

const root = randomBytes(32);
const secret = Buffer.from("the private key bytes");
const MSG = "stored key could not be decrypted (wrong root key or tampered data)";

function expectOpenFails(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(isStampError(e, "internal")).toBe(true);
    expect((e as Error).message).toBe(MSG);
    return;
  }
  throw new Error("expected open() to fail");
}

function flip(b64: string, at = 0): string {
  const b = Buffer.from(b64, "base64");
  b[at] = b[at]! ^ 0x01;
  return b.toString("base64");
}

describe("envelope", () => {
  it("ok/round trip, JSON-serialisable", () => {
    const s = seal(root, secret, "stamp-key:ca-1");
    const back = JSON.parse(JSON.stringify(s)) as Sealed;
    expect(isSealed(back)).toBe(true);
    expect(back.v).toBe(1);
    expect(back.alg).toBe("A256GCM");
    expect(open(root, back, "stamp-key:ca-1").equals(secret)).toBe(true);
  });

  it("ok/each seal uses a fresh data key and IVs", () => {
    const a = seal(root, secret, "x");
    const b = seal(root, secret, "x");
    expect(a.wrappedKey).not.toBe(b.wrappedKey);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ciphertext).not.toBe(b.ciphertext);
  });

  it("ok/empty plaintext", () => {
    expect(open(root, seal(root, new Uint8Array(0), "a"), "a").length).toBe(0);
  });

  it("fail/wrong AAD", () => {
    const s = seal(root, secret, "stamp-key:ca-1");
    expectOpenFails(() => open(root, s, "stamp-key:ca-2"));
  });

  it("fail/wrong root key: the message names the root key the envelope needs", () => {
    const s = seal(root, secret, "a");
    expect(() => open(randomBytes(32), s, "a")).toThrow(`stored key could not be decrypted (wrong root key: it is sealed under root key ${rootKeyId(root)}, which is not in this server's root key file`);
    // An envelope from before key ids: every key is tried, and the failure is the generic one.
    const { kid: _kid, ...legacy } = s;
    expectOpenFails(() => open(randomBytes(32), legacy, "a"));
  });

  for (const field of ["ciphertext", "tag", "iv", "wrappedKey", "keyTag", "keyIv"] as const) {
    it(`fail/flipped ${field}`, () => {
      const s = seal(root, secret, "a");
      expectOpenFails(() => open(root, { ...s, [field]: flip(s[field]) }, "a"));
    });
  }

  it("fail/truncated tag, unknown version, garbage", () => {
    const s = seal(root, secret, "a");
    expectOpenFails(() => open(root, { ...s, tag: Buffer.from(s.tag, "base64").subarray(0, 8).toString("base64") }, "a"));
    expectOpenFails(() => open(root, { ...s, v: 2 } as unknown as Sealed, "a"));
    expectOpenFails(() => open(root, { ...s, ciphertext: "%%%" }, "a"));
    expectOpenFails(() => open(root, null as unknown as Sealed, "a"));
  });

  it("fail/a root key that is not 32 bytes", () => {
    expect(() => seal(randomBytes(16), secret, "a")).toThrow(/32 bytes/);
  });
});

describe("envelope with a keyring (root key rotation)", () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);
  const during = makeKeyring(newKey, [{ role: "previous", key: oldKey }]);

  it("ok/seals with the current key and names it; opens what either key sealed", () => {
    const s = seal(during, secret, "a");
    expect(s.kid).toBe(rootKeyId(newKey));
    expect(open(during, s, "a").equals(secret)).toBe(true);
    expect(open(during, seal(oldKey, secret, "a"), "a").equals(secret)).toBe(true);
    // A staged next key opens too, before it seals anything.
    expect(open(makeKeyring(oldKey, [{ role: "next", key: newKey }]), s, "a").equals(secret)).toBe(true);
  });

  it("ok/rewrap changes only the data-key wrap; the result opens with the new key alone, not the old", () => {
    const before = seal(oldKey, secret, "a");
    const after = rewrap(during, before, "a")!;
    expect(after.kid).toBe(rootKeyId(newKey));
    expect([after.iv, after.tag, after.ciphertext]).toEqual([before.iv, before.tag, before.ciphertext]);
    expect(after.wrappedKey).not.toBe(before.wrappedKey);
    expect(open(newKey, after, "a").equals(secret)).toBe(true);
    expect(() => open(oldKey, after, "a")).toThrow(/wrong root key/);
    expect(rewrap(during, after, "a")).toBeNull();
  });

  it("ok/an envelope from before key ids (no kid) opens with the ring and is re-wrapped", () => {
    const { kid: _kid, ...legacy } = seal(oldKey, secret, "a");
    expect(open(during, legacy, "a").equals(secret)).toBe(true);
    expect(open(newKey, rewrap(during, legacy, "a")!, "a").equals(secret)).toBe(true);
  });

  it("fail/rewrap refuses the wrong AAD or a tampered secret, rather than re-wrapping something broken", () => {
    const s = seal(oldKey, secret, "a");
    expectOpenFails(() => rewrap(during, s, "b"));
    expectOpenFails(() => rewrap(during, { ...s, ciphertext: flip(s.ciphertext) }, "a"));
  });
});
