/** Combination rules of decideIssuance (CSR vs attributes vs defaults), CN-in-SAN, hostile input, checkDefaults, signatureAlgorithmFor. */
import { describe, expect, it } from "vitest";
import { algorithmParams, KEY_ALGORITHMS } from "../pki/algorithms.js";
import { EKU } from "../pki/leaf-certificate.js";
import { checkDefaults, signatureAlgorithmFor, type CsrFacts, type IssuanceAttributes } from "./issuance.js";
import { codes, DAY, decide, ISSUER, NOW, requestOf, tpl } from "./policy-fixtures.test-util.js";

const CSR: CsrFacts = {
  subjectFields: { commonName: "csr.acme.com", organization: "Acme Inc", emailAddress: "x@acme.com" },
  sans: { dns: ["csr.acme.com", "alt.acme.com"], ip: [], email: [], uri: [] },
  keyAlgorithm: "RSA_2048",
  keyDescription: "RSA 2048-bit",
  signatureValid: true,
};

describe("decideIssuance: combination rules", () => {
  it("ok/without a CSR: defaults fill, EC P-256 key, backdated notBefore, template-derived usages", () => {
    const r = requestOf(decide({ extendedKeyUsages: { required: ["client_auth"] } }, { commonName: "svc" }, { defaults: { organization: "Acme Inc", ttl: "7d" } }));
    expect(r).toEqual({
      subject: { commonName: "svc", organization: "Acme Inc" }, sans: {}, keyUsage: ["digitalSignature"], extendedKeyUsage: [EKU.clientAuth],
      notBefore: new Date(NOW.getTime() - 60_000), notAfter: new Date(NOW.getTime() - 60_000 + 7 * DAY),
      keyAlgorithm: "EC_prime256v1", signatureAlgorithm: "ECDSA-SHA256", commonNameInSans: false,
    });
  });

  it("ok/with a CSR: key, subject and SANs come from it; unknown CSR attributes are dropped", () => {
    const r = requestOf(decide({}, {}, { csr: CSR }));
    expect([r.keyAlgorithm, r.subject, r.sans]).toEqual(["RSA_2048", { commonName: "csr.acme.com", organization: "Acme Inc" }, { dns: ["csr.acme.com", "alt.acme.com"] }]);
  });

  it("ok/attributes replace the CSR's value field by field, and altNames replace its SANs", () => {
    const r = requestOf(decide({}, { commonName: "api.acme.com", altNames: [{ type: "dns_name", value: "api.acme.com" }] }, { csr: CSR }));
    expect([r.subject, r.sans]).toEqual([{ commonName: "api.acme.com", organization: "Acme Inc" }, { dns: ["api.acme.com"] }]);
  });

  it("ok/an empty commonName attribute removes the CSR's CN", () => {
    expect(requestOf(decide({}, { commonName: "" }, { csr: CSR })).subject).toEqual({ commonName: "", organization: "Acme Inc" });
  });

  it("ok/the CSR's SANs are checked against the template under csr.sans", () => {
    expect(codes(decide({ sans: [{ type: "dns_name", allowed: ["csr.acme.com"] }] }, {}, { csr: CSR }))).toEqual(["csr.sans.dns[1]:not_allowed"]);
  });

  it.each<[string, Partial<CsrFacts>, IssuanceAttributes, string[]]>([
    ["fail/CSR signature does not verify", { signatureValid: false }, {}, ["csr:bad_signature"]],
    ["fail/CSR key not supported", { keyAlgorithm: null, keyDescription: "DSA 1024-bit" }, {}, ["csr:unsupported_key"]],
    ["fail/keyAlgorithm differs from the CSR's key", {}, { keyAlgorithm: "EC_prime256v1" }, ["attributes.keyAlgorithm:key_algorithm_mismatch"]],
    ["ok/keyAlgorithm equal to the CSR's key", {}, { keyAlgorithm: "RSA_2048" }, []],
    ["fail/CSR asks for an EKU Stamp does not issue", { requestedEku: ["2.5.29.37.0"] }, {}, ["csr.extendedKeyUsage:unsupported_eku"]],
  ])("%s", (_, csr, attributes, expected) => expect(codes(decide({}, attributes, { csr: { ...CSR, ...csr } }))).toEqual(expected));

  it("fail/the CSR key description is in the message", () => {
    const r = decide({}, {}, { csr: { ...CSR, keyAlgorithm: null, keyDescription: "DSA 1024-bit" } });
    expect("violations" in r && r.violations[0].message).toContain("DSA 1024-bit");
  });

  it("ok/usage precedence: attributes > CSR > defaults > template-derived", () => {
    const csr = { ...CSR, requestedKeyUsage: ["digitalSignature", "keyEncipherment"], requestedEku: [EKU.clientAuth] };
    const defaults = { keyUsages: ["digital_signature" as const], extendedKeyUsages: ["code_signing" as const] };
    const usages = (attrs: IssuanceAttributes, c?: CsrFacts) => { const r = requestOf(decide({}, attrs, { csr: c, defaults })); return [r.keyUsage, r.extendedKeyUsage]; };
    expect(usages({ keyUsages: ["non_repudiation"], extendedKeyUsages: ["email_protection"] }, csr)).toEqual([["nonRepudiation"], [EKU.emailProtection]]);
    expect(usages({}, csr)).toEqual([["digitalSignature", "keyEncipherment"], [EKU.clientAuth]]);
    expect(usages({ commonName: "x" })).toEqual([["digitalSignature"], [EKU.codeSigning]]);
    const derived = requestOf(decide({ extendedKeyUsages: { required: ["server_auth"] } }, { commonName: "a.acme.com", keyAlgorithm: "RSA_2048" }));
    expect([derived.keyUsage, derived.extendedKeyUsage]).toEqual([["digitalSignature", "keyEncipherment"], [EKU.serverAuth]]);
  });

  it("ok/template-derived usage respects the template's allowed list", () => {
    const r = requestOf(decide({ keyUsages: { allowed: ["digital_signature"] }, extendedKeyUsages: { required: ["server_auth"] } }, { commonName: "a.acme.com", keyAlgorithm: "RSA_2048" }));
    expect(r.keyUsage).toEqual(["digitalSignature"]);
  });

  it.each<[string, IssuanceAttributes, string[]]>([
    ["fail/EC key with key_encipherment", { keyUsages: ["digital_signature", "key_encipherment"] }, ["attributes.keyUsages:key_usage_not_allowed_for_key"]],
    ["fail/EC key with data_encipherment", { keyUsages: ["data_encipherment"] }, ["attributes.keyUsages:key_usage_not_allowed_for_key"]],
    ["fail/Ed25519 key with key_agreement", { keyAlgorithm: "ED25519", keyUsages: ["key_agreement"] }, ["attributes.keyUsages:key_usage_not_allowed_for_key"]],
    ["fail/RSA key with key_agreement", { keyAlgorithm: "RSA_2048", keyUsages: ["digital_signature", "key_agreement"] }, ["attributes.keyUsages:key_usage_not_allowed_for_key"]],
    ["ok/EC key with key_agreement", { keyUsages: ["key_agreement"] }, []],
    ["fail/key_cert_sign in a leaf", { keyUsages: ["digital_signature", "key_cert_sign"] }, ["attributes.keyUsages:key_cert_sign_in_leaf"]],
    ["fail/empty key usage list", { keyUsages: [] }, ["attributes.keyUsages:empty_key_usage"]],
  ])("%s", (_, attrs, expected) => expect(codes(decide({}, { commonName: "x", ...attrs }))).toEqual(expected));

  it("fail/a CA template cannot issue leaves", () => {
    expect(codes(decide({ basicConstraints: { isCA: "required" } }, { commonName: "x" }))).toEqual(["template:ca_template"]);
  });

  it("ok/signature algorithm follows the issuer; self-signed follows the subject key", () => {
    expect(requestOf(decide({}, { commonName: "x", keyAlgorithm: "RSA_2048" }, { issuer: { ...ISSUER, keyAlgorithm: "EC_secp384r1" } })).signatureAlgorithm).toBe("ECDSA-SHA384");
    expect(requestOf(decide({}, { commonName: "x", keyAlgorithm: "ED25519" }, { issuer: { ...ISSUER, selfSigned: true, keyAlgorithm: "ED25519" } })).signatureAlgorithm).toBe("ED25519");
  });

  it("ok/automatic backdating stops at the CA's notBefore", () => {
    const r = requestOf(decide({}, { commonName: "x" }, { issuer: { ...ISSUER, notBefore: NOW } }));
    expect(r.notBefore).toEqual(NOW);
  });

  it("fail/one request breaking three rules gets exactly three violations", () => {
    const template = { subject: [{ type: "organization" as const, allowed: ["Acme*"] }], validity: { max: "30d" }, extendedKeyUsages: { denied: ["code_signing" as const] } };
    expect(codes(decide(template, { commonName: "x", organization: "Evil Corp", ttl: "60d", extendedKeyUsages: ["code_signing"] }))).toEqual([
      "attributes.extendedKeyUsages:denied", "attributes.organization:not_allowed", "attributes.ttl:validity_too_long",
    ]);
  });
});

describe("decideIssuance: common name and SAN syntax", () => {
  const server = { extendedKeyUsages: { required: ["server_auth" as const] } };
  it("ok/serverAuth adds a hostname CN to the DNS SANs, normalised", () => {
    const r = requestOf(decide(server, { commonName: "WWW.Acme.com.", altNames: [{ type: "dns_name", value: "api.acme.com" }] }));
    expect([r.subject.commonName, r.sans.dns, r.commonNameInSans]).toEqual(["www.acme.com", ["api.acme.com", "www.acme.com"], true]);
  });
  it("ok/a CN already among the SANs is not added twice", () => {
    const r = requestOf(decide(server, { commonName: "www.acme.com", altNames: [{ type: "dns_name", value: "WWW.ACME.COM" }] }));
    expect([r.sans.dns, r.commonNameInSans]).toEqual([["www.acme.com"], true]);
  });
  it("ok/an IP address CN is added to the IP SANs", () => {
    expect(requestOf(decide(server, { commonName: "10.0.0.7" })).sans).toEqual({ ip: ["10.0.0.7"] });
  });
  it("fail/serverAuth with a CN that is no DNS name", () => {
    expect(codes(decide(server, { commonName: "My Web Server" }))).toEqual(["attributes.commonName:common_name_not_dns_name"]);
  });
  it("fail/an added CN is checked against the template", () => {
    const t = { ...server, sans: [{ type: "dns_name" as const, allowed: ["*.acme.com"] }] };
    expect(codes(decide(t, { commonName: "www.evil.com" }))).toEqual(["attributes.commonName:not_allowed"]);
  });
  it("ok/without serverAuth the CN is left alone", () => {
    const r = requestOf(decide({}, { commonName: "www.acme.com" }));
    expect([r.sans, r.commonNameInSans]).toEqual([{}, false]);
  });
  it("ok/IDNA names are issued as A-labels", () => {
    const r = requestOf(decide({ sans: [{ type: "dns_name", allowed: ["*.bücher.example"] }] }, { altNames: [{ type: "dns_name", value: "www.bücher.example" }, { type: "email", value: "a@Bücher.example" }] }));
    expect(r.sans).toEqual({ dns: ["www.xn--bcher-kva.example"], email: ["a@xn--bcher-kva.example"] });
  });

  it.each<[string, IssuanceAttributes, string[]]>([
    ["fail/comma injection in a DNS SAN", { altNames: [{ type: "dns_name", value: "a.acme.com,DNS:evil.com" }] }, ["attributes.altNames[0]:invalid_dns_name"]],
    ["fail/NUL in a DNS SAN", { altNames: [{ type: "dns_name", value: "a.acme.com\u0000.evil.com" }] }, ["attributes.altNames[0]:invalid_dns_name"]],
    ["fail/bad IP", { altNames: [{ type: "ip_address", value: "10.0.0.256" }] }, ["attributes.altNames[0]:invalid_ip_address"]],
    ["fail/email with two @", { altNames: [{ type: "email", value: "a@b@acme.com" }] }, ["attributes.altNames[0]:invalid_email"]],
    ["fail/URI without a scheme", { altNames: [{ type: "uri", value: "//acme.com/x" }] }, ["attributes.altNames[0]:invalid_uri"]],
    ["fail/unknown SAN type", { altNames: [{ type: "x400" as never, value: "x" }] }, ["attributes.altNames[0]:invalid_san_type"]],
    ["fail/NUL in the CN", { commonName: "a\u0000b" }, ["attributes.commonName:control_character"]],
    ["fail/CN over 64 characters", { commonName: "x".repeat(65) }, ["attributes.commonName:too_long"]],
    ["fail/country not 2 letters", { commonName: "x", country: "USA" }, ["attributes.country:invalid_country"]],
    ["fail/no CN and no SANs", {}, ["attributes.altNames:empty_subject_without_sans"]],
    ["fail/an empty CN and no SANs", { commonName: "" }, ["attributes.altNames:empty_subject_without_sans"]],
    ["fail/more than 100 SANs", { altNames: Array.from({ length: 101 }, (_, i) => ({ type: "dns_name" as const, value: `h${i}.acme.com` })) }, ["attributes.altNames:too_many_sans"]],
  ])("%s", (_, attrs, expected) => expect(codes(decide({}, attrs))).toEqual(expected));

  it("ok/duplicate SANs collapse (IPs compared as addresses)", () => {
    const r = requestOf(decide({}, { altNames: [{ type: "ip_address", value: "2001:db8::1" }, { type: "ip_address", value: "2001:DB8:0::1" }, { type: "dns_name", value: "a.acme.com" }, { type: "dns_name", value: "A.acme.com." }] }));
    expect(r.sans).toEqual({ dns: ["a.acme.com"], ip: ["2001:db8::1"] });
  });
});

describe("checkDefaults", () => {
  const t = tpl({ subject: [{ type: "organization", allowed: ["Acme*"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"] }], keyUsages: { allowed: ["digital_signature"] }, algorithms: { keyAlgorithm: ["EC_prime256v1"] }, validity: { max: "90d" } });
  it("ok/defaults inside the template; unset fields are not judged", () => {
    expect(checkDefaults(t, { organization: "Acme Inc", ttl: "30d", keyAlgorithm: "EC_prime256v1" })).toEqual([]);
    expect(checkDefaults(t, {})).toEqual([]);
  });
  it("fail/each default that breaks the template", () => {
    const v = checkDefaults(t, { organization: "Evil", ttl: "1y", keyAlgorithm: "RSA_2048", keyUsages: ["key_agreement"], altNames: [{ type: "dns_name", value: "x.evil.com" }], notAfter: "2031-01-01T00:00:00Z" });
    expect(v.map((x) => `${x.field}:${x.code}`)).toEqual([
      "defaults.organization:not_allowed", "defaults.altNames[0]:not_allowed", "defaults.keyAlgorithm:key_algorithm_not_allowed",
      "defaults.keyUsages:not_allowed", "defaults.keyUsages:key_usage_not_allowed_for_key", "defaults.ttl:validity_too_long", "defaults.notAfter:not_defaultable",
    ]);
  });
});

describe("signatureAlgorithmFor", () => {
  it.each(KEY_ALGORITHMS.map((k) => [k]))("ok/%s matches algorithmParams", (k) => {
    const oid: Record<string, string> = { "RSA-SHA256": "1.2.840.113549.1.1.11", "ECDSA-SHA256": "1.2.840.10045.4.3.2", "ECDSA-SHA384": "1.2.840.10045.4.3.3", "ECDSA-SHA512": "1.2.840.10045.4.3.4", ED25519: "1.3.101.112" };
    expect(oid[signatureAlgorithmFor(k)]).toBe(algorithmParams(k).signatureOid);
  });
});
