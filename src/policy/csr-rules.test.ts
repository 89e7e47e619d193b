import { describe, expect, it } from "vitest";
import type { CsrFacts } from "./issuance.js";
import { codes, decide, requestOf } from "./policy-fixtures.test-util.js";

const CSR: CsrFacts = {
  subjectFields: { commonName: "web.acme.com" }, commonNames: ["web.acme.com"], sans: { dns: ["web.acme.com"], ip: [], email: [], uri: [] },
  keyAlgorithm: "EC_prime256v1", keyDescription: "EC P-256", signatureValid: true,
};

describe("decideIssuance: what a CSR may ask of a leaf", () => {
  it("ok/ a plain CSR, CA:FALSE and ordinary key usages", () => {
    expect(codes(decide({}, {}, { csr: { ...CSR, requestedBasicConstraints: { ca: false }, requestedKeyUsage: ["digitalSignature"] } }))).toEqual([]);
  });
  it("ok/ an empty subject named by its SANs", () => {
    const r = requestOf(decide({}, {}, { csr: { ...CSR, subjectFields: { commonName: "" }, commonNames: [] } }));
    expect(r.subject.commonName).toBe("");
    expect(r.sans.dns).toEqual(["web.acme.com"]);
  });
  it("fail/ every CA request and unknown critical extension at once, even when attributes set the key usages", () => {
    const csr: CsrFacts = {
      ...CSR, commonNames: ["web.acme.com", "evil.acme.com"], requestedBasicConstraints: { ca: true },
      requestedKeyUsage: ["digitalSignature", "keyCertSign", "cRLSign"], unknownCriticalExtensions: ["1.2.3.4", "1.2.3.5"],
    };
    for (const attributes of [{}, { keyUsages: ["digital_signature" as const] }]) {
      expect(codes(decide({}, attributes, { csr }))).toEqual([
        "csr.subject:multiple_common_names", "csr.basicConstraints:ca_requested", "csr.keyUsage:ca_key_usage_requested",
        "csr.extensions:unknown_critical_extension", "csr.extensions:unknown_critical_extension",
      ]);
    }
  });
});
