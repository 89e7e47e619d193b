import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { OPTIONS, parseConfig } from "./config.js";

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
  it("ok/ client time bounds and connections per address: defaults, and a request timeout below the header timeout is refused", () => {
    const r = parseConfig([], {});
    if (!("config" in r)) throw new Error(JSON.stringify(r));
    expect(r.config.http).toEqual({ headersTimeoutSeconds: 10, requestTimeoutSeconds: 60, keepAliveTimeoutSeconds: 72, maxConnectionsPerAddress: 100 });
    const bad = parseConfig(["--headers-timeout", "30", "--request-timeout", "10", "--max-connections-per-address", "0"], {});
    if (!("violations" in bad)) throw new Error("expected violations");
    expect(bad.violations.map((v) => v.field).sort()).toEqual(["--max-connections-per-address", "--request-timeout"]);
  });
  it("ok/ README.md documents every option and its environment variable", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
    const missing = OPTIONS.filter((o) => !readme.includes(`\`--${o.flag}\``) || !readme.includes(`\`${o.env}\``)).map((o) => o.flag);
    expect(missing).toEqual([]);
  });
});
