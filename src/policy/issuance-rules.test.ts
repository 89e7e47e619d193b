/** Every template rule, table-driven: subject attributes and SAN types × allowed / required / denied × the three states, KU, EKU, algorithms, validity. */
import { describe, expect, it } from "vitest";
import type { IssuanceAttributes } from "./issuance.js";
import { codes, DAY, decide, ISSUER } from "./policy-fixtures.test-util.js";
import type { TemplateInput } from "./template.js";

type Row = [name: string, template: TemplateInput, attributes: IssuanceAttributes, expected: string[]];

// [template type, API attribute, a good value, a pattern matching it, a bad value]
const SUBJECT: [string, keyof IssuanceAttributes, string, string, string][] = [
  ["common_name", "commonName", "web.acme.com", "*.acme.com", "web.evil.com"],
  ["organization", "organization", "Acme Inc", "Acme*", "Evil Corp"],
  ["organizational_unit", "organizationalUnit", "Platform", "Platform", "Sales"],
  ["country", "country", "US", "US", "FR"],
  ["state", "state", "California", "Cali*", "Texas"],
  ["locality", "locality", "Berlin", "Berlin", "Paris"],
];
// The URI SAN keeps the subject from being empty whatever the row removes.
const URI_SAN = [{ type: "uri" as const, value: "spiffe://acme.com/x" }];

function subjectRows(): Row[] {
  return SUBJECT.flatMap(([type, api, good, pattern, bad]): Row[] => {
    const f = `attributes.${api}`;
    const rule = (r: object): TemplateInput => ({ subject: [{ type, ...r } as never] });
    const attrs = (value?: string): IssuanceAttributes => ({ altNames: URI_SAN, ...(value === undefined ? {} : { [api]: value }) });
    return [
      [`ok/${type} not configured: anything goes`, {}, attrs(bad), []],
      [`ok/${type} allowed matches`, rule({ allowed: [pattern] }), attrs(good), []],
      [`fail/${type} allowed does not match`, rule({ allowed: [pattern] }), attrs(bad), [`${f}:not_allowed`]],
      [`ok/${type} allowed, attribute absent`, rule({ allowed: [pattern] }), attrs(), []],
      [`fail/${type} allowed [] forbids it`, rule({ allowed: [] }), attrs(good), [`${f}:forbidden`]],
      [`ok/${type} allowed [] and absent`, rule({ allowed: [] }), attrs(), []],
      [`ok/${type} required present`, rule({ required: ["*"] }), attrs(good), []],
      [`fail/${type} required missing`, rule({ required: ["*"] }), attrs(), [`${f}:required_missing`]],
      [`fail/${type} required pattern not met`, rule({ required: [pattern] }), attrs(bad), [`${f}:required_missing`]],
      [`ok/${type} denied does not match`, rule({ denied: [bad] }), attrs(good), []],
      [`fail/${type} denied matches`, rule({ denied: [bad] }), attrs(bad), [`${f}:denied`]],
      [`fail/${type} denied wins over allowed`, rule({ allowed: ["*"], denied: [good] }), attrs(good), [`${f}:denied`]],
    ];
  });
}

// [template type, a good value, a pattern matching it, a bad value]
const SANS: [string, string, string, string][] = [
  ["dns_name", "web.acme.com", "*.acme.com", "web.evil.com"],
  ["ip_address", "10.1.2.3", "10.0.0.0/8", "192.168.1.1"],
  ["email", "svc-web@acme.com", "svc-*@acme.com", "bob@evil.com"],
  ["uri", "spiffe://acme.com/web", "spiffe://acme.com/*", "spiffe://evil.com/web"],
];

function sanRows(): Row[] {
  return SANS.flatMap(([type, good, pattern, bad]): Row[] => {
    const rule = (r: object): TemplateInput => ({ sans: [{ type, ...r } as never] });
    const attrs = (...values: string[]): IssuanceAttributes => ({ commonName: "Test", altNames: values.map((value) => ({ type: type as never, value })) });
    return [
      [`ok/${type} not configured: anything goes`, {}, attrs(bad), []],
      [`ok/${type} allowed matches`, rule({ allowed: [pattern] }), attrs(good), []],
      [`fail/${type} allowed does not match`, rule({ allowed: [pattern] }), attrs(good, bad), ["attributes.altNames[1]:not_allowed"]],
      [`fail/${type} allowed [] forbids the type`, rule({ allowed: [] }), attrs(good), ["attributes.altNames[0]:forbidden"]],
      [`ok/${type} allowed [] and none given`, rule({ allowed: [] }), attrs(), []],
      [`ok/${type} required present`, rule({ required: [pattern] }), attrs(bad, good), []],
      [`fail/${type} required missing`, rule({ required: ["*"] }), attrs(), ["attributes.altNames:required_missing"]],
      [`fail/${type} required pattern not met`, rule({ required: [pattern] }), attrs(bad), ["attributes.altNames:required_missing"]],
      [`ok/${type} denied does not match`, rule({ denied: [bad] }), attrs(good), []],
      [`fail/${type} denied matches`, rule({ denied: [bad] }), attrs(good, bad), ["attributes.altNames[1]:denied"]],
      [`fail/${type} denied wins over allowed`, rule({ allowed: ["*"], denied: [pattern] }), attrs(good), ["attributes.altNames[0]:denied"]],
    ];
  });
}

const KU = "attributes.keyUsages";
const EKU = "attributes.extendedKeyUsages";
const usageRows: Row[] = [
  ["ok/KU not configured", {}, { commonName: "x", keyUsages: ["digital_signature", "key_agreement"] }, []],
  ["ok/KU allowed", { keyUsages: { allowed: ["digital_signature"] } }, { commonName: "x", keyUsages: ["digital_signature"] }, []],
  ["fail/KU not allowed", { keyUsages: { allowed: ["digital_signature"] } }, { commonName: "x", keyUsages: ["digital_signature", "non_repudiation"] }, [`${KU}:not_allowed`]],
  ["fail/KU required missing", { keyUsages: { required: ["non_repudiation"] } }, { commonName: "x", keyUsages: ["digital_signature"] }, [`${KU}:required_missing`]],
  ["fail/KU denied", { keyUsages: { denied: ["key_agreement"] } }, { commonName: "x", keyUsages: ["digital_signature", "key_agreement"] }, [`${KU}:denied`]],
  ["fail/KU unknown name", {}, { commonName: "x", keyUsages: ["digitalSignature" as never] }, [`${KU}[0]:invalid_value`, `${KU}:empty_key_usage`]],
  ["ok/EKU not configured", {}, { commonName: "x", extendedKeyUsages: ["code_signing"] }, []],
  ["ok/EKU allowed", { extendedKeyUsages: { allowed: ["client_auth"] } }, { commonName: "x", extendedKeyUsages: ["client_auth"] }, []],
  ["fail/EKU not allowed", { extendedKeyUsages: { allowed: ["client_auth"] } }, { commonName: "x", extendedKeyUsages: ["code_signing"] }, [`${EKU}:not_allowed`]],
  ["fail/EKU allowed [] forbids any", { extendedKeyUsages: { allowed: [] } }, { commonName: "x", extendedKeyUsages: ["client_auth"] }, [`${EKU}:not_allowed`]],
  ["ok/EKU allowed [] and none", { extendedKeyUsages: { allowed: [] } }, { commonName: "x", extendedKeyUsages: [] }, []],
  ["fail/EKU required missing", { extendedKeyUsages: { required: ["client_auth"] } }, { commonName: "x", extendedKeyUsages: ["email_protection"] }, [`${EKU}:required_missing`]],
  ["fail/EKU denied", { extendedKeyUsages: { denied: ["ocsp_signing"] } }, { commonName: "x", extendedKeyUsages: ["ocsp_signing"] }, [`${EKU}:denied`]],
];

const algorithmRows: Row[] = [
  ["ok/key algorithm allowed", { algorithms: { keyAlgorithm: ["RSA_2048"] } }, { commonName: "x", keyAlgorithm: "RSA_2048" }, []],
  ["fail/key algorithm not allowed", { algorithms: { keyAlgorithm: ["RSA_2048"] } }, { commonName: "x", keyAlgorithm: "ED25519" }, ["attributes.keyAlgorithm:key_algorithm_not_allowed"]],
  ["fail/default key algorithm not allowed", { algorithms: { keyAlgorithm: ["RSA_3072"] } }, { commonName: "x" }, ["attributes.keyAlgorithm:key_algorithm_not_allowed"]],
  ["ok/CA's signature algorithm allowed", { algorithms: { signature: ["ECDSA-SHA256"] } }, { commonName: "x" }, []],
  ["fail/CA's signature algorithm not allowed", { algorithms: { signature: ["RSA-SHA256"] } }, { commonName: "x" }, ["attributes.signatureAlgorithm:signature_algorithm_not_allowed"]],
  ["fail/requested signature algorithm differs from the CA's", {}, { commonName: "x", signatureAlgorithm: "ECDSA-SHA384" }, ["attributes.signatureAlgorithm:signature_algorithm_mismatch"]],
  ["ok/requested signature algorithm is the CA's", {}, { commonName: "x", signatureAlgorithm: "ECDSA-SHA256" }, []],
];

const validityRows: Row[] = [
  ["ok/validity not configured, long ttl", {}, { commonName: "x", ttl: "3y" }, []],
  ["ok/ttl within max", { validity: { max: "90d" } }, { commonName: "x", ttl: "90d" }, []],
  ["fail/ttl over max", { validity: { max: "90d" } }, { commonName: "x", ttl: "91d" }, ["attributes.ttl:validity_too_long"]],
  ["fail/notAfter over max", { validity: { max: "90d" } }, { commonName: "x", notBefore: "2030-01-01T00:00:00Z", notAfter: "2030-06-01T00:00:00Z" }, ["attributes.notAfter:validity_too_long"]],
  ["ok/notAfter within max", { validity: { max: "90d" } }, { commonName: "x", notBefore: "2030-01-01T00:00:00Z", notAfter: "2030-03-01T00:00:00Z" }, []],
  ["fail/ambiguous ttl unit", {}, { commonName: "x", ttl: "30m" }, ["attributes.ttl:invalid_duration"]],
  ["fail/ttl and notAfter together", {}, { commonName: "x", ttl: "1d", notAfter: "2030-01-05T00:00:00Z" }, ["attributes.ttl:ttl_and_not_after"]],
  ["fail/notAfter before notBefore", {}, { commonName: "x", notBefore: "2030-02-01T00:00:00Z", notAfter: "2030-01-15T00:00:00Z" }, ["attributes.notAfter:validity_order"]],
  ["fail/notAfter in the past", {}, { commonName: "x", notBefore: "2029-06-01T00:00:00Z", notAfter: "2029-07-01T00:00:00Z" }, ["attributes.notAfter:in_the_past"]],
  ["fail/outlives the CA", {}, { commonName: "x", ttl: "10y" }, ["attributes.ttl:outlives_issuer"]],
  ["fail/starts before the CA", {}, { commonName: "x", notBefore: "2028-12-31T00:00:00Z", ttl: "400d" }, ["attributes.notBefore:before_issuer"]],
  ["fail/not an ISO date", {}, { commonName: "x", notAfter: "next tuesday" }, ["attributes.notAfter:invalid_date"]],
];

describe("decideIssuance: template rules", () => {
  it.each(subjectRows())("%s", (_, template, attributes, expected) => expect(codes(decide(template, attributes))).toEqual(expected));
  it.each(sanRows())("%s", (_, template, attributes, expected) => expect(codes(decide(template, attributes))).toEqual(expected));
  it.each(usageRows)("%s", (_, template, attributes, expected) => expect(codes(decide(template, attributes))).toEqual(expected));
  it.each(algorithmRows)("%s", (_, template, attributes, expected) => expect(codes(decide(template, attributes))).toEqual(expected));
  it.each(validityRows)("%s", (_, template, attributes, expected) => expect(codes(decide(template, attributes))).toEqual(expected));

  it("fail/the CA's dates are named in the message", () => {
    const r = decide({}, { commonName: "x", ttl: "10y" });
    expect("violations" in r && r.violations[0].message).toContain(ISSUER.notAfter.toISOString());
  });

  it("ok/the template's max is the default lifetime", () => {
    const r = decide({ validity: { max: "30d" } }, { commonName: "x" });
    expect("request" in r && r.request.notAfter.getTime() - r.request.notBefore.getTime()).toBe(30 * DAY);
  });
});
