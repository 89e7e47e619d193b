import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createNonces, NONCE_LIFETIME_MS } from "./nonces.js";

describe("ACME nonces", () => {
  const key = randomBytes(32);
  let now = new Date("2026-12-07T12:00:00Z");
  const nonces = createNonces(key, randomBytes, () => now);

  it("ok/ a nonce checks on any server with the same key, until it expires", () => {
    const n = nonces.issue();
    expect(n).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const other = createNonces(key, randomBytes, () => now);
    expect(other.check(n)?.getTime()).toBe(now.getTime() + NONCE_LIFETIME_MS);
    now = new Date(now.getTime() + NONCE_LIFETIME_MS - 1);
    expect(nonces.check(n)).toBeDefined();
    now = new Date(now.getTime() + 1);
    expect(nonces.check(n)).toBeUndefined();
  });

  it("fail/ forged, altered, truncated and foreign nonces are refused", () => {
    const n = nonces.issue();
    const raw = Buffer.from(n, "base64url");
    raw[3] ^= 1; // a later expiry, say
    expect(nonces.check(raw.toString("base64url"))).toBeUndefined();
    expect(nonces.check(n.slice(0, -1))).toBeUndefined();
    expect(nonces.check(`${n}A`)).toBeUndefined();
    expect(nonces.check("")).toBeUndefined();
    expect(nonces.check("!".repeat(43))).toBeUndefined();
    expect(createNonces(randomBytes(32), randomBytes, () => now).check(n)).toBeUndefined();
    expect(nonces.check(randomBytes(32).toString("base64url").slice(0, 43))).toBeUndefined();
  });
});
