import { describe, expect, it } from "vitest";
import { EKU } from "../pki/leaf-certificate.js";
import { decideIssuance } from "./issuance.js";
import { codes, decide, ISSUER, NOW, requestOf, tpl } from "./policy-fixtures.test-util.js";
import { TEMPLATE_PRESETS, type PresetName } from "./presets.js";
import { parseTemplate } from "./template.js";

const names = Object.keys(TEMPLATE_PRESETS) as PresetName[];

describe("TEMPLATE_PRESETS", () => {
  it("ok/all eight presets exist", () => {
    expect(names.sort()).toEqual(["code-signing", "device", "dual-purpose-server", "email-protection", "intermediate-ca", "tls-client", "tls-server", "user"]);
  });
  it.each(names.map((n) => [n]))("ok/%s parses", (n) => {
    const r = parseTemplate(TEMPLATE_PRESETS[n].template);
    expect("violations" in r ? r.violations : []).toEqual([]);
    expect(TEMPLATE_PRESETS[n].name && TEMPLATE_PRESETS[n].description).toBeTruthy();
  });

  it("ok/tls-server issues a server certificate with the CN among the SANs", () => {
    const r = requestOf(decide(TEMPLATE_PRESETS["tls-server"].template, { commonName: "www.acme.com", keyAlgorithm: "RSA_2048" }));
    expect([r.extendedKeyUsage, r.keyUsage, r.sans, r.notAfter.getTime() - r.notBefore.getTime()]).toEqual([[EKU.serverAuth], ["digitalSignature", "keyEncipherment"], { dns: ["www.acme.com"] }, 397 * 86_400_000]);
  });
  it("fail/tls-server refuses client_auth, email SANs and 398 days", () => {
    expect(codes(decide(TEMPLATE_PRESETS["tls-server"].template, { commonName: "www.acme.com", extendedKeyUsages: ["server_auth", "client_auth"], altNames: [{ type: "email", value: "a@acme.com" }], ttl: "398d" }))).toEqual([
      "attributes.extendedKeyUsages:not_allowed", "attributes.altNames[0]:forbidden", "attributes.ttl:validity_too_long",
    ]);
  });
  it("ok/each leaf preset issues something sensible", () => {
    const attrs = {
      "tls-client": { commonName: "alice" },
      "dual-purpose-server": { commonName: "db.acme.com" },
      "code-signing": { commonName: "Acme Release Signing", organization: "Acme Inc" },
      "email-protection": { commonName: "Alice", altNames: [{ type: "email" as const, value: "alice@acme.com" }] },
      device: { commonName: "sensor-42", altNames: [{ type: "uri" as const, value: "urn:device:42" }] },
      user: { commonName: "Alice", altNames: [{ type: "email" as const, value: "alice@acme.com" }] },
    };
    for (const [n, a] of Object.entries(attrs)) expect([n, codes(decide(TEMPLATE_PRESETS[n as PresetName].template, a))]).toEqual([n, []]);
  });
  it("fail/intermediate-ca cannot issue leaves", () => {
    const r = decideIssuance({ template: tpl(TEMPLATE_PRESETS["intermediate-ca"].template), defaults: {}, attributes: { commonName: "Sub CA" }, issuer: ISSUER, now: NOW, backdateSeconds: 0 });
    expect(codes(r)).toContain("template:ca_template");
  });
});
