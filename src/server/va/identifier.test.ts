import { describe, expect, it } from "vitest";
import { checkIdentifier, reverseDnsName, urlHost } from "./identifier.js";

describe("identifiers", () => {
  it("ok/ DNS names and IP addresses", () => {
    expect(checkIdentifier({ type: "dns", value: "WWW.Example.test." }, false)).toEqual({ host: "www.example.test" });
    expect(checkIdentifier({ type: "ip", value: "2001:DB8::1" }, false)).toEqual({ host: "2001:db8::1" });
    expect(checkIdentifier({ type: "dns", value: "*.example.test" }, true)).toEqual({ host: "example.test" });
  });
  it.each([
    [{ type: "dns", value: "*.example.test" }, false, "dns-01"],
    [{ type: "dns", value: "127.0.0.1" }, true, "ip identifier"],
    [{ type: "dns", value: "exa mple.test" }, true, "not a valid DNS name"],
    [{ type: "dns", value: "a/../b" }, true, "not a valid DNS name"],
    [{ type: "dns", value: `${"a".repeat(64)}.test` }, true, "not a valid DNS name"],
    [{ type: "ip", value: "fe80::1%eth0" }, false, "not an IP address"],
    [{ type: "ip", value: "example.test" }, false, "not an IP address"],
    [{ type: "email", value: "a@b" }, false, "dns or ip"],
  ] as const)("fail/ %j is malformed", (id, wildcard, detail) => {
    const r = checkIdentifier(id as never, wildcard);
    expect(r).toMatchObject({ problem: { type: "malformed" } });
    expect("problem" in r && r.problem.detail).toContain(detail);
  });
  it("ok/ reverse-DNS names for SNI (RFC 8738 §6)", () => {
    expect(reverseDnsName("1.2.3.4")).toBe("4.3.2.1.in-addr.arpa");
    expect(reverseDnsName("2001:db8::567:89ab")).toBe("b.a.9.8.7.6.5.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa");
  });
  it("ok/ IPv6 literals in brackets in URLs", () => {
    expect(urlHost("::1")).toBe("[::1]");
    expect(urlHost("127.0.0.1")).toBe("127.0.0.1");
  });
});
