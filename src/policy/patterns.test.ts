import { describe, expect, it } from "vitest";
import { compilePattern, globMatch, matchDns, matchEmail, matchIp, matchSubject, matchUri, normaliseDns, type PatternKind } from "./patterns.js";

describe("normaliseDns", () => {
  it.each([
    ["ok/lower-cases", "WWW.Acme.COM", "www.acme.com"],
    ["ok/drops one trailing dot", "acme.com.", "acme.com"],
    ["ok/IDNA U-label to A-label", "bücher.example", "xn--bcher-kva.example"],
    ["ok/IDNA upper-case U-label", "BÜCHER.example.", "xn--bcher-kva.example"],
    ["ok/wildcard", "*.Acme.com", "*.acme.com"],
    ["ok/A-label kept", "xn--bcher-kva.example", "xn--bcher-kva.example"],
  ])("%s", (_, v, out) => expect(normaliseDns(v)).toBe(out));

  it.each([
    ["fail/two trailing dots", "acme.com.."],
    ["fail/empty label", "a..acme.com"],
    ["fail/comma injection", "a.acme.com,DNS:evil.com"],
    ["fail/NUL", "a\u0000.acme.com"],
    ["fail/space", "a acme.com"],
    ["fail/partial wildcard", "a*.acme.com"],
    ["fail/inner wildcard", "a.*.acme.com"],
    ["fail/bare star", "*"],
    ["fail/leading hyphen", "-a.acme.com"],
    ["fail/label over 63", `${"a".repeat(64)}.com`],
    ["fail/over 253", `${"a.".repeat(127)}com`],
    ["fail/IPv4 look-alike", "1.2.3.4"],
    ["fail/percent escape beside a U-label", "ü%2eevil.com"],
    ["fail/IDNA that does not convert", "\u200d.com"],
    ["fail/empty", ""],
  ])("%s", (_, v) => expect(normaliseDns(v)).toBeNull());
});

describe("globMatch", () => {
  it.each([
    ["ok/star matches empty", "a*", "a", true],
    ["ok/star in middle", "svc-*-prod", "svc-web-prod", true],
    ["ok/two stars", "*a*b*", "xxaxxbxx", true],
    ["fail/literal mismatch", "abc", "abd", false],
    ["fail/suffix missing", "a*b", "aab c", false],
    ["ok/pathological pattern stays fast", `${"*a".repeat(100)}b`, "a".repeat(5000), false],
  ])("%s", (_, p, v, out) => expect(globMatch(p, v)).toBe(out));
});

describe("matchDns", () => {
  it.each([
    ["ok/exact", "www.acme.com", "www.acme.com", true],
    ["ok/case-insensitive", "WWW.acme.com", "www.ACME.com", true],
    ["ok/trailing dot on value", "www.acme.com", "www.acme.com.", true],
    ["ok/trailing dot on pattern", "www.acme.com.", "www.acme.com", true],
    ["ok/wildcard one label", "*.acme.com", "a.acme.com", true],
    ["fail/wildcard does not match the apex", "*.acme.com", "acme.com", false],
    ["fail/wildcard does not match two labels", "*.acme.com", "a.b.acme.com", false],
    ["fail/wildcard suffix must be a label boundary", "*.acme.com", "a.evilacme.com", false],
    ["ok/requested wildcard matches the wildcard pattern", "*.acme.com", "*.acme.com", true],
    ["fail/requested wildcard does not match an exact pattern", "a.acme.com", "*.acme.com", false],
    ["fail/requested deeper wildcard", "*.acme.com", "*.a.acme.com", false],
    ["ok/star matches anything", "*", "*.anything.example", true],
    ["ok/IDNA value against A-label pattern", "*.xn--bcher-kva.example", "www.bücher.example", true],
    ["ok/IDNA pattern against A-label value", "bücher.example", "xn--bcher-kva.example", true],
    ["fail/invalid value", "*", "a.acme.com,DNS:evil.com", false],
  ])("%s", (_, p, v, out) => expect(matchDns(p, v)).toBe(out));
});

describe("matchIp", () => {
  it.each([
    ["ok/exact v4", "10.0.0.1", "10.0.0.1", true],
    ["fail/exact v4 other", "10.0.0.1", "10.0.0.2", false],
    ["ok/CIDR v4", "10.0.0.0/8", "10.255.1.2", true],
    ["fail/outside CIDR v4", "10.0.0.0/8", "11.0.0.1", false],
    ["ok/CIDR /0", "0.0.0.0/0", "203.0.113.9", true],
    ["ok/odd prefix", "192.168.4.0/22", "192.168.7.255", true],
    ["fail/odd prefix outside", "192.168.4.0/22", "192.168.8.0", false],
    ["ok/CIDR v6", "fd00::/8", "fd12:3456::1", true],
    ["fail/outside CIDR v6", "fd00::/8", "fe80::1", false],
    ["ok/v6 spelled differently", "2001:db8::1", "2001:0db8:0:0:0:0:0:1", true],
    ["fail/IPv4-mapped IPv6 is not IPv4", "10.0.0.0/8", "::ffff:10.0.0.1", false],
    ["fail/IPv4 is not in an IPv6 range", "::/0", "10.0.0.1", false],
    ["ok/star", "*", "::1", true],
    ["fail/leading zeros are not IPv4", "10.0.0.0/8", "010.0.0.1", false],
    ["fail/zone id", "fe80::/10", "fe80::1%eth0", false],
  ])("%s", (_, p, v, out) => expect(matchIp(p, v)).toBe(out));
});

describe("matchEmail", () => {
  it.each([
    ["ok/exact", "alice@acme.com", "alice@acme.com", true],
    ["ok/domain case-insensitive", "alice@ACME.com", "alice@acme.COM", true],
    ["fail/local part case-sensitive", "alice@acme.com", "Alice@acme.com", false],
    ["ok/any local part", "*@acme.com", "bob@acme.com", true],
    ["fail/other domain", "*@acme.com", "bob@evil.com", false],
    ["ok/local prefix glob", "svc-*@acme.com", "svc-web@acme.com", true],
    ["fail/local prefix glob", "svc-*@acme.com", "web@acme.com", false],
    ["ok/subdomain wildcard", "*@*.acme.com", "x@mail.acme.com", true],
    ["fail/subdomain wildcard is one label", "*@*.acme.com", "x@acme.com", false],
    ["ok/IDNA domain", "*@xn--bcher-kva.example", "x@bücher.example", true],
    ["fail/not an address", "*", "no-at-sign", false],
  ])("%s", (_, p, v, out) => expect(matchEmail(p, v)).toBe(out));
});

describe("matchUri and matchSubject", () => {
  it.each([
    ["ok/uri exact", "spiffe://acme.com/web", "spiffe://acme.com/web", true],
    ["ok/uri glob", "spiffe://acme.com/*", "spiffe://acme.com/ns/prod/sa/web", true],
    ["fail/uri glob other host", "spiffe://acme.com/*", "spiffe://evil.com/acme.com/x", false],
    ["fail/uri case-sensitive", "spiffe://acme.com/Web", "spiffe://acme.com/web", false],
  ])("%s", (_, p, v, out) => expect(matchUri(p, v)).toBe(out));

  it.each([
    ["ok/subject exact", "Acme Inc", "Acme Inc", "other", true],
    ["fail/subject case-sensitive", "Acme Inc", "acme inc", "other", false],
    ["ok/subject glob", "Acme*", "Acme Europe", "other", true],
    ["ok/country upper-cased", "us", "US", "country", true],
    ["ok/CN uses DNS rules for hostnames", "*.acme.com", "WWW.acme.com", "common_name", true],
    ["fail/CN DNS wildcard is one label", "*.acme.com", "a.b.acme.com", "common_name", false],
    ["ok/CN glob for non-hostnames", "Build *", "Build agent 7", "common_name", true],
  ] as const)("%s", (_, p, v, attr, out) => expect(matchSubject(p, v, attr)).toBe(out));
});

describe("compilePattern", () => {
  it.each([
    ["fail/empty", "dns", ""],
    ["fail/too long", "uri", `spiffe://${"a".repeat(250)}`],
    ["fail/partial-label wildcard", "dns", "a*.acme.com"],
    ["fail/inner wildcard", "dns", "www.*.acme.com"],
    ["fail/bad CIDR prefix", "ip", "10.0.0.0/33"],
    ["fail/bad CIDR v6 prefix", "ip", "fd00::/129"],
    ["fail/CIDR host bits set", "ip", "10.0.0.1/8"],
    ["fail/not an address", "ip", "10.0.0"],
    ["fail/email without @", "email", "acme.com"],
    ["fail/email bad domain", "email", "*@a*.acme.com"],
    ["fail/uri without scheme", "uri", "acme.com/web"],
    ["fail/control character", "subject", "Acme\u0000"],
    ["fail/not a string", "subject", 7],
  ] as const)("%s", (_, kind, p) => expect(compilePattern(kind as PatternKind, p)).toHaveProperty("error"));

  it("ok/literal flags", () => {
    const lit = (k: PatternKind, p: string) => { const m = compilePattern(k, p); return "error" in m ? "error" : m.literal; };
    expect([lit("dns", "a.acme.com"), lit("dns", "*.acme.com"), lit("ip", "10.0.0.1"), lit("ip", "10.0.0.0/8"), lit("email", "a@acme.com"), lit("uri", "spiffe://a/*")]).toEqual([true, false, true, false, true, false]);
  });
});
