import { describe, it, expect, beforeAll } from "vitest";
import { createHash, createHmac, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { isStampError } from "../errors.js";
import {
  ACME_ALGS, AcmeJwsError, algForKey, base64url, fromBase64url, isAcmeJwsError, jwkThumbprint, jwkToKeyObject, parseEab, parseJws,
  verifyEab, verifyJws, type AcmeJwsErrorType,
} from "./acme-jws.js";

const b64 = (s: string | Uint8Array) => Buffer.from(s).toString("base64url");
const enc = (o: unknown) => b64(JSON.stringify(o));

interface Pair { alg: string; privateKey: KeyObject; publicKey: KeyObject; jwk: Record<string, unknown> }
const pairs: Record<string, Pair> = {};
const gen = (alg: string, p: { privateKey: KeyObject; publicKey: KeyObject }): Pair => ({ alg, ...p, jwk: p.publicKey.export({ format: "jwk" }) as Record<string, unknown> });

beforeAll(() => {
  pairs.ES256 = gen("ES256", generateKeyPairSync("ec", { namedCurve: "P-256" }));
  pairs.ES384 = gen("ES384", generateKeyPairSync("ec", { namedCurve: "P-384" }));
  pairs.ES512 = gen("ES512", generateKeyPairSync("ec", { namedCurve: "P-521" }));
  pairs.RS256 = gen("RS256", generateKeyPairSync("rsa", { modulusLength: 2048 }));
  pairs.EdDSA = gen("EdDSA", generateKeyPairSync("ed25519"));
});

const HASH: Record<string, string | null> = { ES256: "sha256", ES384: "sha384", ES512: "sha512", RS256: "sha256", EdDSA: null };

/** Builds a flattened JWS as a client would (RFC 7515 §7.2.2), ECDSA as R ‖ S. */
function makeJws(p: Pair, header: Record<string, unknown>, payload: unknown, alg = p.alg): Record<string, string> {
  const protectedB64 = enc({ alg, ...header });
  const payloadB64 = payload === undefined ? "" : enc(payload);
  const sig = sign(HASH[alg] ?? null, Buffer.from(`${protectedB64}.${payloadB64}`), { key: p.privateKey, dsaEncoding: "ieee-p1363" });
  return { protected: protectedB64, payload: payloadB64, signature: b64(sig) };
}
const newAccount = (p: Pair, extra: Record<string, unknown> = {}) =>
  makeJws(p, { nonce: "n0nce", url: "https://ca.test/acme/new-account", jwk: p.jwk, ...extra }, { termsOfServiceAgreed: true });

/** Expects `f` to throw an AcmeJwsError of `type`; returns its detail. */
function expectAcme(type: AcmeJwsErrorType, f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(isAcmeJwsError(e), String(e)).toBe(true);
    expect((e as AcmeJwsError).type, (e as AcmeJwsError).detail).toBe(type);
    return (e as AcmeJwsError).detail;
  }
  throw new Error(`expected an AcmeJwsError ${type}`);
}

describe("base64url", () => {
  it("ok/ round trip and canonical form", () => {
    const b = Uint8Array.from([0xfb, 0xff, 0xbf, 0]);
    expect(base64url(b)).toBe("-_-_AA");
    expect(fromBase64url("-_-_AA")).toEqual(b);
    expect(fromBase64url("")).toEqual(new Uint8Array(0));
  });
  it("fail/ padding, standard alphabet, whitespace, impossible length, non-zero trailing bits", () => {
    for (const s of ["AA==", "+/+/", "AA A", "A", "AB", "AAB", "-_-_AB"]) expect(fromBase64url(s), s).toBeNull();
  });
});

describe("parseJws + verifyJws", () => {
  it.each(["ES256", "ES384", "ES512", "RS256", "EdDSA"])("ok/ %s with jwk", (alg) => {
    const p = pairs[alg];
    const jws = parseJws(newAccount(p));
    expect(jws.header.alg).toBe(alg);
    expect(jws.payload).toEqual({ termsOfServiceAgreed: true });
    expect(jws.key).toBeDefined();
    expect(verifyJws(jws, jws.key!)).toBe(true);
    expect(verifyJws(jws, p.publicKey)).toBe(true);
    expect(algForKey(p.publicKey)).toBe(alg);
  });
  it("ok/ kid and POST-as-GET (empty payload)", () => {
    const body = makeJws(pairs.ES256, { nonce: "n", url: "https://ca.test/acme/order/1", kid: "https://ca.test/acme/acct/1" }, undefined);
    const jws = parseJws(body);
    expect(jws.payload).toBeUndefined();
    expect(jws.key).toBeUndefined();
    expect(jws.header.kid).toBe("https://ca.test/acme/acct/1");
    expect(new TextDecoder().decode(jws.signingInput)).toBe(`${body.protected}.`);
    expect(verifyJws(jws, pairs.ES256.publicKey)).toBe(true);
  });
  it("ok/ a JSON string body is parsed too", () => {
    expect(verifyJws(parseJws(JSON.stringify(newAccount(pairs.EdDSA))), pairs.EdDSA.publicKey)).toBe(true);
  });
  it("fail/ wrong key, tampered payload, tampered protected header → false", () => {
    for (const alg of ["ES256", "ES384", "RS256", "EdDSA"]) {
      const p = pairs[alg];
      const body = newAccount(p);
      const other = alg === "ES256" ? generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey
        : alg === "ES384" ? generateKeyPairSync("ec", { namedCurve: "P-384" }).publicKey
          : alg === "RS256" ? generateKeyPairSync("rsa", { modulusLength: 2048 }).publicKey : generateKeyPairSync("ed25519").publicKey;
      expect(verifyJws(parseJws(body), other), alg).toBe(false);
      expect(verifyJws(parseJws({ ...body, payload: enc({ termsOfServiceAgreed: false }) }), p.publicKey), alg).toBe(false);
      const hdr = enc({ alg, nonce: "other", url: "https://ca.test/acme/new-account", jwk: p.jwk });
      expect(verifyJws(parseJws({ ...body, protected: hdr }), p.publicKey), alg).toBe(false);
    }
  });
  it("fail/ alg that does not match the key type → false", () => {
    // An EC key named as RS256, an RSA key named as ES256, an ES256 signature checked with a P-384 key.
    const ecAsRs = parseJws(makeJws(pairs.ES256, { url: "u", kid: "k" }, {}, "RS256"));
    expect(verifyJws(ecAsRs, pairs.ES256.publicKey)).toBe(false);
    const es = parseJws(makeJws(pairs.ES256, { url: "u", kid: "k" }, {}));
    expect(verifyJws(es, pairs.RS256.publicKey)).toBe(false);
    expect(verifyJws(es, pairs.ES384.publicKey)).toBe(false);
    expect(verifyJws(es, pairs.EdDSA.publicKey)).toBe(false);
  });
  it("fail/ garbage and DER-encoded ECDSA signatures → false, no throw", () => {
    const body = newAccount(pairs.ES256);
    const der = sign("sha256", Buffer.from(`${body.protected}.${body.payload}`), pairs.ES256.privateKey);
    expect(verifyJws(parseJws({ ...body, signature: b64(der) }), pairs.ES256.publicKey)).toBe(false);
    for (const sig of ["AA", b64(new Uint8Array(64)), b64(new Uint8Array(256)), b64(new Uint8Array(5000))]) {
      for (const alg of ["ES256", "RS256", "EdDSA"]) {
        expect(verifyJws(parseJws({ ...newAccount(pairs[alg]), signature: sig }), pairs[alg].publicKey)).toBe(false);
      }
    }
    const jws = parseJws(body);
    expect(verifyJws({ ...jws, signatureB64: "!!" }, pairs.ES256.publicKey)).toBe(false);
  });
  it("fail/ alg none and MAC algs → malformed; unknown algs → badSignatureAlgorithm", () => {
    const p = pairs.ES256;
    expectAcme("malformed", () => parseJws(newAccount(p, { alg: "none" })));
    expectAcme("malformed", () => parseJws({ ...newAccount(p), protected: enc({ alg: "none", url: "u", jwk: p.jwk }), signature: "" }));
    expectAcme("malformed", () => parseJws(newAccount(p, { alg: "HS256" })));
    expectAcme("malformed", () => parseJws(newAccount(p, { alg: undefined })));
    expectAcme("malformed", () => parseJws(newAccount(p, { alg: 7 })));
    expect(expectAcme("badSignatureAlgorithm", () => parseJws(newAccount(p, { alg: "PS256" })))).toContain("ES256");
    expectAcme("badSignatureAlgorithm", () => parseJws(newAccount(p, { alg: "ES256K" })));
    expect(ACME_ALGS).toContain("ES256");
  });
  it("fail/ both jwk and kid, neither, bad kid, bad jwk type → malformed", () => {
    const p = pairs.ES256;
    expectAcme("malformed", () => parseJws(newAccount(p, { kid: "https://ca.test/acme/acct/1" })));
    expectAcme("malformed", () => parseJws(makeJws(p, { nonce: "n", url: "u" }, {})));
    expectAcme("malformed", () => parseJws(makeJws(p, { nonce: "n", url: "u", kid: 5 }, {})));
    expectAcme("malformed", () => parseJws(makeJws(p, { nonce: "n", url: "u", kid: "" }, {})));
    expectAcme("malformed", () => parseJws(makeJws(p, { nonce: "n", url: "u", jwk: "abc" }, {})));
  });
  it("fail/ header rules: url required, nonce must be a string, crit and b64 refused", () => {
    const p = pairs.ES256;
    expectAcme("malformed", () => parseJws(makeJws(p, { nonce: "n", kid: "k" }, {})));
    expectAcme("malformed", () => parseJws(makeJws(p, { nonce: 1, url: "u", kid: "k" }, {})));
    expectAcme("malformed", () => parseJws(makeJws(p, { url: "u", kid: "k", crit: ["b64"], b64: false }, {})));
    expectAcme("malformed", () => parseJws(makeJws(p, { url: "u", kid: "k", b64: true }, {})));
    // A missing nonce is the caller's badNonce, not a parse error (RFC 8555 §6.5).
    expect(parseJws(makeJws(p, { url: "u", kid: "k" }, {})).header.nonce).toBeUndefined();
  });
  it("fail/ serialization: padding, unprotected header, extra members, general form, non-objects → malformed", () => {
    const body = newAccount(pairs.ES256);
    expectAcme("malformed", () => parseJws({ ...body, signature: `${Buffer.from(fromBase64url(body.signature)!).toString("base64")}` }));
    expectAcme("malformed", () => parseJws({ ...body, protected: `${body.protected}==` }));
    expectAcme("malformed", () => parseJws({ ...body, payload: Buffer.from(JSON.stringify({ a: 1 })).toString("base64") + "=" }));
    expectAcme("malformed", () => parseJws({ ...body, header: { kid: "x" } }));
    expectAcme("malformed", () => parseJws({ ...body, extra: 1 }));
    expectAcme("malformed", () => parseJws({ payload: body.payload, signatures: [{ protected: body.protected, signature: body.signature }] }));
    expectAcme("malformed", () => parseJws({ protected: body.protected, payload: body.payload }));
    expectAcme("malformed", () => parseJws(`${body.protected}.${body.payload}.${body.signature}`));
    for (const v of [null, undefined, 1, [], [body], true]) expectAcme("malformed", () => parseJws(v));
    expectAcme("malformed", () => parseJws({ ...body, signature: "" }));
    expectAcme("malformed", () => parseJws({ ...body, protected: "" }));
    expectAcme("malformed", () => parseJws({ ...body, payload: 5 }));
  });
  it("fail/ payload that is not a JSON object, protected header that is not one → malformed", () => {
    const p = pairs.ES256;
    for (const payload of [[1, 2], "str", 5, null, true]) {
      expectAcme("malformed", () => parseJws(makeJws(p, { url: "u", kid: "k" }, payload)));
    }
    const body = newAccount(p);
    expectAcme("malformed", () => parseJws({ ...body, payload: b64("{not json") }));
    expectAcme("malformed", () => parseJws({ ...body, payload: b64(Uint8Array.from([0x7b, 0xff, 0x7d])) }));
    expectAcme("malformed", () => parseJws({ ...body, payload: b64(`\ufeff${JSON.stringify({ a: 1 })}`) }));
    expectAcme("malformed", () => parseJws({ ...body, protected: enc(["ES256"]) }));
    expectAcme("malformed", () => parseJws({ ...body, protected: b64("ES256") }));
  });
  it("fail/ bad account keys in jwk → badPublicKey", () => {
    const p = pairs.ES256;
    const rsa1024 = generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" });
    expectAcme("badPublicKey", () => parseJws(newAccount(pairs.RS256, { jwk: rsa1024 })));
    const k1 = generateKeyPairSync("ec", { namedCurve: "secp256k1" }).publicKey.export({ format: "jwk" });
    expectAcme("badPublicKey", () => parseJws(newAccount(p, { jwk: k1 })));
    expectAcme("badPublicKey", () => parseJws(newAccount(p, { jwk: { ...p.jwk, crv: "P-256K" } })));
    const priv = pairs.ES256.privateKey.export({ format: "jwk" });
    expect(expectAcme("badPublicKey", () => parseJws(newAccount(p, { jwk: priv })))).toContain("d");
  });
});

describe("jwkToKeyObject", () => {
  it("ok/ every accepted key type, ignoring optional members", () => {
    for (const alg of ["ES256", "ES384", "ES512", "RS256", "EdDSA"]) {
      const k = jwkToKeyObject({ ...pairs[alg].jwk, kid: "x", use: "sig" });
      expect(k.export({ format: "der", type: "spki" })).toEqual(pairs[alg].publicKey.export({ format: "der", type: "spki" }));
    }
  });
  it("fail/ private, weak, foreign and malformed keys → badPublicKey", () => {
    const rsa = pairs.RS256.jwk;
    const ec = pairs.ES256.jwk;
    const bad: unknown[] = [
      null, "jwk", [], {}, { kty: "oct", k: "AAAA" },
      generateKeyPairSync("rsa", { modulusLength: 1024 }).publicKey.export({ format: "jwk" }),
      generateKeyPairSync("rsa", { modulusLength: 2048, publicExponent: 3 }).publicKey.export({ format: "jwk" }),
      { ...rsa, e: "AAEAAQ" }, // 65537 with a leading zero octet: a second spelling of the same key
      { ...rsa, n: `AA${rsa.n as string}` }, // leading zero octets in n (RFC 7518 §6.3.1.1)
      { ...rsa, d: "AQAB" }, { ...rsa, p: "AQAB" }, { ...rsa, q: "AQAB" }, { ...rsa, e: undefined },
      { ...ec, d: "AQAB" }, { ...ec, crv: "P-256K" }, { ...ec, crv: "secp256k1" }, { ...ec, crv: "toString" }, { ...ec, crv: "__proto__" },
      { ...ec, x: (ec.x as string).slice(2) }, { ...ec, x: `${ec.x as string}=` }, { ...ec, y: ec.x }, { ...ec, y: 5 },
      { ...pairs.EdDSA.jwk, crv: "Ed448" }, { ...pairs.EdDSA.jwk, crv: "X25519" }, { ...pairs.EdDSA.jwk, x: "AAAA" },
      generateKeyPairSync("ed448").publicKey.export({ format: "jwk" }),
    ];
    for (const jwk of bad) expectAcme("badPublicKey", () => jwkToKeyObject(jwk));
  });
  it("fail/ the error is a StampError bad_request", () => {
    try {
      jwkToKeyObject({});
    } catch (e) {
      expect(isStampError(e, "bad_request")).toBe(true);
      expect((e as { acmeType?: string }).acmeType).toBe("badPublicKey");
    }
  });
});

describe("jwkThumbprint", () => {
  it("ok/ RFC 7638 §3.1 known answer", () => {
    const jwk = {
      kty: "RSA",
      n: "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
      e: "AQAB",
      alg: "RS256",
      kid: "2011-04-29",
    };
    expect(jwkThumbprint(jwk)).toBe("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    expect(jwkToKeyObject(jwk).asymmetricKeyDetails?.modulusLength).toBe(2048);
  });
  it("ok/ EC and OKP use their required members in order (computed independently)", () => {
    const ec = pairs.ES256.jwk;
    const want = createHash("sha256").update(`{"crv":"P-256","kty":"EC","x":"${ec.x as string}","y":"${ec.y as string}"}`).digest("base64url");
    expect(jwkThumbprint({ y: ec.y, x: ec.x, kty: "EC", crv: "P-256", kid: "ignored" })).toBe(want);
    const ed = pairs.EdDSA.jwk;
    expect(jwkThumbprint(ed)).toBe(createHash("sha256").update(`{"crv":"Ed25519","kty":"OKP","x":"${ed.x as string}"}`).digest("base64url"));
  });
  it("fail/ unsupported or incomplete JWKs → badPublicKey", () => {
    for (const jwk of [{}, { kty: "oct", k: "AA" }, { kty: "EC", crv: "P-256", x: "AA" }, { kty: "RSA", n: 5, e: "AQAB" }]) {
      expectAcme("badPublicKey", () => jwkThumbprint(jwk as Record<string, unknown>));
    }
  });
});

describe("verifyEab", () => {
  const hmacKey = new Uint8Array(createHash("sha256").update("eab key").digest());
  const url = "https://ca.test/acme/new-account";
  const mac = (alg: string, key: Uint8Array, header: Record<string, unknown>, payload: unknown) => {
    const protectedB64 = enc({ alg, ...header });
    const payloadB64 = typeof payload === "string" ? payload : enc(payload);
    const hash = { HS256: "sha256", HS384: "sha384", HS512: "sha512" }[alg] ?? "sha256";
    return { protected: protectedB64, payload: payloadB64, signature: b64(createHmac(hash, key).update(`${protectedB64}.${payloadB64}`).digest()) };
  };
  const eab = (over: Record<string, unknown> = {}, payload: unknown = pairs.ES256.jwk, alg = "HS256", key = hmacKey) =>
    mac(alg, key, { kid: "eab-key-1", url, ...over }, payload);
  const opts = () => ({ hmacKey, accountJwk: pairs.ES256.jwk, url });

  it("ok/ HS256, HS384, HS512", () => {
    for (const alg of ["HS256", "HS384", "HS512"]) expect(verifyEab(eab({}, pairs.ES256.jwk, alg), opts())).toEqual({ keyId: "eab-key-1" });
    expect(parseEab(eab()).header.kid).toBe("eab-key-1");
  });
  it("fail/ wrong MAC key or tampered MAC → unauthorized", () => {
    expectAcme("unauthorized", () => verifyEab(eab({}, pairs.ES256.jwk, "HS256", Uint8Array.from([1, 2, 3])), opts()));
    const good = eab();
    expectAcme("unauthorized", () => verifyEab({ ...good, signature: b64(new Uint8Array(32)) }, opts()));
    expectAcme("unauthorized", () => verifyEab({ ...good, signature: "AAAA" }, opts()));
    expectAcme("unauthorized", () => verifyEab(good, { ...opts(), hmacKey: new Uint8Array(0) }));
  });
  it("fail/ payload is another key → unauthorized; not a JWK → malformed", () => {
    expectAcme("unauthorized", () => verifyEab(eab({}, pairs.ES384.jwk), opts()));
    expectAcme("malformed", () => verifyEab(eab({}, { hello: "world" }), opts()));
    expectAcme("malformed", () => verifyEab(eab({}, ""), opts()));
  });
  it("fail/ header rules → malformed", () => {
    expectAcme("malformed", () => verifyEab(eab({ url: "https://ca.test/acme/other" }), opts()));
    expectAcme("malformed", () => verifyEab(eab({ url: undefined }), opts()));
    expectAcme("malformed", () => verifyEab(eab({ nonce: "n" }), opts()));
    expectAcme("malformed", () => verifyEab(eab({ kid: undefined }), opts()));
    expectAcme("malformed", () => verifyEab(eab({ jwk: pairs.ES256.jwk }), opts()));
    expectAcme("malformed", () => verifyEab(eab({ alg: "ES256" }), opts()));
    expectAcme("malformed", () => verifyEab(eab({ alg: "none" }), opts()));
    expectAcme("malformed", () => verifyEab({ ...eab(), header: {} }, opts()));
    expectAcme("malformed", () => verifyEab(null, opts()));
  });
});
