/** Distinguished names (RFC 5280 §4.1.2.4): encode from fields, decode to fields and text, validate. */
import type { Violation } from "../errors.js";
import { errors } from "../errors.js";
import { TAG, childrenOf, content, derOid, derString, readRoot, readOid, seq, setOf, type Tlv } from "./der.js";

/** The name fields Stamp lets callers set. */
export interface DnFields {
  commonName: string;
  organization?: string;
  ou?: string;
  country?: string;
  province?: string;
  locality?: string;
}

/** Attribute types we know by name: OID → [field key, RFC 4514 short name]. */
const ATTRS: Record<string, [string, string]> = {
  "2.5.4.3": ["commonName", "CN"],
  "2.5.4.6": ["country", "C"],
  "2.5.4.7": ["locality", "L"],
  "2.5.4.8": ["province", "ST"],
  "2.5.4.10": ["organization", "O"],
  "2.5.4.11": ["ou", "OU"],
  "2.5.4.5": ["serialNumber", "serialNumber"],
  "2.5.4.9": ["street", "STREET"],
  "2.5.4.4": ["surname", "SN"],
  "2.5.4.42": ["givenName", "GN"],
  "2.5.4.12": ["title", "title"],
  "2.5.4.97": ["organizationIdentifier", "organizationIdentifier"],
  "0.9.2342.19200300.100.1.25": ["domainComponent", "DC"],
  "0.9.2342.19200300.100.1.1": ["uid", "UID"],
  "1.2.840.113549.1.9.1": ["emailAddress", "emailAddress"],
};

/** RDN order written by encodeName: C, ST, L, O, OU, CN (most general first). */
const ORDER: [keyof DnFields, string][] = [
  ["country", "2.5.4.6"],
  ["province", "2.5.4.8"],
  ["locality", "2.5.4.7"],
  ["organization", "2.5.4.10"],
  ["ou", "2.5.4.11"],
  ["commonName", "2.5.4.3"],
];

/** Upper bounds in characters; RFC 5280 Appendix A allows 128 for ST and L, Stamp keeps all at 64. */
const MAX = 64;
// C0 controls, DEL and C1 controls (which include NUL).
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** Every rule a set of name fields breaks; fields are reported as `${fieldPrefix}.${name}`. */
export function validateDnFields(f: DnFields, fieldPrefix: string): Violation[] {
  const out: Violation[] = [];
  const at = (k: string) => (fieldPrefix ? `${fieldPrefix}.${k}` : k);
  for (const [key] of ORDER) {
    const v = f[key];
    if (v === undefined && key !== "commonName") continue;
    if (typeof v !== "string") {
      out.push({ field: at(key), code: "required", message: `${key} is required.`, value: v });
      continue;
    }
    if (key === "country") {
      // RFC 5280 Appendix A: CountryName is a PrintableString of ISO 3166 alpha-2.
      if (!/^[A-Za-z]{2}$/.test(v)) out.push({ field: at(key), code: "invalid_country", message: "country must be exactly 2 ASCII letters (ISO 3166).", value: v });
      continue;
    }
    const len = [...v].length;
    if (len === 0) out.push({ field: at(key), code: "empty", message: `${key} must not be empty.`, value: v });
    else if (len > MAX) out.push({ field: at(key), code: "too_long", message: `${key} must be at most ${MAX} characters.`, value: v });
    if (CONTROL.test(v)) out.push({ field: at(key), code: "control_character", message: `${key} must not contain control characters.`, value: v });
    if (v.trim() !== v && len > 0) out.push({ field: at(key), code: "surrounding_whitespace", message: `${key} must not start or end with whitespace.`, value: v });
  }
  return out;
}

/** Encodes fields as a DER Name, one attribute per RDN in the order C, ST, L, O, OU, CN (RFC 5280 §4.1.2.4); with optionalCommonName, commonName "" leaves the CN out (leaves whose SANs name them). */
export function encodeName(f: DnFields, opts: { optionalCommonName?: boolean } = {}): Uint8Array {
  // RFC 5280 §4.1.2.6: a leaf's subject may leave out the CN (even be empty) when its SANs name it.
  const noCn = opts.optionalCommonName === true && f.commonName === "";
  const violations = validateDnFields(noCn ? { ...f, commonName: "-" } : f, "subject");
  if (violations.length) throw errors.validation("The distinguished name is invalid.", violations);
  const rdns: Uint8Array[] = [];
  for (const [key, oid] of ORDER) {
    const v = f[key];
    if (v === undefined || (key === "commonName" && noCn)) continue;
    // RFC 5280 §4.1.2.4: UTF8String for new names; countryName is always PrintableString (upper-cased here).
    const value = key === "country" ? derString(TAG.PRINTABLE_STRING, v.toUpperCase()) : derString(TAG.UTF8_STRING, v);
    rdns.push(setOf(seq(derOid(oid), value)));
  }
  return seq(...rdns);
}

/** Decodes one attribute value to text; unknown string types become "#<hex of the DER>" (RFC 4514 §2.4). */
function valueText(buf: Uint8Array, t: Tlv): string {
  const c = content(buf, t);
  switch (t.tag) {
    case TAG.UTF8_STRING:
      return new TextDecoder("utf-8", { fatal: true }).decode(c);
    case TAG.PRINTABLE_STRING:
    case TAG.IA5_STRING:
    case 0x12: // NumericString
    case 0x1a: // VisibleString
    case 0x14: // TeletexString, read as Latin-1 like most toolkits
      return Buffer.from(c).toString("latin1");
    case 0x1e: // BMPString, UTF-16BE
      return Buffer.from(c).swap16().toString("utf16le");
    case 0x1c: { // UniversalString, UTF-32BE
      let s = "";
      for (let i = 0; i + 3 < c.length; i += 4) s += String.fromCodePoint(((c[i] << 24) | (c[i + 1] << 16) | (c[i + 2] << 8) | c[i + 3]) >>> 0);
      return s;
    }
    default:
      return `#${Buffer.from(buf.subarray(t.start, t.end)).toString("hex")}`;
  }
}

/** Escapes a value for RFC 4514 §2.4 string form. */
function escape(v: string): string {
  let s = v.replace(/[\\,+"<>;=]/g, (c) => `\\${c}`).replace(/[\u0000-\u001f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
  if (s.startsWith("#") || s.startsWith(" ")) s = `\\${s}`;
  if (s.endsWith(" ") && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}

/**
 * Decodes a DER Name. `fields` holds the first value of each attribute (known types by their
 * DnFields/short key, others by dotted OID; commonName is "" when absent). `text` follows
 * RFC 4514: the LAST RDN first, so a name encoded C, O, CN reads "CN=x, O=y, C=z".
 * `commonNames` lists every CN value, so callers can refuse a name with more than one.
 */
export function decodeName(der: Uint8Array): { fields: DnFields & Record<string, string>; text: string; commonNames: string[] } {
  let rdnTexts: string[];
  const fields: Record<string, string> = {};
  const commonNames: string[] = [];
  try {
    const root = readRoot(der, TAG.SEQUENCE);
    rdnTexts = childrenOf(der, root, TAG.SEQUENCE).map((rdn) => {
      const atvs = childrenOf(der, rdn, TAG.SET);
      if (atvs.length === 0) throw new Error("empty RDN");
      return atvs
        .map((atv) => {
          const [typeT, valueT, extra] = childrenOf(der, atv, TAG.SEQUENCE);
          if (!valueT || extra) throw new Error("malformed AttributeTypeAndValue");
          const oid = readOid(der, typeT);
          const value = valueText(der, valueT);
          const [key, short] = ATTRS[oid] ?? [oid, oid];
          if (!(key in fields)) fields[key] = value;
          if (key === "commonName") commonNames.push(value);
          return `${short}=${value.startsWith("#") && !(valueT.tag in STRING_TAGS) ? value : escape(value)}`;
        })
        .join("+");
    });
  } catch (e) {
    throw errors.badRequest(`The distinguished name could not be parsed: ${(e as Error).message}.`);
  }
  return { fields: { commonName: "", ...fields }, text: rdnTexts.reverse().join(", "), commonNames };
}

const STRING_TAGS: Record<number, true> = { 0x0c: true, 0x13: true, 0x16: true, 0x12: true, 0x1a: true, 0x14: true, 0x1e: true, 0x1c: true };

/** True when two DER Names are the same bytes (Stamp copies issuer names verbatim, so binary match suffices; RFC 5280 §7.1). */
export function namesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}
