import { describe, it, expect, beforeAll } from "vitest";
import { assembleCertificate } from "./ca-certificate.js";
import { TAG, derBoolean, derOctetString, derOid, derSmallInt, derString, derTime, derUnsignedInteger, seq, setOf, tlv } from "./der.js";
import { EXT, encodeExtension, encodeKeyUsage } from "./extensions.js";
import { EKU, buildLeafTbs, defaultKeyUsage, type LeafTbsInput } from "./leaf-certificate.js";
import { lintCertificateDer, lintLeafTbs, type LintContext } from "./lint.js";
import { encodeName } from "./name.js";
import { makeKey, signWith, type TestKey } from "./pki-fixtures.test-util.js";
import { signatureAlgorithmDer } from "./signature.js";
import { keyIdentifier } from "./spki.js";

let issuer: TestKey;
let leaf: TestKey;
let rsa: TestKey;
let ed: TestKey;
beforeAll(async () => {
  [issuer, leaf, rsa, ed] = await Promise.all([makeKey("EC_prime256v1"), makeKey("EC_prime256v1"), makeKey("RSA_2048"), makeKey("ED25519")]);
});

const ISSUER_NAME = encodeName({ commonName: "Stamp Lint CA", organization: "Stamp Test" });
const SUBJECT = encodeName({ commonName: "app.example.test", organization: "Stamp Test", country: "DE" });
const SERIAL = Uint8Array.from(Buffer.from("3a1f9c0e5b7d2468ace013579bdf0246813579bd", "hex"));
const NB = new Date("2025-01-01T00:00:00Z");
const NA = new Date("2026-01-01T00:00:00Z");
const CTX: LintContext = { issuerNotBefore: new Date("2024-01-01T00:00:00Z"), issuerNotAfter: new Date("2034-01-01T00:00:00Z"), selfSigned: false };
const codes = (tbs: Uint8Array, ctx: LintContext = CTX) => lintLeafTbs(tbs, ctx).map((v) => v.code);

/** A leaf input buildLeafTbs accepts; `patch` overrides. */
function input(patch: Partial<LeafTbsInput> = {}): LeafTbsInput {
  const eku = [EKU.serverAuth, EKU.clientAuth];
  return {
    serialNumber: SERIAL, subject: SUBJECT, issuer: ISSUER_NAME, notBefore: NB, notAfter: NA,
    spki: leaf.spki, issuerSpki: issuer.spki, signerAlgorithm: issuer.alg,
    sans: { dns: ["app.example.test", "*.app.example.test"], ip: ["192.0.2.7"] },
    keyUsage: defaultKeyUsage(leaf.alg, eku), extendedKeyUsage: eku, selfSigned: false,
    ...patch,
  };
}

const sanValue = (...names: Uint8Array[]) => seq(...names);
const dns = (s: string) => tlv(0x82, new Uint8Array(Buffer.from(s, "latin1")));
const ip = (...octets: number[]) => tlv(0x87, Uint8Array.from(octets));

/** The extensions buildLeafTbs writes for input(), by name, so a test can replace or drop one. */
function defaultExts(spki: () => Uint8Array): Record<string, Uint8Array | null> {
  return {
    bc: encodeExtension(EXT.basicConstraints, true, seq()),
    ku: encodeExtension(EXT.keyUsage, true, encodeKeyUsage(["digitalSignature"])),
    eku: encodeExtension(EXT.extKeyUsage, false, seq(derOid(EKU.serverAuth), derOid(EKU.clientAuth))),
    san: encodeExtension(EXT.subjectAltName, false, sanValue(dns("app.example.test"), dns("*.app.example.test"), ip(192, 0, 2, 7))),
    ski: encodeExtension(EXT.subjectKeyIdentifier, false, derOctetString(keyIdentifier(spki()))),
    aki: encodeExtension(EXT.authorityKeyIdentifier, false, seq(tlv(0x80, keyIdentifier(issuer.spki)))),
  };
}

/** Parts of a hand-built TBS; each defaults to what buildLeafTbs writes for input(). */
interface Parts {
  version?: Uint8Array | null;
  serial?: Uint8Array;
  notBefore?: Uint8Array;
  notAfter?: Uint8Array;
  subject?: Uint8Array;
  spki?: Uint8Array;
  exts?: Record<string, Uint8Array | null>;
  extra?: Uint8Array[];
}

/** Builds a TBSCertificate with der.ts directly, bypassing buildLeafTbs's validation. */
function manual(p: Parts = {}): Uint8Array {
  const spki = p.spki ?? leaf.spki;
  const exts = { ...defaultExts(() => spki), ...p.exts };
  const list = [...Object.values(exts).filter((e): e is Uint8Array => e !== null), ...(p.extra ?? [])];
  return seq(
    ...(p.version === null ? [] : [p.version ?? tlv(0xa0, derSmallInt(2))]),
    p.serial ?? derUnsignedInteger(SERIAL),
    signatureAlgorithmDer(issuer.alg),
    ISSUER_NAME,
    seq(p.notBefore ?? derTime(NB), p.notAfter ?? derTime(NA)),
    p.subject ?? SUBJECT,
    spki,
    ...(list.length ? [tlv(0xa3, seq(...list))] : []),
  );
}

/** A Name of one RDN per [oid, tag, bytes] attribute. */
const nameOf = (...atvs: [string, number, Uint8Array][]) => seq(...atvs.map(([oid, tag, v]) => setOf(seq(derOid(oid), tlv(tag, v)))));
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, "utf8"));
const CN = "2.5.4.3";
const C = "2.5.4.6";

describe("lintLeafTbs: ok", () => {
  it("ok/ leaves built by buildLeafTbs pass (EC, RSA with keyEncipherment, Ed25519)", () => {
    expect(lintLeafTbs(buildLeafTbs(input()), CTX)).toEqual([]);
    const eku = [EKU.serverAuth];
    expect(codes(buildLeafTbs(input({ spki: rsa.spki, keyUsage: defaultKeyUsage(rsa.alg, eku), extendedKeyUsage: eku })))).toEqual([]);
    expect(codes(buildLeafTbs(input({ spki: ed.spki, keyUsage: ["digitalSignature"] })))).toEqual([]);
  });
  it("ok/ the hand-built default is byte-identical to buildLeafTbs's output, so mutations below are single changes", () => {
    expect(Buffer.from(manual()).equals(Buffer.from(buildLeafTbs(input())))).toBe(true);
  });
  it("ok/ empty subject with a critical SAN; IP commonName matching an IPv6 SAN; wildcard DNS names", () => {
    expect(codes(buildLeafTbs(input({ subject: seq() })))).toEqual([]);
    const v6 = encodeName({ commonName: "2001:db8::0.0.0.1" });
    expect(codes(buildLeafTbs(input({ subject: v6, sans: { ip: ["2001:DB8:0:0:0:0:0:1"] } })))).toEqual([]);
    expect(codes(buildLeafTbs(input({ subject: encodeName({ commonName: "APP.example.test" }) })))).toEqual([]);
  });
  it("ok/ a self-signed leaf may omit the AKI", () => {
    const tbs = buildLeafTbs(input({ selfSigned: true, issuerSpki: leaf.spki, issuer: SUBJECT }));
    expect(codes(tbs, { ...CTX, selfSigned: true })).toEqual([]);
    expect(codes(manual({ exts: { aki: null } }), { ...CTX, selfSigned: true })).toEqual([]);
  });
  it("ok/ GeneralizedTime from 2050", () => {
    const ctx = { ...CTX, issuerNotAfter: new Date("2060-01-01T00:00:00Z") };
    expect(codes(buildLeafTbs(input({ notAfter: new Date("2051-06-01T00:00:00Z") })), ctx)).toEqual([]);
  });
  it("ok/ lintCertificateDer lints the TBS of a signed certificate", () => {
    const tbs = buildLeafTbs(input());
    const der = assembleCertificate(tbs, issuer.alg, signWith(issuer, tbs));
    expect(lintCertificateDer(der, CTX)).toEqual([]);
    expect(lintCertificateDer(der, { ...CTX, issuerNotAfter: new Date("2025-06-01T00:00:00Z") }).map((v) => v.code)).toEqual(["lint_validity_outside_issuer"]);
  });
});

describe("lintLeafTbs: fail", () => {
  it("fail/ malformed DER is one lint_malformed violation", () => {
    expect(lintLeafTbs(Uint8Array.of(0x30, 0x03, 1, 2), CTX)).toEqual([expect.objectContaining({ field: "certificate", code: "lint_malformed" })]);
    expect(codes(seq(derSmallInt(1)))).toEqual(["lint_malformed"]);
    expect(lintCertificateDer(Uint8Array.of(1), CTX).map((v) => v.code)).toEqual(["lint_malformed"]);
  });
  it("fail/ not v3", () => {
    expect(codes(manual({ version: null }))).toEqual(["lint_version"]);
    expect(codes(manual({ version: tlv(0xa0, derSmallInt(1)) }))).toEqual(["lint_version"]);
  });
  it("fail/ serial number: zero, negative, over 20 octets, under 8 octets, not minimal", () => {
    expect(codes(manual({ serial: tlv(TAG.INTEGER, Uint8Array.of(0)) }))).toEqual(["lint_serial_not_positive"]);
    expect(codes(manual({ serial: tlv(TAG.INTEGER, Uint8Array.of(0xff, 1, 2, 3, 4, 5, 6, 7, 8)) }))).toEqual(["lint_serial_not_positive"]);
    expect(codes(manual({ serial: derUnsignedInteger(new Uint8Array(21).fill(0x42)) }))).toEqual(["lint_serial_too_long"]);
    expect(codes(manual({ serial: derUnsignedInteger(Uint8Array.of(0x7f, 1, 2, 3, 4, 5, 6)) }))).toEqual(["lint_serial_too_short"]);
    expect(codes(manual({ serial: tlv(TAG.INTEGER, Uint8Array.of(0, 0x11, 1, 2, 3, 4, 5, 6, 7, 8)) }))).toEqual(["lint_serial_not_minimal"]);
    // RFC 5280 §4.1.2.2 counts encoded octets: a 20-octet magnitude with the top bit set needs a 0x00 pad, 21 octets.
    expect(codes(manual({ serial: derUnsignedInteger(new Uint8Array(20).fill(0xc3)) }))).toEqual(["lint_serial_too_long"]);
    expect(codes(manual({ serial: derUnsignedInteger(new Uint8Array(20).fill(0x43)) }))).toEqual([]);
  });
  it("fail/ notAfter before notBefore", () => {
    expect(codes(manual({ notBefore: derTime(NA), notAfter: derTime(NB) }))).toEqual(["lint_validity_order"]);
  });
  it("fail/ validity outside the issuer's, at either end", () => {
    expect(codes(manual({ notAfter: derTime(new Date("2035-01-01T00:00:00Z")) }))).toEqual(["lint_validity_outside_issuer"]);
    expect(codes(manual({ notBefore: derTime(new Date("2023-12-31T23:59:59Z")) }))).toEqual(["lint_validity_outside_issuer"]);
  });
  it("fail/ time encodings: GeneralizedTime before 2050, fractional seconds, no Z", () => {
    const v = lintLeafTbs(manual({ notAfter: derString(TAG.GENERALIZED_TIME, "20300101000000Z") }), CTX);
    expect(v.map((x) => x.code)).toEqual(["lint_time_encoding"]);
    expect(v[0].message).toContain("UTCTime");
    expect(codes(manual({ notAfter: derString(TAG.GENERALIZED_TIME, "20510101000000.5Z") }))).toEqual(["lint_time_encoding"]);
    expect(codes(manual({ notBefore: derString(TAG.UTC_TIME, "2501010000Z") }))).toEqual(["lint_time_encoding"]);
    expect(codes(manual({ notBefore: derString(TAG.UTC_TIME, "250101000000+0100") }))).toEqual(["lint_time_encoding"]);
  });
  it("fail/ empty subject without a SAN, or with a non-critical one", () => {
    expect(codes(manual({ subject: seq() }))).toEqual(["lint_empty_subject_san"]);
    expect(codes(manual({ subject: seq(), exts: { san: null, eku: null } }))).toEqual(["lint_empty_subject_san"]);
  });
  it("fail/ serverAuth without a DNS or IP SAN", () => {
    const emailOnly = encodeExtension(EXT.subjectAltName, false, sanValue(tlv(0x81, utf8("ops@example.test"))));
    const subject = encodeName({ commonName: "Ops" });
    expect(codes(manual({ subject, exts: { san: emailOnly } }))).toEqual(["lint_server_auth_without_san"]);
    expect(codes(manual({ subject, exts: { san: null } }))).toEqual(["lint_server_auth_without_san"]);
    // Without serverAuth the same certificate is fine.
    const clientOnly = encodeExtension(EXT.extKeyUsage, false, seq(derOid(EKU.clientAuth)));
    expect(codes(manual({ subject, exts: { san: emailOnly, eku: clientOnly } }))).toEqual([]);
  });
  it("fail/ commonName not among the DNS/IP SANs", () => {
    const v = lintLeafTbs(manual({ subject: encodeName({ commonName: "other.example.test" }) }), CTX);
    expect(v.map((x) => [x.code, x.value])).toEqual([["lint_cn_not_in_san", "other.example.test"]]);
    expect(v[0].message).toContain("CA/B BR §7.1.4.3");
    expect(codes(manual({ subject: encodeName({ commonName: "192.0.2.8" }) }))).toEqual(["lint_cn_not_in_san"]);
    expect(codes(manual({ subject: encodeName({ commonName: "192.0.2.7" }) }))).toEqual([]);
  });
  it("fail/ keyUsage missing or not critical", () => {
    expect(codes(manual({ exts: { ku: null } }))).toEqual(["lint_key_usage_missing"]);
    expect(codes(manual({ exts: { ku: encodeExtension(EXT.keyUsage, false, encodeKeyUsage(["digitalSignature"])) } }))).toEqual(["lint_key_usage_not_critical"]);
  });
  it("fail/ keyCertSign or cRLSign in a leaf", () => {
    const ku = encodeExtension(EXT.keyUsage, true, encodeKeyUsage(["digitalSignature", "keyCertSign", "cRLSign"]));
    const v = lintLeafTbs(manual({ exts: { ku } }), CTX);
    expect(v.map((x) => [x.code, x.value])).toEqual([["lint_ca_key_usage_in_leaf", ["keyCertSign", "cRLSign"]]]);
  });
  it("fail/ key usage inconsistent with the key type", () => {
    const kuEnc = encodeExtension(EXT.keyUsage, true, encodeKeyUsage(["digitalSignature", "keyEncipherment"]));
    expect(codes(manual({ exts: { ku: kuEnc } }))).toEqual(["lint_key_usage_key_type"]);
    expect(codes(manual({ spki: ed.spki, exts: { ku: kuEnc } }))).toEqual(["lint_key_usage_key_type"]);
    expect(codes(manual({ spki: rsa.spki, exts: { ku: kuEnc } }))).toEqual([]);
    const kuAgree = encodeExtension(EXT.keyUsage, true, encodeKeyUsage(["keyAgreement"]));
    expect(codes(manual({ spki: rsa.spki, exts: { ku: kuAgree } }))).toEqual(["lint_key_usage_key_type"]);
  });
  it("fail/ basicConstraints cA TRUE or a pathLenConstraint in a leaf", () => {
    expect(codes(manual({ exts: { bc: encodeExtension(EXT.basicConstraints, true, seq(derBoolean(true))) } }))).toEqual(["lint_basic_constraints_ca"]);
    expect(codes(manual({ exts: { bc: encodeExtension(EXT.basicConstraints, true, seq(derSmallInt(0))) } }))).toEqual(["lint_basic_constraints_ca"]);
    expect(codes(manual({ exts: { bc: null } }))).toEqual([]);
  });
  it("fail/ SKI missing; AKI missing when not self-signed", () => {
    expect(codes(manual({ exts: { ski: null } }))).toEqual(["lint_ski_missing"]);
    expect(codes(manual({ exts: { aki: null } }))).toEqual(["lint_aki_missing"]);
  });
  it("fail/ a duplicated extension", () => {
    const dup = encodeExtension(EXT.subjectKeyIdentifier, false, derOctetString(Uint8Array.of(1, 2, 3)));
    const v = lintLeafTbs(manual({ extra: [dup] }), CTX);
    expect(v.map((x) => [x.code, x.value])).toEqual([["lint_duplicate_extension", EXT.subjectKeyIdentifier]]);
  });
  it("fail/ a malformed extension value", () => {
    expect(codes(manual({ exts: { ku: encodeExtension(EXT.keyUsage, true, derOctetString(Uint8Array.of(1))) } }))).toContain("lint_malformed_extension");
  });
  it("fail/ BMPString, TeletexString and bad PrintableString in the subject", () => {
    const bmp = new Uint8Array(Buffer.from("app.example.test", "utf16le").swap16());
    expect(codes(manual({ subject: nameOf([CN, 0x1e, bmp]) }))).toEqual(["lint_directory_string_encoding"]);
    expect(codes(manual({ subject: nameOf(["2.5.4.10", 0x14, utf8("Stamp")], [CN, TAG.UTF8_STRING, utf8("app.example.test")]) }))).toEqual(["lint_directory_string_encoding"]);
    expect(codes(manual({ subject: nameOf(["2.5.4.10", TAG.PRINTABLE_STRING, utf8("Stamp & Co")], [CN, TAG.UTF8_STRING, utf8("app.example.test")]) }))).toEqual(["lint_directory_string_encoding"]);
  });
  it("fail/ country not a two-letter PrintableString", () => {
    const cn: [string, number, Uint8Array] = [CN, TAG.UTF8_STRING, utf8("app.example.test")];
    expect(codes(manual({ subject: nameOf([C, TAG.UTF8_STRING, utf8("DE")], cn) }))).toEqual(["lint_country_encoding"]);
    expect(codes(manual({ subject: nameOf([C, TAG.PRINTABLE_STRING, utf8("DEU")], cn) }))).toEqual(["lint_country_encoding"]);
  });
  it("fail/ NUL and control characters in names and SANs", () => {
    expect(codes(manual({ subject: nameOf(["2.5.4.10", TAG.UTF8_STRING, utf8("Stamp\u0000Evil")], [CN, TAG.UTF8_STRING, utf8("app.example.test")]) }))).toEqual(["lint_control_characters"]);
    const san = encodeExtension(EXT.subjectAltName, false, sanValue(dns("app.example.test"), dns("evil.test\u0000.app.example.test")));
    expect(codes(manual({ exts: { san } }))).toEqual(["lint_control_characters", "lint_dns_name_invalid"]);
  });
  it("fail/ DNS SANs that are not LDH labels; ok/ mixed case and a leading wildcard", () => {
    const withDns = (...names: string[]) => manual({ exts: { san: encodeExtension(EXT.subjectAltName, false, sanValue(dns("app.example.test"), ...names.map(dns))) } });
    for (const bad of ["under_score.example", "a.*.example", "-lead.example", "trailing.example.", "", "*"]) expect(codes(withDns(bad))).toEqual(["lint_dns_name_invalid"]);
    expect(codes(withDns("MiXeD.Example.TEST", "*.example.test", "xn--bcher-kva.example"))).toEqual([]);
  });
  it("fail/ a bad iPAddress length and an empty SAN", () => {
    expect(codes(manual({ exts: { san: encodeExtension(EXT.subjectAltName, false, sanValue(dns("app.example.test"), ip(1, 2, 3))) } }))).toEqual(["lint_ip_address_invalid"]);
    expect(codes(manual({ exts: { san: encodeExtension(EXT.subjectAltName, false, seq()) } }))).toEqual(["lint_san_empty", "lint_server_auth_without_san"]);
  });
  it("fail/ every problem is reported at once, with field \"certificate\"", () => {
    const v = lintLeafTbs(manual({ version: null, serial: derUnsignedInteger(Uint8Array.of(1)), exts: { ski: null, aki: null } }), CTX);
    expect(v.map((x) => x.code)).toEqual(["lint_version", "lint_serial_too_short", "lint_ski_missing", "lint_aki_missing"]);
    expect(new Set(v.map((x) => x.field))).toEqual(new Set(["certificate"]));
  });
});
