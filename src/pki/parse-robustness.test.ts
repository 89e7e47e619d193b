import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { isStampError } from "../errors.js";
import { parseCertificate } from "./certificate-parse.js";
import { assembleCsr, buildCsrInfo, parseCsr } from "./csr.js";
import { encodeName } from "./name.js";
import { toPem } from "./pem.js";
import { issueCa, makeKey, signWith } from "./pki-fixtures.test-util.js";

let csrDer: Uint8Array;
let certDers: Uint8Array[];

beforeAll(async () => {
  const [ec, rsa, ed] = await Promise.all([makeKey("EC_prime256v1"), makeKey("RSA_2048"), makeKey("ED25519")]);
  const info = buildCsrInfo(encodeName({ commonName: "fuzz", organization: "Stamp", country: "US" }), ec.spki);
  csrDer = assembleCsr(info, "EC_prime256v1", signWith(ec, info));
  const root = issueCa({ subject: { commonName: "Fuzz Root", country: "US" }, key: ed });
  const int = issueCa({
    subject: { commonName: "Fuzz Int" }, key: rsa, issuer: root.asIssuer, pathLength: 0,
    extra: { caIssuersUrl: "http://x.test/r.cer", ocspUrl: "http://o.test", crlUrls: ["http://x.test/r.crl"] },
  });
  certDers = [root.der, int.der];
});

/** Expects `f` to throw a StampError of kind bad_request. */
function expectBadRequest(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isStampError(e, "bad_request"), String(e)).toBe(true);
    return (e as Error).message;
  }
  throw new Error("expected a bad_request error");
}

const parsers = { parseCsr, parseCertificate } as const;

describe.each(Object.keys(parsers) as (keyof typeof parsers)[])("%s fail cases", (name) => {
  const parse = parsers[name];
  const good = () => (name === "parseCsr" ? csrDer : certDers[1]);
  it("fail/ empty", () => {
    expectBadRequest(() => parse(""));
    expectBadRequest(() => parse(new Uint8Array(0)));
  });
  it("fail/ garbage", () => {
    expectBadRequest(() => parse("hello, world"));
    expectBadRequest(() => parse(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)));
    expectBadRequest(() => parse(Uint8Array.of(0x30, 0x80, 0, 0)));
    expectBadRequest(() => parse(Uint8Array.of(0x30, 0x84, 0xff, 0xff, 0xff, 0xff)));
  });
  it("fail/ truncated DER and trailing bytes", () => {
    expectBadRequest(() => parse(good().subarray(0, good().length - 1)));
    expectBadRequest(() => parse(good().subarray(0, 40)));
    expectBadRequest(() => parse(Uint8Array.from([...good(), 0])));
  });
  it("fail/ wrong PEM label", () => {
    const msg = expectBadRequest(() => parse(toPem(good(), name === "parseCsr" ? "CERTIFICATE" : "CERTIFICATE REQUEST")));
    expect(msg).toMatch(/Expected a PEM block labelled/);
  });
  it("fail/ 1 MB input", () => {
    expect(expectBadRequest(() => parse("A".repeat(1024 * 1024)))).toMatch(/larger than 64 KiB/);
    expectBadRequest(() => parse(new Uint8Array(1024 * 1024).fill(0x30)));
  });
  it("fail/ a certificate given as a CSR and vice versa (valid DER, wrong structure)", () => {
    expectBadRequest(() => parse(name === "parseCsr" ? certDers[0] : csrDer));
  });
});

/** Byte-level mutations of a DER seed: flips, truncations, insertions, deletions, length-byte edits. */
const mutated = (seeds: () => Uint8Array[]) =>
  fc
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
      const all = seeds();
      let b = Array.from(all[seed % all.length]);
      for (const e of edits) {
        const at = b.length ? e.at % b.length : 0;
        if (e.kind === "flip" && b.length) b[at] ^= e.bits;
        else if (e.kind === "truncate") b = b.slice(0, at);
        else if (e.kind === "insert") b.splice(at, 0, e.byte);
        else if (e.kind === "delete") b.splice(at, 1);
      }
      return Uint8Array.from(b);
    });

describe("property: mutated DER never escapes as anything but a StampError", () => {
  const check = (parse: (d: string | Uint8Array) => unknown) => (d: string | Uint8Array) => {
    try {
      parse(d);
    } catch (e) {
      if (!isStampError(e, "bad_request")) throw e;
    }
  };
  it("parseCsr: 10,000 mutated CSRs", () => {
    fc.assert(fc.property(mutated(() => [csrDer]), check(parseCsr)), { numRuns: 10_000 });
  });
  it("parseCertificate: 10,000 mutated certificates", () => {
    fc.assert(fc.property(mutated(() => certDers), check(parseCertificate)), { numRuns: 10_000 });
  });
  it("both, on PEM text with mutated characters", () => {
    const text = fc.record({ at: fc.nat(), ch: fc.constantFrom("-", "\n", "\r", " ", "=", "A", "@", "\u0000", "é") });
    fc.assert(
      fc.property(fc.array(text, { minLength: 1, maxLength: 3 }), fc.boolean(), (edits, csr) => {
        let s = toPem(csr ? csrDer : certDers[1], csr ? "CERTIFICATE REQUEST" : "CERTIFICATE");
        for (const e of edits) s = s.slice(0, e.at % s.length) + e.ch + s.slice((e.at % s.length) + 1);
        check(csr ? parseCsr : parseCertificate)(s);
      }),
      { numRuns: 1000 },
    );
  });
});
