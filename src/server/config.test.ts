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
  it("ok/ README.md documents every option and its environment variable", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, "../../README.md"), "utf8");
    const missing = OPTIONS.filter((o) => !readme.includes(`\`--${o.flag}\``) || !readme.includes(`\`${o.env}\``)).map((o) => o.flag);
    expect(missing).toEqual([]);
  });
});
