import { describe, expect, it } from "vitest";
import { characterViolations, echoValue, hasBadCharacters, sanitize } from "./input-checks.js";

describe("hasBadCharacters", () => {
  it.each(["plain", "multi\nline\r\n\ttext", "é ünïcödé 😀", "\u2028", ""])("ok/%j", (s) => {
    expect(hasBadCharacters(s)).toBe(false);
  });
  it.each(["a\u0000b", "\u0001", "\u001b[31m", "\u007f", "\u0085", "\ud800", "x\udfffy", "\ud83d"])("fail/%j", (s) => {
    expect(hasBadCharacters(s)).toBe(true);
  });
  it("sanitize replaces each refused character", () => {
    expect(sanitize("a\u0000b\ud800c😀")).toBe("a\uFFFDb\uFFFDc😀");
  });
});

describe("characterViolations", () => {
  it("names every field, nested ones and array items by path", () => {
    const v = characterViolations({ name: "ok", description: "a\u0000", defaults: { organization: "\ud800" }, profiles: ["fine", "x\u0007"] });
    expect(v.map((x) => `${x.field}:${x.code}`)).toEqual(["description:invalid_characters", "defaults.organization:invalid_characters", "profiles.1:invalid_characters"]);
  });
  it("refuses a bad object key without echoing it raw", () => {
    const v = characterViolations({ "a\u0000": 1 });
    expect(v[0].field).toBe("a\uFFFD");
  });
  it("a top-level string is (root)", () => {
    expect(characterViolations("\u0000")[0].field).toBe("(root)");
  });
});

describe("echoValue", () => {
  it.each(["password", "clientSecret", "webhookSecret", "hmacKey", "privateKey", "accessToken", "body.newPassword"])("redacts %s", (field) => {
    expect(echoValue(field, "hunter2hunter2")).toBe("[redacted]");
  });
  it("keeps ordinary values", () => {
    expect(echoValue("keyAlgorithm", "RSA_1024")).toBe("RSA_1024");
    expect(echoValue("name", 5)).toBe(5);
  });
  it("redacts secrets inside an echoed object", () => {
    expect(echoValue("(root)", { email: "a@b.c", password: "hunter2hunter2" })).toEqual({ email: "a@b.c", password: "[redacted]" });
  });
  it("never echoes a long PEM or CSR", () => {
    const csr = `-----BEGIN CERTIFICATE REQUEST-----\n${"A".repeat(60_000)}\n-----END CERTIFICATE REQUEST-----\n`;
    expect(echoValue("csr", csr)).toBe("[PEM data, not shown]");
    expect(echoValue("csr", csr.slice(0, 90))).toBe("[PEM data, not shown]");
    expect(echoValue("attributes", { note: csr })).toEqual({ note: "[PEM data, not shown]" });
    expect(echoValue("csr", "A".repeat(60_000))).toBe("[60000 characters, not shown]");
    expect(echoValue("csr", "garbage")).toBe("garbage");
  });
  it("clips other long strings and replaces control characters", () => {
    expect(echoValue("name", "x".repeat(1000))).toBe(`${"x".repeat(200)}…`);
    expect(echoValue("name", "a\u0000b")).toBe("a\uFFFDb");
  });
});
