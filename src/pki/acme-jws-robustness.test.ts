import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { createHmac, generateKeyPairSync, sign } from "node:crypto";
import { isAcmeJwsError, parseJws, verifyEab, verifyJws } from "./acme-jws.js";

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString("base64url");
const enc = (o: unknown) => b64(JSON.stringify(o) ?? "");

const keys = [
  generateKeyPairSync("ec", { namedCurve: "P-256" }),
  generateKeyPairSync("rsa", { modulusLength: 2048 }),
  generateKeyPairSync("ed25519"),
];
const algs = ["ES256", "RS256", "EdDSA"];
const hashes = ["sha256", "sha256", null];
const jwks = keys.map((k) => k.publicKey.export({ format: "jwk" }) as Record<string, unknown>);

/** Real, valid request bodies: one newAccount per key type and one kid POST-as-GET. */
function realHeader(i: number, useKid: boolean): Record<string, unknown> {
  return { alg: algs[i], nonce: "bm9uY2U", url: "https://ca.test/acme/x", ...(useKid ? { kid: "https://ca.test/acme/acct/1" } : { jwk: jwks[i] }) };
}
function signBody(i: number, header: Record<string, unknown>, payloadB64: string): Record<string, unknown> {
  const protectedB64 = enc(header);
  const sig = sign(hashes[i], Buffer.from(`${protectedB64}.${payloadB64}`), { key: keys[i].privateKey, dsaEncoding: "ieee-p1363" });
  return { protected: protectedB64, payload: payloadB64, signature: b64(sig) };
}

/** Mutations of a real body: replace/garble members, rewrite header members, add members, re-encode arbitrary JSON. */
const mutated = fc
  .record({
    i: fc.integer({ min: 0, max: 2 }),
    useKid: fc.boolean(),
    emptyPayload: fc.boolean(),
    op: fc.integer({ min: 0, max: 9 }),
    member: fc.constantFrom("protected", "payload", "signature"),
    headerKey: fc.constantFrom("alg", "jwk", "kid", "nonce", "url", "crit", "b64", "header", "__proto__", "constructor"),
    json: fc.jsonValue({ maxDepth: 4 }),
    anything: fc.anything({ maxDepth: 3 }),
    text: fc.string({ maxLength: 40 }),
    pos: fc.nat(),
    char: fc.constantFrom("=", "+", "/", " ", "A", "_", "-", ".", "\u00e9", ""),
  })
  .map(({ i, useKid, emptyPayload, op, member, headerKey, json, anything, text, pos, char }) => {
    const header = realHeader(i, useKid);
    const body = signBody(i, header, emptyPayload ? "" : enc({ identifiers: [{ type: "dns", value: "x.test" }] }));
    const s = String(body[member]);
    const at = s.length ? pos % s.length : 0;
    switch (op) {
      case 0: return { ...body, [member]: `${s.slice(0, at)}${char}${s.slice(at + 1)}` };
      case 1: return { ...body, [member]: anything };
      case 2: return { ...body, [member]: enc(json) };
      case 3: return signBody(i, { ...header, [headerKey]: json }, String(body.payload));
      case 4: return signBody(i, { ...header, jwk: { ...jwks[i], [text || "x"]: json } }, String(body.payload));
      case 5: return { ...body, [text]: json };
      case 6: {
        const copy: Record<string, unknown> = { ...body };
        delete copy[member];
        return copy;
      }
      case 7: return signBody(i, header, b64(text));
      case 8: return JSON.stringify(body).slice(0, at) + char + JSON.stringify(body).slice(at);
      default: return body;
    }
  });

const arbitraryBody = fc.oneof(fc.jsonValue({ maxDepth: 4 }), fc.anything({ maxDepth: 3 }), fc.string(), fc.record({ protected: fc.string(), payload: fc.string(), signature: fc.string() }));

/** Runs `f`; any throw other than an AcmeJwsError fails the property. */
function onlyDeclaredErrors(f: () => unknown): boolean {
  try {
    f();
    return true;
  } catch (e) {
    if (isAcmeJwsError(e)) return true;
    throw e;
  }
}

describe("ACME JWS parsing robustness", () => {
  it("ok/ parseJws and verifyJws throw nothing but AcmeJwsError on mutated real bodies and arbitrary input", () => {
    fc.assert(
      fc.property(fc.oneof({ arbitrary: mutated, weight: 3 }, { arbitrary: arbitraryBody, weight: 1 }), (body) =>
        onlyDeclaredErrors(() => {
          const jws = parseJws(body);
          for (const k of keys) expect(typeof verifyJws(jws, k.publicKey)).toBe("boolean");
          if (jws.key) verifyJws(jws, jws.key);
        }),
      ),
      { numRuns: 12_000 },
    );
  });
  it("fail/ a signed body with any character of its protected header, payload or signature changed never verifies", () => {
    const changed = fc
      .record({ i: fc.integer({ min: 0, max: 2 }), useKid: fc.boolean(), member: fc.constantFrom("protected", "payload", "signature"), pos: fc.nat(), char: fc.constantFrom("A", "B", "_", "-", "=", ".", "0", "w") })
      .map(({ i, useKid, member, pos, char }) => {
        const body = signBody(i, realHeader(i, useKid), enc({ identifiers: [{ type: "dns", value: "x.test" }] }));
        const s = String(body[member]);
        const at = pos % s.length;
        return { i, body: { ...body, [member]: `${s.slice(0, at)}${char}${s.slice(at + 1)}` }, same: s[at] === char };
      })
      .filter((c) => !c.same);
    fc.assert(
      fc.property(changed, ({ i, body }) => {
        let jws;
        try {
          jws = parseJws(body);
        } catch (e) {
          if (isAcmeJwsError(e)) return true;
          throw e;
        }
        return verifyJws(jws, keys[i].publicKey) === false;
      }),
      { numRuns: 3_000 },
    );
  });
  it("ok/ verifyEab throws nothing but AcmeJwsError", () => {
    const hmacKey = new Uint8Array(32).fill(7);
    const url = "https://ca.test/acme/new-account";
    const eab = fc.record({ header: fc.dictionary(fc.constantFrom("alg", "kid", "url", "nonce", "jwk", "x"), fc.jsonValue({ maxDepth: 2 })), payload: fc.jsonValue({ maxDepth: 3 }), good: fc.boolean() })
      .map(({ header, payload, good }) => {
        const h = good ? { alg: "HS256", kid: "k", url, ...header } : header;
        const p = enc(h);
        const pl = good && typeof payload !== "object" ? enc(jwks[0]) : enc(payload);
        return { protected: p, payload: pl, signature: b64(createHmac("sha256", hmacKey).update(`${p}.${pl}`).digest()) };
      });
    fc.assert(
      fc.property(fc.oneof(eab, arbitraryBody, mutated), (body) => onlyDeclaredErrors(() => verifyEab(body, { hmacKey, accountJwk: jwks[0], url }))),
      { numRuns: 3_000 },
    );
  });
  it("ok/ the unmutated bodies verify (the generator starts from real requests)", () => {
    for (let i = 0; i < 3; i++) {
      const jws = parseJws(signBody(i, realHeader(i, false), enc({})));
      expect(verifyJws(jws, jws.key!)).toBe(true);
    }
  });
});
