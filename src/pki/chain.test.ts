import { describe, it, expect, beforeAll } from "vitest";
import { parseCertificate, type ParsedCertificate } from "./certificate-parse.js";
import { orderChain, verifyChain } from "./chain.js";
import { derBitString, derBoolean, derOctetString, derOid, derSmallInt, derTime, derUnsignedInteger, seq, tlv } from "./der.js";
import { encodeName } from "./name.js";
import { issueCa, makeKey, signWith, type TestIssuer, type TestKey } from "./pki-fixtures.test-util.js";
import { assembleCertificate } from "./ca-certificate.js";
import { signatureAlgorithmDer } from "./signature.js";
import { keyIdentifier } from "./spki.js";

const NOW = new Date("2026-06-01T00:00:00Z");

/** An end-entity (cA FALSE, digitalSignature only) certificate, hand-built for the "leaf as issuer" case. */
function issueLeaf(cn: string, key: TestKey, issuer: TestIssuer): { der: Uint8Array; asIssuer: TestIssuer } {
  const name = encodeName({ commonName: cn });
  const ext = (oid: string, critical: boolean, v: Uint8Array) => seq(derOid(oid), ...(critical ? [derBoolean(true)] : []), derOctetString(v));
  const tbs = seq(
    tlv(0xa0, derSmallInt(2)), derUnsignedInteger(Uint8Array.of(9)), signatureAlgorithmDer(issuer.key.alg), issuer.name,
    seq(derTime(new Date("2025-01-01T00:00:00Z")), derTime(new Date("2030-01-01T00:00:00Z"))), name, key.spki,
    tlv(0xa3, seq(
      ext("2.5.29.19", true, seq()),
      ext("2.5.29.15", true, derBitString(Uint8Array.of(0x80), 7)),
      ext("2.5.29.14", false, derOctetString(keyIdentifier(key.spki))),
      ext("2.5.29.35", false, seq(tlv(0x80, keyIdentifier(issuer.key.spki)))),
    )),
  );
  return { der: assembleCertificate(tbs, issuer.key.alg, signWith(issuer.key, tbs)), asIssuer: { name, key } };
}

const p = (der: Uint8Array) => parseCertificate(der);
const codes = (v: { field: string; code: string }[]) => v.map((x) => `${x.field}:${x.code}`).sort();

let k: TestKey[];
let root: ReturnType<typeof issueCa>;
let int1: ReturnType<typeof issueCa>;
let int2: ReturnType<typeof issueCa>;
let P: Record<string, ParsedCertificate>;

beforeAll(async () => {
  k = await Promise.all(Array.from({ length: 8 }, (_, i) => makeKey(i % 2 ? "EC_prime256v1" : "ED25519")));
  root = issueCa({ subject: { commonName: "Chain Root" }, key: k[0] });
  int1 = issueCa({ subject: { commonName: "Chain Int1" }, key: k[1], issuer: root.asIssuer, pathLength: 1 });
  int2 = issueCa({ subject: { commonName: "Chain Int2" }, key: k[2], issuer: int1.asIssuer, pathLength: 0 });
  P = { root: p(root.der), int1: p(int1.der), int2: p(int2.der) };
});

describe("verifyChain", () => {
  it("ok/ a valid path has no violations", () => {
    expect(verifyChain(P.int2, [P.int1, P.root], NOW)).toEqual([]);
  });
  it("ok/ a root alone", () => {
    expect(verifyChain(P.root, [], NOW)).toEqual([]);
  });
  it("ok/ an end-entity certificate under int2", () => {
    const leaf = p(issueLeaf("leaf.example", k[3], int2.asIssuer).der);
    expect(verifyChain(leaf, [P.int2, P.int1, P.root], NOW)).toEqual([]);
  });
  it("fail/ wrong order", () => {
    expect(codes(verifyChain(P.int2, [P.root, P.int1], NOW))).toEqual([
      "certificate:signature_invalid",
      "certificateChain[0]:issuer_mismatch",
      "certificateChain[0]:signature_invalid",
      "certificateChain[1]:issuer_mismatch",
      "certificateChain[1]:not_self_signed",
    ]);
  });
  it("fail/ bad signature (one byte flipped)", () => {
    const bad = Uint8Array.from(int1.der);
    bad[bad.length - 1] ^= 0x01;
    expect(codes(verifyChain(P.int2, [p(bad), P.root], NOW))).toEqual(["certificateChain[0]:signature_invalid"]);
    const badRoot = Uint8Array.from(root.der);
    badRoot[badRoot.length - 2] ^= 0x40;
    expect(codes(verifyChain(P.int2, [P.int1, p(badRoot)], NOW))).toEqual(["certificateChain[1]:signature_invalid"]);
  });
  it("fail/ an end-entity certificate used as an issuer", () => {
    const leaf = issueLeaf("not-a-ca.example", k[3], int1.asIssuer);
    const child = issueCa({ subject: { commonName: "Under Leaf" }, key: k[4], issuer: leaf.asIssuer });
    expect(codes(verifyChain(p(child.der), [p(leaf.der), P.int1, P.root], NOW))).toEqual([
      "certificateChain[0]:missing_key_cert_sign",
      "certificateChain[0]:not_a_ca",
    ]);
    expect(codes(verifyChain(p(leaf.der), [], NOW))).toEqual(["certificate:not_a_ca", "certificate:not_self_signed"]);
  });
  it("fail/ expired and not yet valid", () => {
    const old = issueCa({ subject: { commonName: "Old Int" }, key: k[5], issuer: root.asIssuer, notBefore: new Date("2020-01-01T00:00:00Z"), notAfter: new Date("2021-01-01T00:00:00Z") });
    const v = verifyChain(p(old.der), [P.root], NOW);
    expect(codes(v)).toEqual(["certificate:expired"]);
    expect(v[0].message).toContain("2021-01-01T00:00:00.000Z");
    expect(codes(verifyChain(P.int2, [P.int1, P.root], new Date("2050-01-01T00:00:00Z")))).toEqual([
      "certificate:expired", "certificateChain[0]:expired", "certificateChain[1]:expired",
    ]);
    expect(codes(verifyChain(P.int2, [P.int1, P.root], new Date("2000-01-01T00:00:00Z")))).toEqual([
      "certificate:not_yet_valid", "certificateChain[0]:not_yet_valid", "certificateChain[1]:not_yet_valid",
    ]);
  });
  it("fail/ path length exceeded", () => {
    const int3 = issueCa({ subject: { commonName: "Chain Int3" }, key: k[5], issuer: int2.asIssuer });
    const leaf = p(issueLeaf("deep.example", k[6], int3.asIssuer).der);
    // int2 has pathlen 0 but int3 (a CA) sits below it; int1 (pathlen 1) allows int2 + int3? No: 2 > 1.
    expect(codes(verifyChain(leaf, [p(int3.der), P.int2, P.int1, P.root], NOW))).toEqual([
      "certificateChain[1]:path_length_exceeded",
      "certificateChain[2]:path_length_exceeded",
    ]);
    // The target certificate itself is not counted: int3 as the target is fine.
    expect(verifyChain(p(int3.der), [P.int2, P.int1, P.root], NOW)).toEqual([]);
  });
  it("fail/ chain not ending in a self-signed root", () => {
    expect(codes(verifyChain(P.int2, [P.int1], NOW))).toEqual(["certificateChain[0]:not_self_signed"]);
  });
  it("fail/ same-named root with another key", () => {
    const impostor = issueCa({ subject: { commonName: "Chain Root" }, key: k[7] });
    expect(codes(verifyChain(P.int1, [p(impostor.der)], NOW))).toEqual(["certificate:key_identifier_mismatch", "certificate:signature_invalid"]);
  });
});

describe("orderChain", () => {
  it("ok/ orders a shuffled bag issuer-first and drops strangers", () => {
    const stranger = p(issueCa({ subject: { commonName: "Stranger Root" }, key: k[6] }).der);
    const impostor = p(issueCa({ subject: { commonName: "Chain Root" }, key: k[7] }).der);
    const leaf = p(issueLeaf("leaf.example", k[3], int2.asIssuer).der);
    const ordered = orderChain([P.root, stranger, impostor, P.int1, leaf, P.int2], leaf);
    expect(ordered.map((c) => c.subjectText)).toEqual(["CN=Chain Int2", "CN=Chain Int1", "CN=Chain Root"]);
    expect(verifyChain(leaf, ordered, NOW)).toEqual([]);
  });
  it("ok/ stops when no issuer is found", () => {
    expect(orderChain([P.root], P.int2)).toEqual([]);
    expect(orderChain([P.int1, P.int2], P.root)).toEqual([]);
  });
});
