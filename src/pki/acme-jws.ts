/**
 * ACME request authentication (RFC 8555 §6.2, §7.3.4): parse the flattened JWS a client
 * POSTs, turn its JWK into a KeyObject, verify the signature, compute RFC 7638 thumbprints
 * and check External Account Binding MACs. Pure: node:crypto pure functions only.
 */
import { createHash, createHmac, createPublicKey, timingSafeEqual, verify, type KeyObject } from "node:crypto";
import { StampError } from "../errors.js";

/** The ACME problem types these checks can answer (RFC 8555 §6.7, without the urn:ietf:params:acme:error: prefix). */
export type AcmeJwsErrorType = "malformed" | "badSignatureAlgorithm" | "badPublicKey" | "unauthorized";

/**
 * A refused JWS: `type` is the ACME problem type, `detail` the caller-facing text. It is a
 * StampError (house rule 5) whose kind is bad_request, or forbidden for "unauthorized", and
 * whose `acmeType` equals `type`, so the ACME edge maps it like any other StampError.
 */
export class AcmeJwsError extends StampError {
  readonly type: AcmeJwsErrorType;
  readonly detail: string;
  constructor(type: AcmeJwsErrorType, detail: string) {
    super(type === "unauthorized" ? "forbidden" : "bad_request", detail, { acmeType: type });
    this.name = "AcmeJwsError";
    this.type = type;
    this.detail = detail;
  }
}

/** True when `e` is an AcmeJwsError (of the given type, when one is named). */
export function isAcmeJwsError(e: unknown, type?: AcmeJwsErrorType): e is AcmeJwsError {
  return e instanceof AcmeJwsError && (type === undefined || e.type === type);
}

/** The JWS Protected Header members ACME uses (RFC 8555 §6.2). */
export interface JwsProtected {
  alg: string;
  nonce?: string;
  url?: string;
  jwk?: Record<string, unknown>;
  kid?: string;
  [k: string]: unknown;
}

/** A structurally valid flattened JWS; `key` is set when the header carried a (checked) "jwk". */
export interface ParsedJws {
  protectedB64: string;
  payloadB64: string;
  signatureB64: string;
  header: JwsProtected;
  /** Parsed JSON object; undefined for POST-as-GET (empty payload, RFC 8555 §6.3). */
  payload: unknown;
  /** ASCII(protected "." payload), the bytes signed (RFC 7515 §5.1). */
  signingInput: Uint8Array;
  key?: KeyObject;
}

/** Account-key signature algorithms Stamp accepts (RFC 8555 §6.2: ES256 MUST, EdDSA SHOULD). */
export const ACME_ALGS = ["ES256", "ES384", "ES512", "RS256", "EdDSA"] as const;
/** One of ACME_ALGS. */
export type AcmeAlg = (typeof ACME_ALGS)[number];

/** Longest accepted protected/payload/signature member, in characters (a CSR payload is a few KiB). */
export const MAX_JWS_MEMBER_CHARS = 128 * 1024;

/** EAB MAC algorithms and their hashes (RFC 8555 §7.3.4, RFC 7518 §3.2). */
const EAB_ALGS: Record<string, string> = { HS256: "sha256", HS384: "sha384", HS512: "sha512" };

const EC_CURVES: Record<string, { alg: AcmeAlg; bytes: number; node: string }> = {
  "P-256": { alg: "ES256", bytes: 32, node: "prime256v1" },
  "P-384": { alg: "ES384", bytes: 48, node: "secp384r1" },
  "P-521": { alg: "ES512", bytes: 66, node: "secp521r1" },
};
const ALG_HASH: Record<AcmeAlg, string | null> = { ES256: "sha256", ES384: "sha384", ES512: "sha512", RS256: "sha256", EdDSA: null };
/** JWK members that carry private or symmetric key material (RFC 7518 §6.2.2, §6.3.2, §6.4). */
const PRIVATE_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
/** RSA modulus bounds: RFC 8555 §6.2 leaves the floor to the CA; the ceiling bounds verification cost. */
const RSA_MIN_BITS = 2048;
const RSA_MAX_BITS = 8192;

/** Throws an AcmeJwsError. */
function fail(type: AcmeJwsErrorType, detail: string): never {
  throw new AcmeJwsError(type, detail);
}

// ---- base64url (RFC 7515 §2, RFC 4648 §5) ----

/** base64url without padding (RFC 7515 §2). */
export function base64url(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString("base64url");
}

/** Strict base64url decoding: only [A-Za-z0-9_-], no padding, canonical trailing bits; null otherwise. */
export function fromBase64url(s: string): Uint8Array | null {
  if (typeof s !== "string" || !/^[A-Za-z0-9_-]*$/.test(s) || s.length % 4 === 1) return null;
  const b = Buffer.from(s, "base64url");
  // Re-encoding catches non-zero unused bits in the last character, so each byte string has one spelling.
  return b.toString("base64url") === s ? new Uint8Array(b) : null;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Decodes a base64url member to JSON; undefined when not valid base64url, UTF-8 (RFC 7515 §7.2.1) or JSON. */
function decodeJsonMember(b64: string): { ok: true; value: unknown } | { ok: false } {
  const bytes = fromBase64url(b64);
  if (!bytes) return { ok: false };
  try {
    // RFC 7515 §5.2 step 3: JSON.parse keeps the lexically last of duplicate member names, which the RFC allows.
    return { ok: true, value: JSON.parse(utf8.decode(bytes)) };
  } catch {
    return { ok: false };
  }
}

/** A JSON object (not null, not an array, plain prototype). */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const has = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Structure shared by account JWS and EAB JWS: the flattened serialization with three members (RFC 7515 §7.2.2). */
function parseFlattened(body: unknown, what: string): Omit<ParsedJws, "header" | "key"> & { header: Record<string, unknown> } {
  let obj = body;
  if (typeof obj === "string") {
    try {
      obj = JSON.parse(obj);
    } catch {
      fail("malformed", `The ${what} is not valid JSON.`);
    }
  }
  if (!isPlainObject(obj)) return fail("malformed", `The ${what} must be a JSON object in the flattened JWS JSON serialization (RFC 8555 §6.2).`);
  // RFC 8555 §6.2: flattened only, no unprotected header, exactly one signature.
  const keys = Object.keys(obj);
  if (has(obj, "signatures")) fail("malformed", `The ${what} must use the flattened JWS serialization, not the general one (RFC 8555 §6.2).`);
  if (has(obj, "header")) fail("malformed", `The ${what} must not have an unprotected header (RFC 8555 §6.2).`);
  const extra = keys.filter((k) => k !== "protected" && k !== "payload" && k !== "signature");
  if (extra.length) fail("malformed", `The ${what} has unexpected members: ${extra.slice(0, 3).map((k) => JSON.stringify(k.slice(0, 40))).join(", ")}.`);
  const { protected: protectedB64, payload: payloadB64, signature: signatureB64 } = obj;
  for (const [name, v] of [["protected", protectedB64], ["payload", payloadB64], ["signature", signatureB64]] as const) {
    if (typeof v !== "string") fail("malformed", `The ${what} member "${name}" must be a string.`);
    if ((v as string).length > MAX_JWS_MEMBER_CHARS) fail("malformed", `The ${what} member "${name}" is too long.`);
    if (!fromBase64url(v as string)) fail("malformed", `The ${what} member "${name}" is not unpadded base64url (RFC 7515 §2).`);
  }
  const p = protectedB64 as string;
  const pl = payloadB64 as string;
  const s = signatureB64 as string;
  if (p === "") fail("malformed", `The ${what} has an empty protected header.`);
  if (s === "") fail("malformed", `The ${what} has an empty signature.`);
  const header = decodeJsonMember(p);
  if (!header.ok || !isPlainObject(header.value)) return fail("malformed", `The ${what} protected header is not a JSON object (RFC 7515 §4).`);
  let payload: unknown;
  if (pl !== "") {
    const decoded = decodeJsonMember(pl);
    // RFC 8555 §6.2: every ACME payload is a JSON object, or empty for POST-as-GET (§6.3).
    if (!decoded.ok || !isPlainObject(decoded.value)) fail("malformed", `The ${what} payload must be a JSON object or empty (RFC 8555 §6.3).`);
    payload = (decoded as { value: unknown }).value;
  }
  const h = header.value;
  // RFC 7515 §4.1.11: we understand no extensions, so any "crit" is refused; RFC 8555 §6.2 forbids RFC 7797 "b64".
  if (has(h, "crit")) fail("malformed", `The ${what} protected header must not carry "crit" (RFC 7515 §4.1.11).`);
  if (has(h, "b64")) fail("malformed", `The ${what} must not use the unencoded payload option (RFC 8555 §6.2).`);
  return { protectedB64: p, payloadB64: pl, signatureB64: s, header: h, payload, signingInput: new TextEncoder().encode(`${p}.${pl}`) };
}

/** Parses an ACME request body (RFC 8555 §6.2): flattened JWS, asymmetric alg, exactly one of jwk/kid, object or empty payload. */
export function parseJws(body: unknown): ParsedJws {
  const f = parseFlattened(body, "request body");
  const h = f.header;
  const alg = h.alg;
  if (typeof alg !== "string" || alg === "") fail("malformed", 'The JWS protected header must carry "alg" (RFC 8555 §6.2).');
  // RFC 8555 §6.2: "alg" MUST NOT be "none" nor a MAC; other unsupported algorithms are badSignatureAlgorithm.
  if (alg === "none" || /^HS\d+$/.test(alg as string)) fail("malformed", `The JWS "alg" must be an asymmetric signature algorithm, not ${JSON.stringify(alg)} (RFC 8555 §6.2).`);
  if (!(ACME_ALGS as readonly string[]).includes(alg as string)) {
    fail("badSignatureAlgorithm", `The JWS "alg" ${JSON.stringify((alg as string).slice(0, 20))} is not supported; use one of ${ACME_ALGS.join(", ")}.`);
  }
  // RFC 8555 §6.4: "url" MUST be present; §6.5: the caller answers badNonce for a missing or stale nonce.
  if (typeof h.url !== "string" || h.url === "") fail("malformed", 'The JWS protected header must carry a "url" string (RFC 8555 §6.4).');
  if (has(h, "nonce") && typeof h.nonce !== "string") fail("malformed", 'The JWS "nonce" must be a string (RFC 8555 §6.5).');
  // RFC 8555 §6.2: "jwk" and "kid" are mutually exclusive, and one is required.
  const hasJwk = has(h, "jwk");
  const hasKid = has(h, "kid");
  if (hasJwk === hasKid) fail("malformed", 'The JWS protected header must carry exactly one of "jwk" and "kid" (RFC 8555 §6.2).');
  let key: KeyObject | undefined;
  if (hasJwk) {
    if (!isPlainObject(h.jwk)) fail("malformed", 'The JWS "jwk" must be a JSON object (RFC 7515 §4.1.3).');
    key = jwkToKeyObject(h.jwk);
  } else if (typeof h.kid !== "string" || h.kid === "") {
    fail("malformed", 'The JWS "kid" must be the account URL (RFC 8555 §6.2).');
  }
  return { ...f, header: h as JwsProtected, key };
}

/** Reads one required base64url member of a JWK; badPublicKey when absent or not canonical base64url. */
function member(jwk: Record<string, unknown>, name: string): Uint8Array {
  const v = jwk[name];
  const b = typeof v === "string" ? fromBase64url(v) : null;
  if (!b || b.length === 0) return fail("badPublicKey", `The JWK member "${name}" must be a non-empty base64url string (RFC 7518 §6).`);
  return b;
}

/** A public KeyObject for an ACME account JWK (RFC 7517); refuses private members, weak RSA and other curves with badPublicKey. */
export function jwkToKeyObject(jwk: unknown): KeyObject {
  if (!isPlainObject(jwk)) return fail("badPublicKey", "The JWK must be a JSON object (RFC 7517 §4).");
  const priv = PRIVATE_MEMBERS.filter((m) => has(jwk, m));
  if (priv.length) fail("badPublicKey", `The JWK must be a public key; it carries private members ${priv.join(", ")}.`);
  const kty = jwk.kty;
  let key: Record<string, string>;
  // Only required members go to Node, each checked for the single canonical encoding, so one key has one thumbprint (RFC 7638 §3.3).
  if (kty === "EC") {
    const curve = typeof jwk.crv === "string" ? EC_CURVES[jwk.crv] : undefined;
    if (!curve || !has(EC_CURVES, jwk.crv as string)) return fail("badPublicKey", `The EC curve ${JSON.stringify(String(jwk.crv).slice(0, 20))} is not supported; use P-256, P-384 or P-521.`);
    // RFC 7518 §6.2.1.2/.3: coordinates are the full field size.
    if (member(jwk, "x").length !== curve.bytes || member(jwk, "y").length !== curve.bytes) fail("badPublicKey", `The ${jwk.crv as string} coordinates must be ${curve.bytes} bytes (RFC 7518 §6.2.1).`);
    key = { kty: "EC", crv: jwk.crv as string, x: jwk.x as string, y: jwk.y as string };
  } else if (kty === "RSA") {
    // RFC 7518 §6.3.1: minimal big-endian; requiring exactly "AQAB" gives e = 65537 one spelling.
    if (jwk.e !== "AQAB") fail("badPublicKey", "The RSA public exponent must be 65537.");
    if (member(jwk, "n")[0] === 0) fail("badPublicKey", "The RSA modulus must not have leading zero octets (RFC 7518 §6.3.1.1).");
    key = { kty: "RSA", n: jwk.n as string, e: "AQAB" };
  } else if (kty === "OKP") {
    if (jwk.crv !== "Ed25519") return fail("badPublicKey", `The OKP curve ${JSON.stringify(String(jwk.crv).slice(0, 20))} is not supported; use Ed25519 (RFC 8037 §2).`);
    if (member(jwk, "x").length !== 32) fail("badPublicKey", "The Ed25519 key must be 32 bytes (RFC 8037 §2).");
    key = { kty: "OKP", crv: "Ed25519", x: jwk.x as string };
  } else {
    return fail("badPublicKey", `The JWK key type ${JSON.stringify(String(kty).slice(0, 20))} is not supported; use EC, RSA or OKP.`);
  }
  let k: KeyObject;
  try {
    // Node checks that EC points lie on the curve.
    k = createPublicKey({ key, format: "jwk" });
  } catch {
    return fail("badPublicKey", "The JWK is not a valid public key.");
  }
  if (k.asymmetricKeyType === "rsa") {
    const bits = k.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) fail("badPublicKey", `The RSA key is ${bits} bits; ${RSA_MIN_BITS} to ${RSA_MAX_BITS} bits are accepted.`);
    if (k.asymmetricKeyDetails?.publicExponent !== 65537n) fail("badPublicKey", "The RSA public exponent must be 65537.");
  }
  return k;
}

/** The JWS "alg" that goes with a key (RFC 7518 §3.1, RFC 8037 §3.1), or null for keys ACME does not accept. */
export function algForKey(key: KeyObject): AcmeAlg | null {
  switch (key.asymmetricKeyType) {
    case "rsa":
      return "RS256";
    case "ed25519":
      return "EdDSA";
    case "ec": {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      return Object.values(EC_CURVES).find((c) => c.node === curve)?.alg ?? null;
    }
    default:
      return null;
  }
}

/** True when the JWS signature verifies with `key` and "alg" matches the key type; false (never a throw) otherwise. */
export function verifyJws(jws: ParsedJws, key: KeyObject): boolean {
  try {
    const alg = algForKey(key);
    if (alg === null || jws.header.alg !== alg) return false;
    const sig = fromBase64url(jws.signatureB64);
    if (!sig) return false;
    if (alg.startsWith("ES")) {
      // RFC 7518 §3.4: ECDSA signatures are R ‖ S, each the full field size.
      const curve = Object.values(EC_CURVES).find((c) => c.alg === alg)!;
      if (sig.length !== 2 * curve.bytes) return false;
      return verify(ALG_HASH[alg], jws.signingInput, { key, dsaEncoding: "ieee-p1363" }, sig);
    }
    return verify(ALG_HASH[alg], jws.signingInput, key, sig);
  } catch {
    return false;
  }
}

/** RFC 7638 §3: base64url SHA-256 of the required members in lexicographic order; badPublicKey for unsupported JWKs. */
export function jwkThumbprint(jwk: Record<string, unknown>): string {
  if (!isPlainObject(jwk)) return fail("badPublicKey", "The JWK must be a JSON object.");
  const names = jwk.kty === "EC" ? ["crv", "kty", "x", "y"] : jwk.kty === "RSA" ? ["e", "kty", "n"] : jwk.kty === "OKP" ? ["crv", "kty", "x"] : null;
  if (!names) return fail("badPublicKey", "The JWK key type must be EC, RSA or OKP (RFC 7638 §3.2).");
  const canonical: Record<string, string> = {};
  for (const n of names) {
    const v = jwk[n];
    if (typeof v !== "string") return fail("badPublicKey", `The JWK member "${n}" must be a string (RFC 7638 §3.2).`);
    canonical[n] = v;
  }
  // JSON.stringify keeps insertion order and adds no whitespace (RFC 7638 §3.3).
  return base64url(createHash("sha256").update(JSON.stringify(canonical), "utf8").digest());
}

/** Parses an externalAccountBinding JWS (RFC 8555 §7.3.4) without checking the MAC, so the caller can look up the key by `header.kid`. */
export function parseEab(eab: unknown): ParsedJws & { header: JwsProtected & { kid: string } } {
  const f = parseFlattened(eab, "externalAccountBinding");
  const h = f.header;
  if (typeof h.alg !== "string" || !has(EAB_ALGS, h.alg)) fail("malformed", 'The externalAccountBinding "alg" must be HS256, HS384 or HS512 (RFC 8555 §7.3.4).');
  if (typeof h.kid !== "string" || h.kid === "") fail("malformed", 'The externalAccountBinding must carry the key identifier in "kid" (RFC 8555 §7.3.4).');
  if (has(h, "jwk")) fail("malformed", 'The externalAccountBinding must not carry "jwk" (RFC 8555 §7.3.4).');
  if (has(h, "nonce")) fail("malformed", 'The externalAccountBinding must not carry "nonce" (RFC 8555 §7.3.4).');
  if (typeof h.url !== "string") fail("malformed", 'The externalAccountBinding must carry "url" (RFC 8555 §7.3.4).');
  if (f.payload === undefined) fail("malformed", "The externalAccountBinding payload must be the account JWK (RFC 8555 §7.3.4).");
  return { ...f, header: h as JwsProtected & { kid: string } };
}

/** Verifies External Account Binding (RFC 8555 §7.3.4): HMAC with `hmacKey`, url = newAccount URL, payload = the account key. */
export function verifyEab(eab: unknown, opts: { hmacKey: Uint8Array; accountJwk: Record<string, unknown>; url: string }): { keyId: string } {
  const jws = parseEab(eab);
  if (jws.header.url !== opts.url) fail("malformed", 'The externalAccountBinding "url" must be the newAccount URL (RFC 8555 §7.3.4).');
  if (opts.hmacKey.length === 0) fail("unauthorized", "The external account key is not usable.");
  const expected = createHmac(EAB_ALGS[jws.header.alg], opts.hmacKey).update(jws.signingInput).digest();
  const given = fromBase64url(jws.signatureB64)!;
  // timingSafeEqual needs equal lengths; the MAC length is public (it follows from alg).
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) fail("unauthorized", "The externalAccountBinding MAC does not verify.");
  const account = jwkThumbprint(opts.accountJwk);
  let bound: string;
  try {
    bound = jwkThumbprint(jws.payload as Record<string, unknown>);
  } catch {
    fail("malformed", "The externalAccountBinding payload is not a usable JWK (RFC 8555 §7.3.4).");
  }
  if (bound !== account) fail("unauthorized", "The externalAccountBinding payload is not the account key (RFC 8555 §7.3.4).");
  return { keyId: jws.header.kid };
}
