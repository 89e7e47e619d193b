import { describe, expect, it } from "vitest";
import { TEMPLATE_PRESETS } from "./presets.js";
import { parseTemplate, type TemplateInput } from "./template.js";
import { narrowPreset, templateWarnings } from "./template-narrow.js";

const TLS = TEMPLATE_PRESETS["tls-server"].template;
const narrow = (given: TemplateInput, preset: TemplateInput = TLS) => narrowPreset("tls-server", preset, given);
const rulesOf = (given: TemplateInput, preset?: TemplateInput) => {
  const r = narrow(given, preset);
  if ("violations" in r) throw new Error(JSON.stringify(r.violations));
  expect("template" in parseTemplate(r.rules)).toBe(true);
  return r.rules;
};
const codes = (given: TemplateInput, preset?: TemplateInput) => {
  const r = narrow(given, preset);
  return "violations" in r ? r.violations.map((v) => `${v.field}:${v.code}`) : [];
};

describe("narrowPreset", () => {
  it("ok/ the README example keeps the preset's other SAN rules: email and URI stay forbidden", () => {
    const r = rulesOf({ subject: [{ type: "common_name", allowed: ["*.acme.com"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"] }] });
    expect(r.sans).toEqual([{ type: "dns_name", allowed: ["*.acme.com"] }, { type: "ip_address", allowed: ["*"] }, { type: "email", allowed: [] }, { type: "uri", allowed: [] }]);
    expect(r.subject).toEqual([{ type: "common_name", allowed: ["*.acme.com"] }]);
    expect(r.extendedKeyUsages).toEqual(TLS.extendedKeyUsages);
    expect(r.validity).toEqual({ max: "397d" });
  });
  it("ok/ narrowing: literal values inside a pattern, shorter validity, fewer usages, more denied and required", () => {
    const preset: TemplateInput = { ...TLS, sans: [{ type: "dns_name", allowed: ["*.acme.com"], denied: ["bad.acme.com"] }] };
    const r = rulesOf({ sans: [{ type: "dns_name", allowed: ["www.acme.com", "*.acme.com"], denied: ["old.acme.com"], required: ["www.acme.com"] }], keyUsages: { allowed: ["digital_signature"] }, validity: { max: "90d" } }, preset);
    expect(r.sans).toEqual([{ type: "dns_name", allowed: ["www.acme.com", "*.acme.com"], required: ["www.acme.com"], denied: ["bad.acme.com", "old.acme.com"] }]);
    expect(r.keyUsages).toEqual({ allowed: ["digital_signature"], required: ["digital_signature"] });
    expect(r.validity).toEqual({ max: "90d" });
  });
  it("fail/ every widening at once: a forbidden SAN type, a pattern outside the preset's, an EKU, a longer validity, isCA", () => {
    const preset: TemplateInput = { ...TLS, sans: [...TLS.sans!.filter((s) => s.type !== "dns_name"), { type: "dns_name", allowed: ["*.acme.com"] }] };
    expect(codes({
      sans: [{ type: "email", allowed: ["*@acme.com"] }, { type: "dns_name", allowed: ["*.evil.com", "a.acme.com"] }],
      extendedKeyUsages: { allowed: ["server_auth", "client_auth"] },
      validity: { max: "2y" },
      basicConstraints: { isCA: "allowed" },
    }, preset)).toEqual([
      "sans[0].allowed[0]:widens_preset", "sans[1].allowed[0]:widens_preset",
      "extendedKeyUsages.allowed[1]:widens_preset", "validity.max:widens_preset", "basicConstraints.isCA:widens_preset",
    ]);
    expect(codes({ algorithms: { keyAlgorithm: ["RSA_2048", "ED25519"] } }, { algorithms: { keyAlgorithm: ["RSA_2048"] } })).toEqual(["algorithms.keyAlgorithm[1]:widens_preset"]);
  });
  it("ok/ a type the preset does not configure takes the given rule", () => {
    const r = rulesOf({ subject: [{ type: "organization", allowed: ["Acme"] }] }, TEMPLATE_PRESETS["tls-client"].template);
    expect(r.subject).toEqual([{ type: "organization", allowed: ["Acme"] }]);
  });
});

describe("templateWarnings", () => {
  it("fail/ a restricted CN with open SANs warns, naming the open types", () => {
    const w = templateWarnings({ subject: [{ type: "common_name", allowed: ["*.acme.com"] }] });
    expect(w.map((x) => x.code)).toEqual(["sans_unrestricted"]);
    expect(w[0].message).toContain("dns_name, ip_address, email, uri");
    expect(templateWarnings({ subject: [{ type: "common_name", allowed: ["*.acme.com"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"] }, { type: "ip_address", allowed: ["*"] }, { type: "email", allowed: [] }] })[0].message).toContain("ip_address, uri");
  });
  it("ok/ no warning when the CN is open or every SAN type is restricted", () => {
    expect(templateWarnings(TLS)).toEqual([]);
    expect(templateWarnings({ subject: [{ type: "common_name", allowed: ["*.acme.com"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"] }, { type: "ip_address", allowed: ["10.0.0.0/8"] }, { type: "email", allowed: [] }, { type: "uri", allowed: [] }] })).toEqual([]);
  });
});
