/**
 * PKCS#12 (RFC 7292) writer in the form OpenSSL 3 writes by default: certificates in a
 * PBES2-encrypted SafeContents, the key in a PBES2 pkcs8ShroudedKeyBag (PBKDF2-HMAC-SHA256 +
 * AES-256-CBC, RFC 8018), localKeyId on the key and leaf bags, and an HMAC-SHA256 MAC keyed by
 * the PKCS#12 KDF (RFC 7292 Appendix B). Pure: salts and IVs come from the injected `random`.
 */
import { createCipheriv, createHash, createHmac, createPrivateKey, createPublicKey, pbkdf2Sync } from "node:crypto";
import { errors } from "../errors.js";
import { TAG, childrenOf, concat, derNull, derOctetString, derOid, derSmallInt, raw, readRoot, seq, setOf, tlv } from "./der.js";

/** What goes into a PKCS#12 file. */
export interface Pkcs12Input {
  /** The leaf certificate DER. */
  certificate: Uint8Array;
  /** Issuer certificates DER, leaf's issuer first. */
  chain: Uint8Array[];
  /** The leaf's private key as PKCS#8 PrivateKeyInfo DER (RFC 5208). */
  privateKeyPkcs8: Uint8Array;
  password: string;
  /** friendlyName attribute on the key and leaf bags (RFC 7292 §4.2, PKCS #9). */
  friendlyName?: string;
  /** Cryptographically random bytes (injected; house rule 11). */
  random: (n: number) => Uint8Array;
  /** PBKDF2 and MAC iteration count; default 10,000 (OpenSSL 3 uses 2,048, NIST SP 800-132 asks for more). */
  iterations?: number;
}

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  pkcs8ShroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  friendlyName: "1.2.840.113549.1.9.20",
  localKeyId: "1.2.840.113549.1.9.21",
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacWithSha256: "1.2.840.113549.2.9",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
  sha256: "2.16.840.1.101.3.4.2.1",
} as const;

/** Default iteration count for PBKDF2 and the MAC KDF. */
export const PKCS12_DEFAULT_ITERATIONS = 10_000;
const SALT_BYTES = 16;
/** Upper bound so a caller cannot make the server spin (PBKDF2 and the MAC KDF each run this many rounds). */
const MAX_ITERATIONS = 1_000_000;

/** The password as a PKCS#12 BMPString: UTF-16BE followed by two zero bytes (RFC 7292 Appendix B.1). */
function bmpPassword(password: string): Uint8Array {
  return new Uint8Array(Buffer.concat([Buffer.from(password, "utf16le").swap16(), Buffer.alloc(2)]));
}

/**
 * The PKCS#12 key derivation function (RFC 7292 Appendix B.2) with SHA-256 (u = 32, v = 64):
 * `id` 1 derives keys, 2 IVs, 3 MAC keys; `password` is the BMPString form.
 */
export function pkcs12Kdf(password: Uint8Array, salt: Uint8Array, id: 1 | 2 | 3, iterations: number, length: number): Uint8Array {
  const u = 32;
  const v = 64;
  const fill = (src: Uint8Array) => {
    const out = new Uint8Array(src.length === 0 ? 0 : v * Math.ceil(src.length / v));
    for (let i = 0; i < out.length; i++) out[i] = src[i % src.length];
    return out;
  };
  const D = new Uint8Array(v).fill(id);
  const I = concat([fill(salt), fill(password)]);
  const blocks: Uint8Array[] = [];
  for (let got = 0; got < length; got += u) {
    let A = createHash("sha256").update(D).update(I).digest();
    for (let r = 1; r < iterations; r++) A = createHash("sha256").update(A).digest();
    blocks.push(new Uint8Array(A));
    // B = A repeated to v bytes; each v-byte block of I becomes (I_j + B + 1) mod 2^(8v).
    const B = fill(A);
    for (let j = 0; j < I.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = I[j + k] + B[k] + carry;
        I[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return concat(blocks).subarray(0, length);
}

/** Encrypts with PBES2 (RFC 8018 §6.2): PBKDF2-HMAC-SHA256 over the UTF-8 password (as OpenSSL does) and AES-256-CBC; returns the AlgorithmIdentifier and ciphertext. */
function pbes2Encrypt(plain: Uint8Array, password: string, iterations: number, random: (n: number) => Uint8Array): { algId: Uint8Array; ciphertext: Uint8Array } {
  const salt = takeRandom(random, SALT_BYTES);
  const iv = takeRandom(random, 16);
  const key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const cipher = createCipheriv("aes-256-cbc", key, iv); // PKCS#7 padding (RFC 8018 §6.2.1 via RFC 5652 §6.3)
  const ciphertext = new Uint8Array(Buffer.concat([cipher.update(plain), cipher.final()]));
  // PBKDF2-params (RFC 8018 Appendix A.2): salt, iterationCount, keyLength omitted (fixed by AES-256), prf hmacWithSHA256.
  const kdf = seq(derOid(OID.pbkdf2), seq(derOctetString(salt), derSmallInt(iterations), seq(derOid(OID.hmacWithSha256), derNull())));
  const algId = seq(derOid(OID.pbes2), seq(kdf, seq(derOid(OID.aes256Cbc), derOctetString(iv))));
  return { algId, ciphertext };
}

/** Calls the injected random source and checks it returned what was asked for. */
function takeRandom(random: (n: number) => Uint8Array, n: number): Uint8Array {
  const b = random(n);
  if (!(b instanceof Uint8Array) || b.length !== n) throw errors.internal(`The random source returned ${b?.length} bytes instead of ${n}.`);
  return b;
}

/** PKCS12Attribute (RFC 7292 §4.2): SEQUENCE { attrId, attrValues SET }. */
function attribute(oid: string, value: Uint8Array): Uint8Array {
  return seq(derOid(oid), setOf(value));
}

/** bagAttributes for the key and the leaf: friendlyName (BMPString, PKCS #9 §5.5.1) and localKeyId (OCTET STRING). */
function bagAttributes(localKeyId: Uint8Array, friendlyName: string | undefined): Uint8Array {
  const attrs = [attribute(OID.localKeyId, derOctetString(localKeyId))];
  if (friendlyName !== undefined) attrs.push(attribute(OID.friendlyName, tlv(0x1e, new Uint8Array(Buffer.from(friendlyName, "utf16le").swap16()))));
  return setOf(...attrs);
}

/** SafeBag (RFC 7292 §4.2): bagId, [0] EXPLICIT bagValue, optional attributes. */
function safeBag(oid: string, value: Uint8Array, attrs?: Uint8Array): Uint8Array {
  return seq(derOid(oid), tlv(0xa0, value), ...(attrs ? [attrs] : []));
}

/** Checks that the input certificates are DER SEQUENCEs and the key belongs to the certificate. */
function checkInput(input: Pkcs12Input, iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_ITERATIONS) {
    throw errors.badRequest(`The PKCS#12 iteration count must be an integer from 1 to ${MAX_ITERATIONS}.`);
  }
  let spki: Uint8Array;
  try {
    for (const c of [input.certificate, ...input.chain]) readRoot(c, TAG.SEQUENCE);
    const tbs = childrenOf(input.certificate, readRoot(input.certificate, TAG.SEQUENCE), TAG.SEQUENCE)[0];
    const fields = childrenOf(input.certificate, tbs, TAG.SEQUENCE);
    // RFC 5280 §4.1: subjectPublicKeyInfo is the 7th field with an explicit version, the 6th without.
    spki = raw(input.certificate, fields[fields[0].tag === 0xa0 ? 6 : 5]);
  } catch (e) {
    throw errors.badRequest(`The certificate for the PKCS#12 file is not valid DER: ${(e as Error).message}.`);
  }
  let matches: boolean;
  try {
    const priv = createPrivateKey({ key: Buffer.from(input.privateKeyPkcs8), format: "der", type: "pkcs8" });
    matches = createPublicKey(priv).equals(createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }));
  } catch (e) {
    throw errors.badRequest(`The private key for the PKCS#12 file could not be read as PKCS#8: ${(e as Error).message}.`);
  }
  if (!matches) throw errors.badRequest("The private key does not belong to the certificate.");
}

/** Builds a password-protected PKCS#12 PFX (RFC 7292 §4) holding the certificate, its chain and its private key. */
export function buildPkcs12(input: Pkcs12Input): Uint8Array {
  const iterations = input.iterations ?? PKCS12_DEFAULT_ITERATIONS;
  checkInput(input, iterations);
  const { password, random } = input;
  // localKeyId ties the key to its certificate: SHA-1 of the leaf, as OpenSSL writes it.
  const localKeyId = new Uint8Array(createHash("sha1").update(input.certificate).digest());
  const certBag = (der: Uint8Array) => seq(derOid(OID.x509Certificate), tlv(0xa0, derOctetString(der))); // CertBag (RFC 7292 §4.2.3)

  // Certificates: SafeContents inside EncryptedData (RFC 5652 §8) with PBES2.
  const certContents = seq(
    safeBag(OID.certBag, certBag(input.certificate), bagAttributes(localKeyId, input.friendlyName)),
    ...input.chain.map((c) => safeBag(OID.certBag, certBag(c))),
  );
  const certEnc = pbes2Encrypt(certContents, password, iterations, random);
  const certInfo = seq(
    derOid(OID.encryptedData),
    tlv(0xa0, seq(derSmallInt(0), seq(derOid(OID.data), certEnc.algId, tlv(0x80, certEnc.ciphertext)))),
  );

  // Key: pkcs8ShroudedKeyBag holding an EncryptedPrivateKeyInfo (RFC 5208 §6), in a plain id-data SafeContents.
  const keyEnc = pbes2Encrypt(input.privateKeyPkcs8, password, iterations, random);
  const keyContents = seq(safeBag(OID.pkcs8ShroudedKeyBag, seq(keyEnc.algId, derOctetString(keyEnc.ciphertext)), bagAttributes(localKeyId, input.friendlyName)));
  const keyInfo = seq(derOid(OID.data), tlv(0xa0, derOctetString(keyContents)));

  // AuthenticatedSafe (RFC 7292 §4.1), MAC'd as the content octets of the outer id-data.
  const authSafe = seq(certInfo, keyInfo);
  const macSalt = takeRandom(random, SALT_BYTES);
  const macKey = pkcs12Kdf(bmpPassword(password), macSalt, 3, iterations, 32);
  const mac = new Uint8Array(createHmac("sha256", macKey).update(authSafe).digest());
  const macData = seq(seq(seq(derOid(OID.sha256), derNull()), derOctetString(mac)), derOctetString(macSalt), derSmallInt(iterations));
  return seq(derSmallInt(3), seq(derOid(OID.data), tlv(0xa0, derOctetString(authSafe))), macData);
}
