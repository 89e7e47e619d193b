import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { isStampError } from "../errors.js";
import { assembleCertificate } from "./ca-certificate.js";
import { parseCertificate } from "./certificate-parse.js";
import { derNull, derOctetString, derOid, derUnsignedInteger, seq, tlv } from "./der.js";
import { OCSP_OID, encodeExtension } from "./extensions.js";
import { EKU, buildLeafTbs, type LeafTbsInput } from "./leaf-certificate.js";
import { lintLeafTbs } from "./lint.js";
import { encodeName } from "./name.js";
import {
  assembleOcspResponse, buildResponseData, encodeSingleResponse, issuerHashes, ocspErrorResponse, parseOcspRequest, parseOcspResponse,
  responderKeyHash, type OcspRequest, type OcspStatus,
} from "./ocsp.js";
import { toPem } from "./pem.js";
import { issueCa, makeKey, signWith, type TestIssuer, type TestKey } from "./pki-fixtures.test-util.js";

const SHA1 = "1.3.14.3.2.26";
const SHA256 = "2.16.840.1.101.3.4.2.1";

let dir: string;
let ca: TestIssuer;
let caDer: Uint8Array;
let responderKey: TestKey;
let responderDer: Uint8Array;
let responderTbs: Uint8Array;
const leaves: { der: Uint8Array; serialHex: string }[] = [];
/** Real requests made by openssl: [with nonce, without nonce]. */
let reqNonce: Uint8Array;
let reqNoNonce: Uint8Array;

/** Runs openssl in the temp dir; returns stdout+stderr and whether it exited 0. */
function openssl(...args: string[]): { out: string; ok: boolean } {
  const r = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
  return { out: `${r.stdout}${r.stderr}`, ok: r.status === 0 };
}

const now = () => new Date();
const hours = (h: number) => new Date(Date.now() + h * 3600_000);

function leafInput(key: TestKey, serial: Uint8Array, patch: Partial<LeafTbsInput> = {}): LeafTbsInput {
  return {
    serialNumber: serial, subject: encodeName({ commonName: "app.example.test" }), issuer: ca.name,
    notBefore: hours(-24), notAfter: hours(24 * 30), spki: key.spki, issuerSpki: ca.key.spki, signerAlgorithm: ca.key.alg,
    sans: { dns: ["app.example.test"] }, keyUsage: ["digitalSignature"], extendedKeyUsage: [EKU.serverAuth], selfSigned: false,
    ocspUrl: "http://ocsp.example.test",
    ...patch,
  };
}

function issue(input: LeafTbsInput): { tbs: Uint8Array; der: Uint8Array } {
  const tbs = buildLeafTbs(input);
  return { tbs, der: assembleCertificate(tbs, ca.key.alg, signWith(ca.key, tbs)) };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stamp-ocsp-"));
  const [caKey, rKey, lKey] = await Promise.all([makeKey("EC_prime256v1"), makeKey("EC_prime256v1"), makeKey("ED25519")]);
  const issued = issueCa({ subject: { country: "US", organization: "Stamp Test", commonName: "OCSP Test CA" }, key: caKey, notBefore: hours(-48) });
  ca = issued.asIssuer;
  caDer = issued.der;
  responderKey = rKey;
  const r = issue(leafInput(rKey, randomBytes(16).fill(0x21, 0, 1), {
    subject: encodeName({ commonName: "ocsp.example.test" }), sans: { dns: ["ocsp.example.test"] },
    extendedKeyUsage: [EKU.ocspSigning], ocspNoCheck: true, ocspUrl: undefined,
  }));
  responderDer = r.der;
  responderTbs = r.tbs;
  for (const first of [0x31, 0x32]) {
    const serial = randomBytes(16);
    serial[0] = first;
    leaves.push({ der: issue(leafInput(lKey, serial)).der, serialHex: Buffer.from(serial).toString("hex") });
  }
  writeFileSync(join(dir, "ca.pem"), toPem(caDer, "CERTIFICATE"));
  writeFileSync(join(dir, "responder.pem"), toPem(responderDer, "CERTIFICATE"));
  writeFileSync(join(dir, "responder.key"), rKey.privateKey.export({ format: "pem", type: "pkcs8" }) as string);
  leaves.forEach((l, i) => writeFileSync(join(dir, `leaf${i}.pem`), toPem(l.der, "CERTIFICATE")));
  const certs = ["-cert", "leaf0.pem", "-cert", "leaf1.pem"];
  expect(openssl("ocsp", "-issuer", "ca.pem", ...certs, "-reqout", "req-nonce.der").ok).toBe(true);
  expect(openssl("ocsp", "-issuer", "ca.pem", ...certs, "-no_nonce", "-reqout", "req-plain.der").ok).toBe(true);
  reqNonce = new Uint8Array(readFileSync(join(dir, "req-nonce.der")));
  reqNoNonce = new Uint8Array(readFileSync(join(dir, "req-plain.der")));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Answers a parsed request: leaf0 good, leaf1 revoked (keyCompromise), plus an unknown random serial; signed by `signer`. */
function answer(req: OcspRequest, signer: { key: TestKey; certs: Uint8Array[] }, nonce = req.nonce): Uint8Array {
  const thisUpdate = hours(-1);
  const nextUpdate = hours(24);
  const singles = req.certIds.map((id) => {
    const status: OcspStatus = id.serialHex === leaves[1].serialHex
      ? { kind: "revoked", revokedAt: hours(-2), reasonCode: 1 }
      : id.serialHex === leaves[0].serialHex ? { kind: "good" } : { kind: "unknown" };
    return encodeSingleResponse({ certIdDer: id.der, status, thisUpdate, nextUpdate });
  });
  const first = req.certIds[0];
  const unknownId = seq(seq(derOid(first.hashOid), derNull()), derOctetString(first.issuerNameHash), derOctetString(first.issuerKeyHash), derUnsignedInteger(randomBytes(16)));
  singles.push(encodeSingleResponse({ certIdDer: unknownId, status: { kind: "unknown" }, thisUpdate, nextUpdate }));
  const data = buildResponseData({ responderKeyHash: responderKeyHash(signer.key.spki), producedAt: now(), responses: singles, nonce });
  return assembleOcspResponse(data, signer.key.alg, signWith(signer.key, data), signer.certs);
}

describe("parseOcspRequest on requests made by openssl", () => {
  it("ok/ nonce present, serials and issuer hashes match", () => {
    const req = parseOcspRequest(reqNonce);
    expect(req.signed).toBe(false);
    expect(req.nonce?.length).toBeGreaterThanOrEqual(1);
    expect(req.nonce!.length).toBeLessThanOrEqual(32);
    expect(req.certIds.map((c) => c.serialHex)).toEqual(leaves.map((l) => l.serialHex));
    const ca0 = parseCertificate(caDer);
    for (const id of req.certIds) {
      expect(id.hashOid).toBe(SHA1);
      const h = issuerHashes(ca0.subject, ca0.spki, id.hashOid);
      expect(Buffer.compare(h.nameHash, id.issuerNameHash)).toBe(0);
      expect(Buffer.compare(h.keyHash, id.issuerKeyHash)).toBe(0);
      expect(id.der[0]).toBe(0x30);
    }
  });

  it("ok/ nonce absent with -no_nonce; SHA-256 CertIDs", () => {
    const req = parseOcspRequest(reqNoNonce);
    expect(req.nonce).toBeUndefined();
    expect(req.certIds).toHaveLength(2);
    expect(openssl("ocsp", "-issuer", "ca.pem", "-sha256", "-cert", "leaf0.pem", "-reqout", "req256.der").ok).toBe(true);
    const r256 = parseOcspRequest(new Uint8Array(readFileSync(join(dir, "req256.der"))));
    expect(r256.certIds[0].hashOid).toBe(SHA256);
    const h = issuerHashes(ca.name, ca.key.spki, SHA256);
    expect(Buffer.compare(h.keyHash, r256.certIds[0].issuerKeyHash)).toBe(0);
    expect(Buffer.compare(h.nameHash, r256.certIds[0].issuerNameHash)).toBe(0);
  });

  it("ok/ a signed request is accepted (signature not checked)", () => {
    const r = openssl("ocsp", "-issuer", "ca.pem", "-cert", "leaf0.pem", "-signer", "responder.pem", "-signkey", "responder.key", "-reqout", "req-signed.der");
    expect(r.ok, r.out).toBe(true);
    const req = parseOcspRequest(new Uint8Array(readFileSync(join(dir, "req-signed.der"))));
    expect(req.signed).toBe(true);
    expect(req.certIds[0].serialHex).toBe(leaves[0].serialHex);
  });
});

describe("OCSP responses checked by openssl", () => {
  const statusOf = (out: string) => ({
    verified: out.includes("Response verify OK"),
    good: /leaf0\.pem: good/.test(out),
    revoked: /leaf1\.pem: revoked/.test(out) && out.includes("Reason: keyCompromise"),
    unknown: /Cert Status: unknown/.test(out),
  });

  it("ok/ signed by the CA key: verify OK, good / revoked keyCompromise / unknown", () => {
    const resp = answer(parseOcspRequest(reqNoNonce), { key: ca.key, certs: [] });
    writeFileSync(join(dir, "resp-ca.der"), resp);
    const r = openssl("ocsp", "-respin", "resp-ca.der", "-issuer", "ca.pem", "-CAfile", "ca.pem", "-resp_text", "-no_nonce", "-cert", "leaf0.pem", "-cert", "leaf1.pem");
    expect(statusOf(r.out), r.out).toEqual({ verified: true, good: true, revoked: true, unknown: true });
    expect(r.out).not.toContain("WARNING");
    const parsed = parseOcspResponse(resp);
    expect(parsed.responseStatus).toBe("successful");
    expect(parsed.certs).toBe(0);
    expect(parsed.nonce).toBeNull();
    expect(Buffer.compare(parsed.responderKeyHash!, responderKeyHash(ca.key.spki))).toBe(0);
    expect(parsed.responses.map((s) => s.status)).toEqual(["good", "revoked", "unknown"]);
    expect(parsed.responses[1]).toMatchObject({ serialHex: leaves[1].serialHex, reason: 1 });
    expect(parsed.responses[1].revokedAt!.getUTCMilliseconds()).toBe(0);
    expect(parsed.producedAt!.getUTCMilliseconds()).toBe(0);
  });

  it("ok/ signed by the delegated responder, its certificate in certs", () => {
    const resp = answer(parseOcspRequest(reqNoNonce), { key: responderKey, certs: [responderDer] });
    writeFileSync(join(dir, "resp-delegated.der"), resp);
    const r = openssl("ocsp", "-respin", "resp-delegated.der", "-issuer", "ca.pem", "-CAfile", "ca.pem", "-resp_text", "-no_nonce", "-cert", "leaf0.pem", "-cert", "leaf1.pem");
    expect(statusOf(r.out), r.out).toEqual({ verified: true, good: true, revoked: true, unknown: true });
    expect(r.out).toContain("OCSP No Check");
    expect(parseOcspResponse(resp).certs).toBe(1);
  });

  it("fail/ a response signed by a key that is neither the CA's nor a delegated responder's does not verify", async () => {
    const stranger = await makeKey("EC_prime256v1");
    writeFileSync(join(dir, "resp-stranger.der"), answer(parseOcspRequest(reqNoNonce), { key: stranger, certs: [] }));
    const r = openssl("ocsp", "-respin", "resp-stranger.der", "-issuer", "ca.pem", "-CAfile", "ca.pem", "-no_nonce", "-cert", "leaf0.pem");
    expect(r.out).not.toContain("Response verify OK");
  });

  it("ok/ the nonce is echoed: openssl -reqin/-respin (no -issuer/-cert) checks it", () => {
    const req = parseOcspRequest(reqNonce);
    const resp = answer(req, { key: responderKey, certs: [responderDer] });
    writeFileSync(join(dir, "resp-nonce.der"), resp);
    const r = openssl("ocsp", "-reqin", "req-nonce.der", "-respin", "resp-nonce.der", "-CAfile", "ca.pem");
    expect(r.out).toContain("Response verify OK");
    expect(r.out).not.toMatch(/nonce/i);
    expect(Buffer.compare(parseOcspResponse(resp).nonce!, req.nonce!)).toBe(0);
    // A wrong nonce is caught by the same command.
    writeFileSync(join(dir, "resp-badnonce.der"), answer(req, { key: responderKey, certs: [responderDer] }, randomBytes(16)));
    expect(openssl("ocsp", "-reqin", "req-nonce.der", "-respin", "resp-badnonce.der", "-CAfile", "ca.pem").out).toMatch(/nonce verify error/i);
  });

  it("ok/ error responses: malformedRequest (1) and unauthorized (6)", () => {
    for (const [status, text] of [["malformedRequest", "malformedRequest (1)"], ["unauthorized", "unauthorized (6)"], ["tryLater", "tryLater (3)"]] as const) {
      writeFileSync(join(dir, "err.der"), ocspErrorResponse(status));
      // OpenSSL 3.0 prints the status names in lower case ("malformedrequest (1)").
      expect(openssl("ocsp", "-respin", "err.der", "-resp_text").out.toLowerCase()).toContain(`responder error: ${text.toLowerCase()}`);
      expect(parseOcspResponse(ocspErrorResponse(status))).toMatchObject({ responseStatus: status, responses: [] });
    }
    expect(Buffer.from(ocspErrorResponse("internalError")).toString("hex")).toBe("30030a0102");
  });
});

describe("the delegated responder certificate", () => {
  it("ok/ carries id-pkix-ocsp-nocheck (NULL, non-critical) and lints clean", () => {
    const ext = Buffer.from(encodeExtension(OCSP_OID.noCheck, false, derNull())).toString("hex");
    expect(Buffer.from(responderTbs).toString("hex")).toContain(ext);
    const ctx = { issuerNotBefore: hours(-48), issuerNotAfter: new Date("2044-01-01T00:00:00Z"), selfSigned: false };
    expect(lintLeafTbs(responderTbs, ctx)).toEqual([]);
    // Swap id-kp-OCSPSigning (…3.9) for id-kp-clientAuth (…3.2): the lint notices nocheck without OCSPSigning.
    const swapped = Buffer.from(Buffer.from(responderTbs).toString("hex").replace("2b06010505070309", "2b06010505070302"), "hex");
    expect(lintLeafTbs(swapped, ctx).map((v) => v.code)).toContain("lint_ocsp_nocheck_without_ocsp_signing");
  });

  it("fail/ buildLeafTbs refuses ocspNoCheck without the OCSPSigning EKU", () => {
    expect(() => buildLeafTbs(leafInput(responderKey, randomBytes(16).fill(0x22, 0, 1), { ocspNoCheck: true }))).toThrow(/OCSPSigning/);
  });

  it("ok/ without ocspNoCheck nothing changes", () => {
    const input = leafInput(responderKey, Uint8Array.of(0x33, 1, 2, 3, 4, 5, 6, 7, 8));
    expect(Buffer.compare(buildLeafTbs(input), buildLeafTbs({ ...input, ocspNoCheck: false }))).toBe(0);
    expect(Buffer.from(buildLeafTbs(input)).toString("hex")).not.toContain("2b0601050507300105");
  });
});

/** Expects `f` to throw a StampError of kind bad_request. */
function expectBadRequest(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(isStampError(e, "bad_request"), String(e)).toBe(true);
    return;
  }
  throw new Error("expected a bad_request error");
}

/** An OCSPRequest built here: one CertID per serial, with the given requestExtensions. */
function request(serials: Uint8Array[], exts: Uint8Array[] = []): Uint8Array {
  const h = issuerHashes(ca.name, ca.key.spki, SHA1);
  const reqs = serials.map((s) => seq(seq(seq(derOid(SHA1), derNull()), derOctetString(h.nameHash), derOctetString(h.keyHash), derUnsignedInteger(s))));
  return seq(exts.length ? seq(seq(...reqs), tlv(0xa2, seq(...exts))) : seq(seq(...reqs)));
}
const nonceExt = (n: Uint8Array) => encodeExtension(OCSP_OID.nonce, false, derOctetString(n));

describe("parseOcspRequest fail cases", () => {
  it("fail/ empty, garbage, truncated, trailing bytes, too large", () => {
    expectBadRequest(() => parseOcspRequest(new Uint8Array(0)));
    expectBadRequest(() => parseOcspRequest(Buffer.from("hello, world")));
    expectBadRequest(() => parseOcspRequest(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)));
    expectBadRequest(() => parseOcspRequest(Uint8Array.of(0x30, 0x80, 0, 0)));
    expectBadRequest(() => parseOcspRequest(reqNonce.subarray(0, reqNonce.length - 1)));
    expectBadRequest(() => parseOcspRequest(reqNonce.subarray(0, 10)));
    expectBadRequest(() => parseOcspRequest(Uint8Array.from([...reqNoNonce, 0])));
    const big = new Uint8Array(64 * 1024 + 1);
    big.set(reqNoNonce);
    expectBadRequest(() => parseOcspRequest(big));
    expectBadRequest(() => parseOcspRequest("not bytes" as unknown as Uint8Array));
  });

  it("fail/ non-minimal lengths are not DER", () => {
    const short = request([Uint8Array.of(5)]);
    expect(short[1]).toBeLessThan(0x80);
    expect(parseOcspRequest(short).certIds).toHaveLength(1);
    expectBadRequest(() => parseOcspRequest(Uint8Array.from([0x30, 0x81, ...short.subarray(1)])));
    // A long form with a leading zero octet.
    expect(reqNoNonce[1]).toBe(0x81);
    expectBadRequest(() => parseOcspRequest(Uint8Array.from([0x30, 0x82, 0x00, ...reqNoNonce.subarray(2)])));
  });

  it("fail/ 21 CertIDs (openssl -serial ×21); 20 are fine", () => {
    const serials = (n: number) => Array.from({ length: n }, (_, i) => ["-serial", String(1000 + i)]).flat();
    expect(openssl("ocsp", "-issuer", "ca.pem", ...serials(21), "-reqout", "req21.der").ok).toBe(true);
    expectBadRequest(() => parseOcspRequest(new Uint8Array(readFileSync(join(dir, "req21.der")))));
    expect(openssl("ocsp", "-issuer", "ca.pem", ...serials(20), "-reqout", "req20.der").ok).toBe(true);
    expect(parseOcspRequest(new Uint8Array(readFileSync(join(dir, "req20.der")))).certIds).toHaveLength(20);
  });

  it("fail/ nonce of 0 or 33 octets, unknown critical extension; ok/ 1 and 32 octets, unknown non-critical", () => {
    const s = [Uint8Array.of(5)];
    expect(parseOcspRequest(request(s, [nonceExt(Uint8Array.of(7))])).nonce).toEqual(Uint8Array.of(7));
    expect(parseOcspRequest(request(s, [nonceExt(new Uint8Array(32).fill(1))])).nonce).toHaveLength(32);
    expectBadRequest(() => parseOcspRequest(request(s, [nonceExt(new Uint8Array(0))])));
    expectBadRequest(() => parseOcspRequest(request(s, [nonceExt(new Uint8Array(33))])));
    // A nonce extnValue that is not a DER OCTET STRING (raw bytes, as some old clients send).
    expectBadRequest(() => parseOcspRequest(request(s, [encodeExtension(OCSP_OID.nonce, false, new Uint8Array(16).fill(9))])));
    expectBadRequest(() => parseOcspRequest(request(s, [encodeExtension("1.2.3.4", true, derNull())])));
    expect(parseOcspRequest(request(s, [encodeExtension("1.2.3.4", false, derNull())])).certIds).toHaveLength(1);
    expectBadRequest(() => parseOcspRequest(request(s, [nonceExt(Uint8Array.of(1)), nonceExt(Uint8Array.of(2))])));
    expectBadRequest(() => parseOcspRequest(request([])));
    expectBadRequest(() => parseOcspRequest(request([new Uint8Array(22).fill(1)])));
  });

  it("fail/ issuerHashes refuses an unsupported hash", () => {
    expectBadRequest(() => issuerHashes(ca.name, ca.key.spki, "1.2.840.113549.2.5"));
  });
});

describe("property: mutated OCSP requests never escape as anything but a StampError", () => {
  it("parseOcspRequest: 10,000 mutated requests", () => {
    const seeds = [reqNonce, reqNoNonce, request([Uint8Array.of(1, 2, 3)], [nonceExt(new Uint8Array(32).fill(3))])];
    const mutated = fc
      .record({
        seed: fc.nat(),
        edits: fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bits: fc.integer({ min: 1, max: 255 }) }),
            fc.record({ kind: fc.constant("truncate" as const), at: fc.nat() }),
            fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
            fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
          ),
          { minLength: 1, maxLength: 4 },
        ),
      })
      .map(({ seed, edits }) => {
        let b = Array.from(seeds[seed % seeds.length]);
        for (const e of edits) {
          const at = b.length ? e.at % b.length : 0;
          if (e.kind === "flip" && b.length) b[at] ^= e.bits;
          else if (e.kind === "truncate") b = b.slice(0, at);
          else if (e.kind === "insert") b.splice(at, 0, e.byte);
          else if (e.kind === "delete") b.splice(at, 1);
        }
        return Uint8Array.from(b);
      });
    fc.assert(
      fc.property(mutated, (d) => {
        try {
          parseOcspRequest(d);
        } catch (e) {
          if (!isStampError(e, "bad_request")) throw e;
        }
      }),
      { numRuns: 10_000 },
    );
  });
});
