import { describe, expect, it } from "vitest";
import { globMatch, matchesFilters } from "./match.js";
import { signBody } from "./cloudevent.js";

const cert = { profileId: "p1", caId: "c1", commonName: "Web.Example.com", altNames: [{ type: "dns_name", value: "api.example.com" }] };
const none = { profileIds: [], caIds: [], namePattern: null };

describe("alert filters", () => {
  it("ok/ globs match CN or any SAN, case-insensitive; dots are literal", () => {
    expect(globMatch("*.example.com", "web.example.com")).toBe(true);
    expect(globMatch("*.example.com", "webxexample.com")).toBe(false);
    expect(globMatch("web-*", "WEB-1")).toBe(true);
    expect(matchesFilters({ ...none, namePattern: "api.*" }, cert)).toBe(true);
    expect(matchesFilters({ ...none, namePattern: "web.example.com" }, cert)).toBe(true);
  });
  it("fail/ a profile, CA or name outside the filter", () => {
    expect(matchesFilters({ ...none, profileIds: ["p2"] }, cert)).toBe(false);
    expect(matchesFilters({ ...none, caIds: ["c2"] }, cert)).toBe(false);
    expect(matchesFilters({ ...none, namePattern: "*.example.org" }, cert)).toBe(false);
    expect(matchesFilters(none, cert)).toBe(true);
  });
  it("ok/ the signature is HMAC-SHA256 of the body (RFC 4231 test case 2)", () => {
    expect(signBody(new TextEncoder().encode("Jefe"), "what do ya want for nothing?")).toBe("sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  });
});
