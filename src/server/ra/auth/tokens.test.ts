import { randomBytes, randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createTokenService } from "./tokens.js";

describe("access tokens", () => {
  let now = new Date("2026-12-07T12:00:00Z");
  const tokens = createTokenService(randomBytes(32), () => now, randomUUID);

  it("ok/ a token verifies again and again (the second time from the memo) until it expires", () => {
    const { accessToken } = tokens.issue("user", "u1", 60, { gen: 0 });
    const first = tokens.verify(accessToken);
    expect(first.sub).toBe("u1");
    expect(tokens.verify(accessToken)).toEqual(first);
    expect(Object.isFrozen(tokens.verify(accessToken))).toBe(true);
    now = new Date(now.getTime() + 60_000);
    expect(() => tokens.verify(accessToken)).toThrow(/invalid or has expired/);
    expect(() => tokens.verify(accessToken)).toThrow(/invalid or has expired/);
    now = new Date(now.getTime() - 60_000);
  });

  it("fail/ a token with a changed signature or body is refused, even when the original was verified", () => {
    const { accessToken } = tokens.issue("identity", "m1", 60, { gen: 0, sid: "s1" });
    expect(tokens.verify(accessToken).sid).toBe("s1");
    const [body, sig] = accessToken.slice("stamp.".length).split(".");
    const flip = (s: string) => (s[0] === "A" ? "B" : "A") + s.slice(1);
    expect(() => tokens.verify(`stamp.${body}.${flip(sig)}`)).toThrow(/invalid/);
    expect(() => tokens.verify(`stamp.${flip(body)}.${sig}`)).toThrow(/invalid/);
    expect(() => createTokenService(randomBytes(32), () => now, randomUUID).verify(accessToken)).toThrow(/invalid/);
  });
});
