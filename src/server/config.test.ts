import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OPTIONS, parseConfig, schemeNotices, workerCount } from "./config.js";

describe("config", () => {
  it("ok/ defaults: 127.0.0.1:8443, TLS auto, embedded database", () => {
    const r = parseConfig([], {});
    if (!("config" in r)) throw new Error(JSON.stringify(r));
    expect(r.config).toMatchObject({ host: "127.0.0.1", port: 8443, tls: { mode: "auto" }, databaseUrl: null, publicUrl: "https://127.0.0.1:8443" });
  });
  it("ok/ flags win over the environment; --flag=value and --flag value both work", () => {
    const r = parseConfig(["--listen=0.0.0.0:9000", "--tls", "off"], { STAMP_LISTEN: "127.0.0.1:1", STAMP_PUBLIC_URL: "https://ca.example.com/" });
    if (!("config" in r)) throw new Error(JSON.stringify(r));
    expect(r.config).toMatchObject({ host: "0.0.0.0", port: 9000, tls: { mode: "off" }, publicUrl: "https://ca.example.com" });
  });
  it("fail/ every problem at once, each naming its option", () => {
    const r = parseConfig(["--listen", "nope", "--tls", "maybe", "--bogus", "--access-token-ttl", "5"], { DATABASE_URL: "mysql://x", STAMP_BOOTSTRAP_EMAIL: "a@b.c" });
    if (!("violations" in r)) throw new Error("expected violations");
    expect(r.violations.map((v) => v.field).sort()).toEqual(["--access-token-ttl", "--bogus", "--database-url", "--listen", "--tls", "STAMP_BOOTSTRAP_EMAIL"].sort());
  });
  it("ok/ --egress-allow takes CIDRs, addresses, names and *.suffix, from the flag or STAMP_EGRESS_ALLOW", () => {
    const r = parseConfig(["--egress-allow", "10.0.0.0/8, fd00::/8,127.0.0.1,Hooks.Corp.Example,*.svc.example"], {});
    if (!("config" in r)) throw new Error(JSON.stringify(r));
    expect(r.config.egressAllow).toEqual(["10.0.0.0/8", "fd00::/8", "127.0.0.1", "hooks.corp.example", "*.svc.example"]);
    const e = parseConfig([], { STAMP_EGRESS_ALLOW: "192.168.0.0/16" });
    expect("config" in e && e.config.egressAllow).toEqual(["192.168.0.0/16"]);
    const none = parseConfig([], {});
    expect("config" in none && none.config.egressAllow).toEqual([]);
  });
  it("fail/ bad --egress-allow entries are each named", () => {
    const r = parseConfig(["--egress-allow", "10.0.0.0/40,not a host,ok.example"], {});
    if (!("violations" in r)) throw new Error("expected violations");
    expect(r.violations.map((v) => [v.field, v.code])).toEqual([["--egress-allow", "invalid"], ["--egress-allow", "invalid"]]);
    expect(r.violations.map((v) => v.message).join(" ")).toContain('"10.0.0.0/40"');
  });
  it("fail/ an SMTP relay on a refused literal address needs --egress-allow", () => {
    const args = ["--smtp-url", "smtp://0x7f000001:25", "--smtp-from", "stamp@example.com"];
    const r = parseConfig(args, {});
    if (!("violations" in r)) throw new Error("expected violations");
    expect(r.violations).toEqual([expect.objectContaining({ field: "--smtp-url", code: "egress_refused", message: expect.stringContaining("0x7f000001 means 127.0.0.1, a loopback address") })]); // smtp: URLs keep the raw host
    expect("config" in parseConfig([...args, "--egress-allow", "127.0.0.0/8"], {})).toBe(true);
    expect("config" in parseConfig(["--smtp-url", "smtp://relay.example.com:25", "--smtp-from", "stamp@example.com"], {})).toBe(true);
  });
  it("ok/ with TLS a plain-HTTP revocation listener is on by default (port 8080) and its URL is the base of revocation URLs", () => {
    const r = parseConfig([], {});
    if (!("config" in r)) throw new Error(JSON.stringify(r));
    expect(r.config.http).toEqual({ host: "127.0.0.1", port: 8080, publicUrl: "http://127.0.0.1:8080" });
    expect(r.config.revocationUrl).toBe("http://127.0.0.1:8080");
    expect(schemeNotices(r.config)).toEqual([]);
    // The public URL's host is the default host of the HTTP URL; port 80 is left out.
    const named = parseConfig(["--listen", "0.0.0.0:443", "--public-url", "https://ca.example.com", "--http-listen", "0.0.0.0:80"], {});
    if (!("config" in named)) throw new Error(JSON.stringify(named));
    expect(named.config.revocationUrl).toBe("http://ca.example.com");
    const env = parseConfig([], { STAMP_HTTP_LISTEN: "[::1]:8081", STAMP_HTTP_PUBLIC_URL: "http://crl.example.com/" });
    if (!("config" in env)) throw new Error(JSON.stringify(env));
    expect(env.config.http).toEqual({ host: "::1", port: 8081, publicUrl: "http://crl.example.com" });
  });
  it("ok/ --tls off needs no second listener; --http-listen off keeps https:// revocation URLs, with a warning", () => {
    const plain = parseConfig(["--tls", "off"], {});
    if (!("config" in plain)) throw new Error(JSON.stringify(plain));
    expect(plain.config.http).toBeNull();
    expect(plain.config.revocationUrl).toBe("http://127.0.0.1:8443");
    const off = parseConfig(["--http-listen", "off"], {});
    if (!("config" in off)) throw new Error(JSON.stringify(off));
    expect(off.config.revocationUrl).toBe("https://127.0.0.1:8443");
    expect(schemeNotices(off.config).join("\n")).toContain("Turn on --http-listen");
  });
  it("ok/ a public URL whose scheme differs from its listener's gives a warning", () => {
    const r = parseConfig(["--tls", "off", "--public-url", "https://ca.example.com", "--http-listen", "127.0.0.1:8080", "--http-public-url", "https://crl.example.com"], {});
    if (!("config" in r)) throw new Error(JSON.stringify(r));
    const notices = schemeNotices(r.config).join("\n");
    expect(notices).toContain("--public-url https://ca.example.com is https but the server listens with http");
    expect(notices).toContain("--http-public-url https://crl.example.com is not http://");
  });
  it("fail/ a bad --http-listen or --http-public-url, and a URL without its listener, each name their option", () => {
    const bad = parseConfig(["--http-listen", "nope", "--http-public-url", "ftp://x"], {});
    if (!("violations" in bad)) throw new Error("expected violations");
    expect(bad.violations.map((v) => v.field)).toEqual(["--http-listen"]);
    const url = parseConfig(["--http-public-url", "ftp://x"], {});
    if (!("violations" in url)) throw new Error("expected violations");
    expect(url.violations.map((v) => v.field)).toEqual(["--http-public-url"]);
    const orphan = parseConfig(["--http-listen", "off", "--http-public-url", "http://x"], {});
    if (!("violations" in orphan)) throw new Error("expected violations");
    expect(orphan.violations[0]).toMatchObject({ field: "--http-public-url", code: "without_listener" });
  });
  it("ok/ client time bounds and connections per address: defaults, and a request timeout below the header timeout is refused", () => {
    const r = parseConfig([], {});
    if (!("config" in r)) throw new Error(JSON.stringify(r));
    expect(r.config.clientLimits).toEqual({ headersTimeoutSeconds: 10, requestTimeoutSeconds: 60, keepAliveTimeoutSeconds: 72, maxConnectionsPerAddress: 100 });
    const bad = parseConfig(["--headers-timeout", "30", "--request-timeout", "10", "--max-connections-per-address", "0"], {});
    if (!("violations" in bad)) throw new Error("expected violations");
    expect(bad.violations.map((v) => v.field).sort()).toEqual(["--max-connections-per-address", "--request-timeout"]);
  });
  it("ok/ project creation: server admins only by default, every user with --project-creation users", () => {
    const def = parseConfig([], {});
    const open = parseConfig([], { STAMP_PROJECT_CREATION: "users" });
    if (!("config" in def) || !("config" in open)) throw new Error("expected configs");
    expect([def.config.projectCreation, open.config.projectCreation]).toEqual(["admins", "users"]);
    const bad = parseConfig(["--project-creation", "everyone"], {});
    if (!("violations" in bad)) throw new Error("expected violations");
    expect(bad.violations).toEqual([expect.objectContaining({ field: "--project-creation", code: "invalid" })]);
  });
  it("fail/ a bootstrap password that is the email, its local part or one repeated character", () => {
    for (const [password, code] of [["Root.Admin@Example.com", "same_as_email"], ["root.admin.1", "same_as_email"], ["xxxxxxxxxxxxxxxx", "repeated_character"]]) {
      const r = parseConfig([], { STAMP_BOOTSTRAP_EMAIL: password === "root.admin.1" ? "Root.Admin.1@example.com" : "root.admin@example.com", STAMP_BOOTSTRAP_PASSWORD: password });
      if (!("violations" in r)) throw new Error(`expected violations for ${password}`);
      expect(r.violations).toEqual([expect.objectContaining({ field: "STAMP_BOOTSTRAP_PASSWORD", code })]);
      expect(JSON.stringify(r.violations)).not.toContain(password);
    }
  });
  it("ok/ --workers: auto is one per core on PostgreSQL and 1 on the embedded store; a number is taken as given", () => {
    const pg = { DATABASE_URL: "postgres://u@127.0.0.1/db" };
    const auto = parseConfig([], pg);
    if (!("config" in auto)) throw new Error(JSON.stringify(auto));
    expect(auto.config.workers).toBe("auto");
    expect(workerCount(auto.config, 8)).toBe(8);
    expect(workerCount(auto.config, 1)).toBe(1);
    const embedded = parseConfig([], {});
    expect("config" in embedded && workerCount(embedded.config, 8)).toBe(1);
    const three = parseConfig(["--workers", "3"], pg);
    expect("config" in three && workerCount(three.config, 8)).toBe(3);
    const env = parseConfig([], { ...pg, STAMP_WORKERS: "2" });
    expect("config" in env && env.config.workers).toBe(2);
    const one = parseConfig(["--workers", "1"], {});
    expect("config" in one && workerCount(one.config, 8)).toBe(1);
  });
  it("fail/ --workers above 1 on the embedded store is refused with the reason; 0, 65 and words are out of range", () => {
    const r = parseConfig(["--workers", "2"], {});
    if (!("violations" in r)) throw new Error("expected violations");
    expect(r.violations).toEqual([expect.objectContaining({ field: "--workers", code: "needs_postgres", message: expect.stringContaining("needs PostgreSQL (--database-url)") })]);
    for (const bad of ["0", "65", "many", "1.5"]) {
      const b = parseConfig(["--workers", bad], { DATABASE_URL: "postgres://u@127.0.0.1/db" });
      expect("violations" in b && b.violations.map((v) => v.code)).toEqual(["out_of_range"]);
    }
  });
  it("ok/ README.md documents every option and its environment variable", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
    const missing = OPTIONS.filter((o) => !readme.includes(`\`--${o.flag}\``) || !readme.includes(`\`${o.env}\``)).map((o) => o.flag);
    expect(missing).toEqual([]);
  });
});
