/** Property: decideIssuance never throws, whatever the caller sends, and what it accepts is clean. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decideIssuance, type CsrFacts, type IssuanceAttributes } from "./issuance.js";
import { ISSUER, NOW, tpl } from "./policy-fixtures.test-util.js";
import { TEMPLATE_PRESETS } from "./presets.js";

// Hostile-looking strings: NUL and control characters, separators, unicode, wildcards, near-valid names.
const nasty = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.constantFrom("", "*", "*.acme.com", "a.acme.com,DNS:evil.com", "a\u0000b", "bücher.example", "10.0.0.0/8", "::ffff:10.0.0.1", "x@y@z", "spiffe://acme.com/*", "90d", "5m", "1y", "2030-01-01T00:00:00Z", "US", "\u202e", "xn--zz", "．"),
  fc.domain(),
  fc.ipV4(),
  fc.ipV6(),
  fc.emailAddress(),
  fc.webUrl(),
);
const anything = fc.oneof(nasty, fc.integer(), fc.constant(null), fc.constant(undefined), fc.array(nasty, { maxLength: 3 }), fc.dictionary(nasty, nasty, { maxKeys: 3 }));
const altName = fc.oneof(fc.record({ type: fc.constantFrom("dns_name", "ip_address", "email", "uri", "x400"), value: nasty }), anything);
const attributes = fc.record(
  {
    commonName: nasty, organization: nasty, organizationalUnit: nasty, country: nasty, state: nasty, locality: nasty,
    altNames: fc.oneof(fc.array(altName, { maxLength: 6 }), anything),
    ttl: nasty, notBefore: nasty, notAfter: nasty,
    keyAlgorithm: fc.oneof(fc.constantFrom("RSA_2048", "EC_prime256v1", "ED25519"), nasty),
    signatureAlgorithm: fc.oneof(fc.constantFrom("ECDSA-SHA256", "RSA-SHA256"), nasty),
    keyUsages: fc.oneof(fc.array(fc.constantFrom("digital_signature", "key_encipherment", "key_agreement", "key_cert_sign", "bogus"), { maxLength: 4 }), anything),
    extendedKeyUsages: fc.oneof(fc.array(fc.constantFrom("server_auth", "client_auth", "code_signing", "bogus"), { maxLength: 3 }), anything),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<IssuanceAttributes>;
const csr = fc.option(fc.record({
  subjectFields: fc.dictionary(fc.constantFrom("commonName", "organization", "ou", "country", "province", "locality", "emailAddress"), nasty),
  sans: fc.option(fc.record({ dns: fc.array(nasty, { maxLength: 3 }), ip: fc.array(nasty, { maxLength: 2 }), email: fc.array(nasty, { maxLength: 2 }), uri: fc.array(nasty, { maxLength: 2 }) }), { nil: undefined }),
  keyAlgorithm: fc.constantFrom("RSA_2048", "EC_secp384r1", "ED25519", null),
  keyDescription: nasty,
  signatureValid: fc.boolean(),
  requestedKeyUsage: fc.option(fc.array(fc.constantFrom("digitalSignature", "keyEncipherment", "keyAgreement", "bogus"), { maxLength: 3 }), { nil: undefined }),
  requestedEku: fc.option(fc.array(fc.constantFrom("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "2.5.29.37.0"), { maxLength: 2 }), { nil: undefined }),
}), { nil: undefined }) as fc.Arbitrary<CsrFacts | undefined>;

const templates = [tpl({}), ...Object.values(TEMPLATE_PRESETS).map((p) => tpl(p.template)), tpl({ subject: [{ type: "common_name", allowed: ["*.acme.com"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"], denied: ["admin.acme.com"] }, { type: "ip_address", allowed: ["10.0.0.0/8"] }] })];
const DNS_SAFE = /^(\*\.)?[a-z0-9.-]+$/;

describe("decideIssuance property", () => {
  it("ok/never throws; accepted requests carry only clean names", () => {
    fc.assert(
      fc.property(fc.constantFrom(...templates), attributes, csr, attributes, (template, attrs, c, defaults) => {
        const r = decideIssuance({ template, attributes: attrs, defaults, csr: c, issuer: ISSUER, now: NOW, backdateSeconds: 60 });
        if ("violations" in r) {
          expect(r.violations.length).toBeGreaterThan(0);
          for (const v of r.violations) expect(typeof v.field === "string" && typeof v.code === "string" && typeof v.message === "string").toBe(true);
          return;
        }
        const q = r.request;
        for (const d of q.sans.dns ?? []) expect(d).toMatch(DNS_SAFE);
        for (const s of [...(q.sans.email ?? []), ...(q.sans.uri ?? []), ...(q.sans.ip ?? [])]) expect(s).toMatch(/^[\x21-\x7e]+$/);
        for (const s of Object.values(q.subject)) expect(s).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        expect(q.notAfter.getTime()).toBeGreaterThan(q.notBefore.getTime());
        expect(q.keyUsage.length).toBeGreaterThan(0);
      }),
      { numRuns: 3000 },
    );
  });

  it("ok/mostly-valid requests are mostly accepted, and accepted TLS server requests name their CN in the SANs", () => {
    let accepted = 0;
    const plausible = fc.record(
      {
        commonName: fc.oneof(fc.domain(), fc.ipV4(), fc.constantFrom("bücher.example", "WWW.Acme.COM.")),
        organization: fc.constantFrom("Acme Inc", "Acme, Inc.", "Ünïcødé GmbH"),
        altNames: fc.array(fc.oneof(
          fc.record({ type: fc.constant("dns_name" as const), value: fc.oneof(fc.domain(), fc.domain().map((d) => `*.${d}`)) }),
          fc.record({ type: fc.constant("ip_address" as const), value: fc.oneof(fc.ipV4(), fc.ipV6()) }),
        ), { maxLength: 4 }),
        ttl: fc.constantFrom("1h", "30d", "90d", "397d"),
        keyAlgorithm: fc.constantFrom("RSA_2048", "EC_prime256v1", "EC_secp384r1", "ED25519"),
      },
      { requiredKeys: ["commonName"] },
    ) as fc.Arbitrary<IssuanceAttributes>;
    const server = tpl(TEMPLATE_PRESETS["tls-server"].template);
    fc.assert(
      fc.property(plausible, (attrs) => {
        const r = decideIssuance({ template: server, attributes: attrs, defaults: {}, issuer: ISSUER, now: NOW, backdateSeconds: 60 });
        if ("violations" in r) return;
        accepted++;
        const q = r.request;
        expect(q.commonNameInSans).toBe(true);
        expect([...(q.sans.dns ?? []), ...(q.sans.ip ?? [])]).toContain(q.subject.commonName);
        for (const d of q.sans.dns ?? []) expect(d).toMatch(DNS_SAFE);
      }),
      { numRuns: 2000 },
    );
    expect(accepted).toBeGreaterThan(1000);
  });
});
