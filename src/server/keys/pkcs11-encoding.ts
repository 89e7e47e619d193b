/**
 * Byte-level conversions between what a PKCS#11 token returns and what X.509 and Node expect:
 * curve OIDs, DigestInfo prefixes, EC points, raw ECDSA signatures, CK_ULONG values.
 */
import { errors } from "../../errors.js";

/** DER OIDs for CKA_EC_PARAMS (RFC 5480 §2.1.1.1 namedCurve; RFC 8410 §3 for Ed25519). */
export const CURVE_OID: Record<string, Buffer> = {
  prime256v1: Buffer.from("06082a8648ce3d030107", "hex"),
  secp384r1: Buffer.from("06052b81040022", "hex"),
  secp521r1: Buffer.from("06052b81040023", "hex"),
  ed25519: Buffer.from("06032b6570", "hex"),
};
/** JWK curve names and coordinate sizes, to turn a token's EC point into a Node public key. */
export const CURVE_JWK: Record<string, { crv: string; size: number }> = {
  prime256v1: { crv: "P-256", size: 32 },
  secp384r1: { crv: "P-384", size: 48 },
  secp521r1: { crv: "P-521", size: 66 },
};
/** DER DigestInfo prefixes for PKCS#1 v1.5 signatures (RFC 8017 §9.2, note 1). */
export const DIGEST_INFO: Record<string, Buffer> = {
  sha256: Buffer.from("3031300d060960864801650304020105000420", "hex"),
  sha384: Buffer.from("3041300d060960864801650304020205000430", "hex"),
  sha512: Buffer.from("3051300d060960864801650304020305000440", "hex"),
};

/** Converts a raw r‖s ECDSA signature to a DER Ecdsa-Sig-Value. */
export function ecdsaRawToDer(raw: Uint8Array): Buffer {
  if (raw.length === 0 || raw.length % 2 !== 0) throw errors.internal("PKCS#11 token returned a malformed ECDSA signature");
  const half = raw.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    let v = Buffer.from(b.subarray(i));
    if (v[0]! & 0x80) v = Buffer.concat([Buffer.from([0]), v]);
    return Buffer.concat([Buffer.from([0x02]), derLength(v.length), v]);
  };
  const body = Buffer.concat([int(raw.subarray(0, half)), int(raw.subarray(half))]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  if (n < 0x100) return Buffer.from([0x81, n]);
  return Buffer.from([0x82, n >> 8, n & 0xff]);
}

/** CKA_EC_POINT is a DER OCTET STRING wrapping the point (PKCS#11 2.40 §2.3.3); accept a bare point too. */
export function ecPoint(v: Buffer, expected: number): Buffer {
  if (v.length === expected) return v;
  if (v[0] === 0x04) {
    let len = v[1]!;
    let off = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = (len << 8) | v[2 + i]!;
      off = 2 + n;
    }
    if (off + len === v.length && len === expected) return v.subarray(off);
  }
  throw errors.internal("PKCS#11 token returned an EC point of unexpected size");
}

export function b64u(v: Buffer, stripZeros = true): string {
  let i = 0;
  if (stripZeros) while (i < v.length - 1 && v[i] === 0) i++;
  return v.subarray(i).toString("base64url");
}

/** Reads a CK_ULONG attribute: native byte order, which is little-endian on the hosts we run (x86-64, arm64). */
export function ulong(v: Buffer): number {
  if (v.length === 8) return Number(v.readBigUInt64LE(0));
  if (v.length === 4) return v.readUInt32LE(0);
  throw errors.internal("PKCS#11 token returned a malformed CK_ULONG");
}
