import { describe, expect, it } from "vitest";
import { parseTemplate, type TemplateInput } from "./template.js";

const fields = (input: unknown) => {
  const r = parseTemplate(input as TemplateInput);
  return "violations" in r ? r.violations.map((v) => `${v.field}:${v.code}`) : [];
};

describe("parseTemplate", () => {
  it.each<[string, unknown]>([
    ["ok/empty template allows anything", {}],
    ["ok/every field", {
      subject: [{ type: "common_name", allowed: ["*.acme.com"], required: ["*"] }, { type: "country", allowed: ["US", "DE"] }],
      sans: [{ type: "dns_name", allowed: ["*.acme.com", "acme.com"], denied: ["admin.acme.com"] }, { type: "ip_address", allowed: ["10.0.0.0/8", "fd00::/8"] }, { type: "email", allowed: ["*@acme.com"] }, { type: "uri", allowed: ["spiffe://acme.com/*"] }],
      keyUsages: { allowed: ["digital_signature", "key_encipherment"], required: ["digital_signature"], denied: ["key_cert_sign"] },
      extendedKeyUsages: { allowed: ["server_auth", "client_auth"], required: ["server_auth"] },
      algorithms: { signature: ["ECDSA-SHA256"], keyAlgorithm: ["EC_prime256v1", "RSA_2048"] },
      validity: { max: "90d" },
      basicConstraints: { isCA: "denied" },
    }],
    ["ok/empty allowed list forbids a SAN type", { sans: [{ type: "email", allowed: [] }] }],
    ["ok/empty EKU allowed list means no EKU", { extendedKeyUsages: { allowed: [] } }],
    ["ok/CA template", { basicConstraints: { isCA: "required", maxPathLength: 0 } }],
    ["ok/required literal inside allowed glob", { sans: [{ type: "dns_name", allowed: ["*.acme.com"], required: ["www.acme.com"] }] }],
    ["ok/Infisical's leaf policy: months and maxPathLength -1 (no limit) beside isCA denied", { validity: { max: "12m" }, basicConstraints: { isCA: "denied", maxPathLength: -1 } }],
  ])("%s", (_, input) => expect(fields(input)).toEqual([]));

  it("ok/\"12m\" is twelve months of 1/12 year: exactly \"1y\" (365 days); -1 sets no path length limit", () => {
    const months = parseTemplate({ validity: { max: "12m" }, basicConstraints: { maxPathLength: -1 } });
    const year = parseTemplate({ validity: { max: "1y" } });
    if (!("template" in months) || !("template" in year)) throw new Error("did not parse");
    expect(months.template.validity.maxMs).toBe(year.template.validity.maxMs);
    expect(months.template.validity.maxMs).toBe(365 * 86_400_000);
    expect(months.template.basicConstraints.maxPathLength).toBeUndefined();
  });

  it.each<[string, unknown, string[]]>([
    ["fail/not an object", "x", ["template:invalid_template"]],
    ["fail/unknown top-level field", { keyUsage: {} }, ["keyUsage:unknown_field"]],
    ["fail/bad pattern path", { sans: [{ type: "dns_name", allowed: ["a.com", "b.com", "a*.acme.com"] }] }, ["sans[0].allowed[2]:invalid_pattern"]],
    ["fail/bad CIDR", { sans: [{ type: "uri", allowed: ["*"] }, { type: "ip_address", denied: ["10.0.0.0/40"] }] }, ["sans[1].denied[0]:invalid_pattern"]],
    ["fail/empty pattern", { subject: [{ type: "organization", required: [""] }] }, ["subject[0].required[0]:invalid_pattern"]],
    ["fail/pattern over 253 characters", { subject: [{ type: "locality", allowed: ["x".repeat(254)] }] }, ["subject[0].allowed[0]:invalid_pattern"]],
    ["fail/unknown SAN type", { sans: [{ type: "dns", allowed: ["*"] }] }, ["sans[0].type:invalid_type"]],
    ["fail/duplicate rule", { subject: [{ type: "country", allowed: ["US"] }, { type: "country", denied: ["FR"] }] }, ["subject[1].type:duplicate_rule"]],
    ["fail/list is not a list", { sans: [{ type: "dns_name", allowed: "*.acme.com" }] }, ["sans[0].allowed:invalid_list"]],
    ["fail/unknown key usage", { keyUsages: { allowed: ["digitalSignature"] } }, ["keyUsages.allowed[0]:invalid_value"]],
    ["fail/empty key usage list", { keyUsages: { allowed: [] } }, ["keyUsages.allowed:empty_list"]],
    ["fail/unknown EKU", { extendedKeyUsages: { required: ["any"] } }, ["extendedKeyUsages.required[0]:invalid_value"]],
    ["fail/unknown signature algorithm", { algorithms: { signature: ["SHA1-RSA"] } }, ["algorithms.signature[0]:invalid_value"]],
    ["fail/empty algorithm list", { algorithms: { keyAlgorithm: [] } }, ["algorithms.keyAlgorithm:empty_list"]],
    ["fail/minutes or months: only a whole number of months (\"12m\", Infisical's meaning) is a maximum; \"30min\" is refused", { validity: { max: "30min" } }, ["validity.max:invalid_duration"]],
    ["fail/zero months", { validity: { max: "0m" } }, ["validity.max:invalid_duration"]],
    ["fail/bad isCA", { basicConstraints: { isCA: "yes" } }, ["basicConstraints.isCA:invalid_value"]],
    ["fail/negative path length below -1 (Infisical's \"no limit\")", { basicConstraints: { maxPathLength: -2 } }, ["basicConstraints.maxPathLength:invalid_value"]],
    ["fail/path length on a leaf-only template", { basicConstraints: { isCA: "denied", maxPathLength: 1 } }, ["basicConstraints.maxPathLength:contradiction"]],
    ["fail/KU required and denied", { keyUsages: { required: ["digital_signature"], denied: ["digital_signature"] } }, ["keyUsages.required:contradiction"]],
    ["fail/EKU required not allowed", { extendedKeyUsages: { allowed: ["client_auth"], required: ["server_auth"] } }, ["extendedKeyUsages.required:contradiction"]],
    ["fail/required but allowed is empty", { sans: [{ type: "email", allowed: [], required: ["*"] }] }, ["sans[0].required[0]:contradiction"]],
    ["fail/required literal denied", { sans: [{ type: "dns_name", required: ["admin.acme.com"], denied: ["*.acme.com"] }] }, ["sans[0].required[0]:contradiction"]],
    ["fail/required literal not allowed", { sans: [{ type: "ip_address", allowed: ["10.0.0.0/8"], required: ["192.168.0.1"] }] }, ["sans[0].required[0]:contradiction"]],
    ["fail/unknown field in a rule", { sans: [{ type: "dns_name", allow: ["*"] }] }, ["sans[0].allow:unknown_field"]],
  ])("%s", (_, input, expected) => expect(fields(input)).toEqual(expected));

  it("fail/every problem at once", () => {
    expect(fields({
      sans: [{ type: "dns_name", allowed: ["a*.acme.com", "ok.acme.com", ""] }, { type: "ip_address", allowed: ["10.0.0.0/99"] }],
      keyUsages: { allowed: ["bogus"] },
      validity: { max: "1M" },
    })).toEqual(["sans[0].allowed[0]:invalid_pattern", "sans[0].allowed[2]:invalid_pattern", "sans[1].allowed[0]:invalid_pattern", "keyUsages.allowed[0]:invalid_value", "validity.max:invalid_duration"]);
  });

  it("ok/the template is frozen", () => {
    const r = parseTemplate({ sans: [{ type: "dns_name", allowed: ["*.acme.com"] }], validity: { max: "90d" } });
    if (!("template" in r)) throw new Error("expected a template");
    const t = r.template;
    expect(Object.isFrozen(t) && Object.isFrozen(t.sans) && Object.isFrozen(t.sans.dns_name) && Object.isFrozen(t.sans.dns_name?.allowed)).toBe(true);
    expect(t.validity).toEqual({ maxMs: 90 * 86_400_000, max: "90d" });
  });

  it("ok/parsing does not keep references to the input", () => {
    const input: TemplateInput = { keyUsages: { allowed: ["digital_signature"] } };
    const r = parseTemplate(input);
    input.keyUsages!.allowed!.push("key_cert_sign");
    expect("template" in r && r.template.keyUsages?.allowed).toEqual(["digital_signature"]);
  });
});
