/**
 * PKCS#11 keys: generated inside a token (an HSM, or SoftHSM in tests) as sensitive,
 * non-extractable objects; only the public half and a CKA_ID leave it. The hash is computed in
 * Node and the token signs the digest (SoftHSM 2.6 has no CKM_ECDSA_SHA256), see STACK.md.
 */
import { createHash, createPublicKey, randomBytes, type JsonWebKey, type KeyObject } from "node:crypto";
import pkcs11js from "pkcs11js";
import { errors, StampError } from "../../errors.js";
import { algorithmParams, type KeyAlgorithm } from "../../pki/algorithms.js";
import { b64u, CURVE_JWK, CURVE_OID, DIGEST_INFO, ecdsaRawToDer, ecPoint, ulong } from "./pkcs11-encoding.js";
import { acquireModule, ckrName, codeOf, releaseModule, safely, SESSION_GONE, wrap, type PKCS11 } from "./pkcs11-module.js";
import type { KeyBackend, KeyRef, Signer } from "./signer.js";

type Handle = Buffer;

// PKCS#11 3.0 values that pkcs11js 2.1 (a 2.30 binding) does not name.
const CKK_EC_EDWARDS = 0x40;
const CKM_EC_EDWARDS_KEY_PAIR_GEN = 0x1055;
const CKM_EDDSA = 0x1057;

const MAX_LABEL = 200;
const SIGNATURE_BUFFER = 1024; // RSA-4096 needs 512 bytes, P-521 raw r‖s 132

/** Where the token is and how to log in. */
export interface Pkcs11Options {
  modulePath: string;
  tokenLabel: string;
  pin: string;
  /** Sessions opened at most (one per concurrent operation); default 4. */
  maxSessions?: number;
}

/** The PKCS#11 backend; close() logs out and unloads the module. */
export interface Pkcs11Keys extends KeyBackend {
  close(): void;
}

/** Opens the token labelled `tokenLabel` in the module at `modulePath` and logs in as user. */
export function createPkcs11Keys(opts: Pkcs11Options): Pkcs11Keys {
  const { modulePath, tokenLabel, pin } = opts;
  const maxSessions = Math.max(1, opts.maxSessions ?? 4);
  const p = acquireModule(modulePath);
  let closed = false;
  const idle: Handle[] = [];
  const waiters: Array<{ resolve: (s: Handle) => void; reject: (e: unknown) => void }> = [];
  let open = 0;
  const signers = new Map<string, Signer>();

  let slot: Handle;
  let mechanisms: Set<number>;
  try {
    slot = findSlot(p, tokenLabel);
    mechanisms = new Set(p.C_GetMechanismList(slot));
    idle.push(openSession());
    login(idle[0]!);
  } catch (e) {
    for (const s of idle) safely(() => p.C_CloseSession(s));
    releaseModule(modulePath);
    throw e instanceof StampError ? e : wrap(e, `opening PKCS#11 token "${tokenLabel}"`);
  }

  function openSession(): Handle {
    const s = p.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    open++;
    return s;
  }

  function login(session: Handle): void {
    try {
      // Login state belongs to the application, not the session: once covers every session.
      p.C_Login(session, pkcs11js.CKU_USER, pin);
    } catch (e) {
      if (codeOf(e) === pkcs11js.CKR_USER_ALREADY_LOGGED_IN) return;
      throw errors.unavailable(`PKCS#11 login to token "${tokenLabel}" failed (${ckrName(codeOf(e))})`);
    }
  }

  async function acquire(): Promise<Handle> {
    if (closed) throw errors.unavailable("the PKCS#11 key backend is closed");
    const s = idle.pop();
    if (s) return s;
    if (open < maxSessions) return openSession();
    return new Promise<Handle>((resolve, reject) => waiters.push({ resolve, reject }));
  }

  function release(s: Handle, broken: boolean): void {
    if (broken || closed) {
      open--;
      safely(() => p.C_CloseSession(s));
      if (closed) {
        // close() ran while this operation was in flight: the last one out unloads the module.
        if (open === 0) releaseModule(modulePath);
        return;
      }
      const w = waiters.shift();
      if (w) {
        try {
          w.resolve(openSession());
        } catch (e) {
          w.reject(wrap(e, "opening a PKCS#11 session"));
        }
      }
      return;
    }
    const w = waiters.shift();
    if (w) w.resolve(s);
    else idle.push(s);
  }

  /** Runs `fn` with a session of its own; re-logs in once if the token forgot the login. */
  async function withSession<T>(what: string, fn: (s: Handle) => Promise<T> | T): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const s = await acquire();
      let broken = false;
      try {
        return await fn(s);
      } catch (e) {
        const code = codeOf(e);
        broken = SESSION_GONE.has(code);
        if (code === pkcs11js.CKR_USER_NOT_LOGGED_IN && attempt === 0) {
          login(s);
          continue;
        }
        throw e instanceof StampError ? e : wrap(e, what);
      } finally {
        release(s, broken);
      }
    }
  }

  function need(mech: number, alg: KeyAlgorithm): void {
    if (mechanisms.has(mech)) return;
    if (alg === "ED25519") throw errors.badRequest("ED25519 keys are not supported by this PKCS#11 token");
    throw errors.badRequest(`${alg} keys are not supported by this PKCS#11 token (mechanism 0x${mech.toString(16)} missing)`);
  }

  function findOne(s: Handle, cls: number, id: Buffer): Handle | null {
    p.C_FindObjectsInit(s, [
      { type: pkcs11js.CKA_CLASS, value: cls },
      { type: pkcs11js.CKA_ID, value: id },
    ]);
    let found: Handle[];
    try {
      found = p.C_FindObjects(s, 2);
    } finally {
      p.C_FindObjectsFinal(s);
    }
    if (found.length > 1) throw errors.internal(`PKCS#11 token "${tokenLabel}" holds several keys with CKA_ID ${id.toString("hex")}`);
    return found[0] ?? null;
  }

  /** Builds the SPKI of a public key object and checks it is a key of `alg`. */
  function publicKeyOf(s: Handle, pub: Handle, alg: KeyAlgorithm): KeyObject {
    const prm = algorithmParams(alg);
    const keyType = ulong(attr(s, pub, pkcs11js.CKA_KEY_TYPE));
    let jwk: JsonWebKey;
    if (prm.nodeType === "rsa") {
      if (keyType !== pkcs11js.CKK_RSA) throw mismatch(alg);
      jwk = { kty: "RSA", n: b64u(attr(s, pub, pkcs11js.CKA_MODULUS)), e: b64u(attr(s, pub, pkcs11js.CKA_PUBLIC_EXPONENT)) };
    } else {
      const curve = prm.namedCurve ?? "ed25519";
      if (keyType !== (prm.nodeType === "ec" ? pkcs11js.CKK_EC : CKK_EC_EDWARDS)) throw mismatch(alg);
      if (!attr(s, pub, pkcs11js.CKA_EC_PARAMS).equals(CURVE_OID[curve]!)) throw mismatch(alg);
      const point = ecPoint(attr(s, pub, pkcs11js.CKA_EC_POINT), prm.nodeType === "ec" ? 1 + 2 * CURVE_JWK[curve]!.size : 32);
      if (prm.nodeType === "ec") {
        const { crv, size } = CURVE_JWK[curve]!;
        if (point[0] !== 0x04) throw errors.internal("PKCS#11 token returned a compressed EC point");
        jwk = { kty: "EC", crv, x: b64u(point.subarray(1, 1 + size), false), y: b64u(point.subarray(1 + size), false) };
      } else {
        jwk = { kty: "OKP", crv: "Ed25519", x: b64u(point, false) };
      }
    }
    const key = createPublicKey({ key: jwk, format: "jwk" });
    if (prm.nodeType === "rsa" && key.asymmetricKeyDetails?.modulusLength !== prm.modulusLength) throw mismatch(alg);
    return key;
  }

  function attr(s: Handle, obj: Handle, type: number): Buffer {
    const [a] = p.C_GetAttributeValue(s, obj, [{ type }]);
    if (!a || !Buffer.isBuffer(a.value)) throw errors.internal(`PKCS#11 attribute 0x${type.toString(16)} missing`);
    return a.value;
  }

  function mismatch(alg: KeyAlgorithm): StampError {
    return errors.internal(`the PKCS#11 key is not a ${alg} key`);
  }

  return {
    async generate(alg, label) {
      if (typeof label !== "string" || label.length === 0 || label.length > MAX_LABEL) {
        throw errors.badRequest(`key label must be 1 to ${MAX_LABEL} characters`);
      }
      const prm = algorithmParams(alg);
      const id = randomBytes(16);
      const common = [
        { type: pkcs11js.CKA_TOKEN, value: true },
        { type: pkcs11js.CKA_ID, value: id },
        { type: pkcs11js.CKA_LABEL, value: label },
      ];
      let mech: number;
      let keyType: number;
      let pubExtra: { type: number; value: number | Buffer }[];
      if (prm.nodeType === "rsa") {
        [mech, keyType] = [pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN, pkcs11js.CKK_RSA];
        pubExtra = [
          { type: pkcs11js.CKA_MODULUS_BITS, value: prm.modulusLength! },
          { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) },
        ];
      } else {
        [mech, keyType] = prm.nodeType === "ec" ? [pkcs11js.CKM_EC_KEY_PAIR_GEN, pkcs11js.CKK_EC] : [CKM_EC_EDWARDS_KEY_PAIR_GEN, CKK_EC_EDWARDS];
        pubExtra = [{ type: pkcs11js.CKA_EC_PARAMS, value: CURVE_OID[prm.namedCurve ?? "ed25519"]! }];
        need(prm.nodeType === "ec" ? pkcs11js.CKM_ECDSA : CKM_EDDSA, alg);
      }
      need(mech, alg);
      if (prm.nodeType === "rsa") need(pkcs11js.CKM_RSA_PKCS, alg);
      const pubTmpl = [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
        ...common,
        { type: pkcs11js.CKA_PRIVATE, value: false },
        { type: pkcs11js.CKA_VERIFY, value: true },
        { type: pkcs11js.CKA_ENCRYPT, value: false },
        { type: pkcs11js.CKA_WRAP, value: false },
        ...pubExtra,
      ];
      // SoftHSM grants decrypt/unwrap/derive unless told otherwise (STACK.md): a CA key only signs.
      const privTmpl = [
        { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
        { type: pkcs11js.CKA_KEY_TYPE, value: keyType },
        ...common,
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_DECRYPT, value: false },
        { type: pkcs11js.CKA_UNWRAP, value: false },
        { type: pkcs11js.CKA_DERIVE, value: false },
      ];
      return withSession(`generating a ${alg} key`, async (s) => {
        // The async call runs on a native worker thread: RSA-4096 generation takes seconds.
        const pair = await p.C_GenerateKeyPairAsync(s, { mechanism: mech }, pubTmpl, privTmpl);
        try {
          const spki = new Uint8Array(publicKeyOf(s, pair.publicKey, alg).export({ type: "spki", format: "der" }));
          const ref: KeyRef = { backend: "pkcs11", tokenLabel, id: id.toString("hex") };
          return { ref, spki };
        } catch (e) {
          // Do not leave an unusable key pair behind on the token.
          safely(() => p.C_DestroyObject(s, pair.privateKey));
          safely(() => p.C_DestroyObject(s, pair.publicKey));
          throw e;
        }
      });
    },

    async signer(ref, alg) {
      if (ref.backend !== "pkcs11") throw errors.internal(`key reference for backend "${ref.backend}" given to the PKCS#11 backend`);
      if (ref.tokenLabel !== tokenLabel) {
        throw errors.unavailable(`the key is on PKCS#11 token "${ref.tokenLabel}", but this server uses token "${tokenLabel}"`);
      }
      if (!/^([0-9a-f]{2}){1,64}$/.test(ref.id)) throw errors.internal("PKCS#11 key reference has an invalid id");
      const cacheKey = `${ref.id}:${alg}`;
      const cached = signers.get(cacheKey);
      if (cached) return cached;
      const id = Buffer.from(ref.id, "hex");
      const prm = algorithmParams(alg);
      const { priv, spki } = await withSession(`loading PKCS#11 key ${ref.id}`, (s) => {
        const priv = findOne(s, pkcs11js.CKO_PRIVATE_KEY, id);
        const pub = findOne(s, pkcs11js.CKO_PUBLIC_KEY, id);
        if (!priv || !pub) throw errors.internal(`PKCS#11 key ${ref.id} was not found on token "${tokenLabel}"`);
        const spki = new Uint8Array(publicKeyOf(s, pub, alg).export({ type: "spki", format: "der" }));
        return { priv, spki };
      });
      const signRaw = async (mechanism: number, input: Buffer) => {
        const sig = await withSession(`signing with PKCS#11 key ${ref.id}`, async (s) => {
          p.C_SignInit(s, { mechanism }, priv);
          return p.C_SignAsync(s, input, Buffer.alloc(SIGNATURE_BUFFER));
        });
        // RFC 3279 §2.2.3: X.509 carries ECDSA as a DER SEQUENCE { r, s }; tokens return r‖s.
        return new Uint8Array(prm.nodeType === "ec" ? ecdsaRawToDer(sig) : sig);
      };
      const signDigest = (digest: Buffer) =>
        prm.nodeType === "rsa" ? signRaw(pkcs11js.CKM_RSA_PKCS, Buffer.concat([DIGEST_INFO[prm.hash!]!, digest])) : signRaw(pkcs11js.CKM_ECDSA, digest);
      const signer: Signer = {
        keyAlgorithm: alg,
        spki,
        async sign(data) {
          // RFC 8032 PureEdDSA signs the message itself (CKM_EDDSA without parameters).
          if (prm.nodeType === "ed25519") return signRaw(CKM_EDDSA, Buffer.from(data));
          return signDigest(createHash(prm.hash!).update(data).digest());
        },
        ...(prm.nodeType === "ed25519"
          ? {}
          : {
              signParts() {
                // The token signs a digest anyway (RSA: DigestInfo with CKM_RSA_PKCS; EC: CKM_ECDSA), so the parts are hashed here.
                const h = createHash(prm.hash!);
                return { update: (part: Uint8Array) => void h.update(part), sign: () => signDigest(h.digest()) };
              },
            }),
      };
      signers.set(cacheKey, signer);
      return signer;
    },

    close() {
      if (closed) return;
      closed = true;
      for (const w of waiters.splice(0)) w.reject(errors.unavailable("the PKCS#11 key backend is closed"));
      for (const s of idle.splice(0)) {
        open--;
        safely(() => p.C_CloseSession(s));
      }
      signers.clear();
      // Sessions still in use close themselves in release(); the last one unloads the module.
      if (open === 0) releaseModule(modulePath);
    },
  };
}

function findSlot(p: PKCS11, label: string): Handle {
  const found: string[] = [];
  const matches: Handle[] = [];
  for (const slot of p.C_GetSlotList(true)) {
    const tokenLabel = p.C_GetTokenInfo(slot).label.trimEnd();
    found.push(tokenLabel);
    if (tokenLabel === label) matches.push(slot);
  }
  if (matches.length > 1) throw errors.unavailable(`several PKCS#11 tokens are labelled "${label}"`);
  if (!matches[0]) {
    const names = found.filter((n) => n.length > 0).map((n) => `"${n}"`);
    throw errors.unavailable(`PKCS#11 token "${label}" was not found (tokens present: ${names.join(", ") || "none"})`);
  }
  return matches[0];
}
