/** PEM (RFC 7468) encoding and decoding, and the "PEM, DER or base64" input most endpoints accept. */
import { errors } from "../errors.js";

/** Encodes DER as a PEM block with 64-character lines and a trailing newline (RFC 7468 §2). */
export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString("base64");
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join("\n")}${lines.length ? "\n" : ""}-----END ${label}-----\n`;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/** Decodes strict base64 (or base64url) after removing whitespace; null when it is not base64. */
function decodeBase64(text: string): Uint8Array | null {
  const s = text.replace(/\s+/g, "");
  if (BASE64.test(s) && s.length % 4 === 0) return new Uint8Array(Buffer.from(s, "base64"));
  if (BASE64URL.test(s) && s.length % 4 !== 1) return new Uint8Array(Buffer.from(s, "base64url"));
  return null;
}

/**
 * Every PEM block in `text`, in order (RFC 7468 §2: text between blocks is ignored; CRLF and
 * surrounding whitespace are tolerated). A block whose body is not base64 is a bad request.
 */
export function pemBlocks(text: string): { label: string; der: Uint8Array }[] {
  const out: { label: string; der: Uint8Array }[] = [];
  const begin = /-----BEGIN ([A-Z0-9][A-Z0-9 #-]{0,63})-----/g;
  let m: RegExpExecArray | null;
  while ((m = begin.exec(text))) {
    const label = m[1];
    const endMarker = `-----END ${label}-----`;
    const endAt = text.indexOf(endMarker, begin.lastIndex);
    if (endAt < 0) throw errors.badRequest(`The PEM block "${label}" has no END line.`);
    const der = decodeBase64(text.slice(begin.lastIndex, endAt));
    if (!der || der.length === 0) throw errors.badRequest(`The PEM block "${label}" does not contain base64 data.`);
    out.push({ label, der });
    begin.lastIndex = endAt + endMarker.length;
  }
  return out;
}

/**
 * DER bytes from PEM with `label` (or one of `aliases`), raw DER, or base64 DER text.
 * The first matching PEM block wins; anything else is a bad request naming what was expected.
 * With `single`, the PEM must hold exactly one block and nothing but whitespace after it, so a
 * second object (two CSRs pasted together) is refused rather than silently ignored.
 */
export function derFromPemOrDer(input: string | Uint8Array, label: string, aliases: readonly string[] = [], opts: { single?: boolean } = {}): Uint8Array {
  const what = label.toLowerCase();
  let text: string;
  if (typeof input === "string") {
    text = input;
  } else {
    // A DER SEQUENCE starts with 0x30; anything else is treated as text (PEM or base64 as bytes).
    if (input.length > 0 && input[0] === 0x30) return input;
    text = Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString("latin1");
  }
  if (text.trim() === "") throw errors.badRequest(`The ${what} is empty.`);
  if (text.includes("-----BEGIN ")) {
    const blocks = pemBlocks(text);
    const found = blocks.find((b) => b.label === label || aliases.includes(b.label));
    if (!found) {
      const labels = blocks.map((b) => `"${b.label}"`).join(", ") || "none";
      throw errors.badRequest(`Expected a PEM block labelled "${label}", found ${labels}.`);
    }
    if (opts.single) {
      if (blocks.length > 1) throw errors.badRequest(`Expected one PEM block, found ${blocks.length}; send one ${what} at a time.`);
      const after = text.slice(text.lastIndexOf("-----END ") + 9).replace(/^[A-Z0-9 #-]*-----/, "");
      if (after.trim() !== "") throw errors.badRequest(`Unexpected data after the PEM block's END line; send only the ${what}.`);
    }
    return found.der;
  }
  const der = decodeBase64(text);
  if (!der || der.length === 0 || der[0] !== 0x30) {
    throw errors.badRequest(`The ${what} must be PEM ("-----BEGIN ${label}-----"), DER, or base64-encoded DER.`);
  }
  return der;
}
