/**
 * Pre-issuance lint of a leaf TBSCertificate (RFC 5280 §4.1, CA/B Baseline Requirements §7.1),
 * in the spirit of zlint: the CA runs it on the exact bytes it is about to sign, so a bug in a
 * builder or a profile cannot produce a malformed certificate. The reader here is deliberately
 * independent of certificate-parse.ts and tolerant: it reports problems instead of throwing.
 */
import type { Violation } from "../errors.js";
import type { LintName } from "../violations.js";
import { DerError, TAG, children, childrenOf, content, raw, readOid, readRoot, readSmallInt, readTime, type Tlv } from "./der.js";
import { parseIp } from "./ip.js";
import { EXT, OCSP_OID, decodeBasicConstraints, decodeExtKeyUsage, decodeKeyUsage } from "./extensions.js";

/** What the lint needs besides the TBS: the issuer's validity window and whether the certificate is self-signed. */
export interface LintContext {
  issuerNotBefore: Date;
  issuerNotAfter: Date;
  selfSigned: boolean;
}

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const OCSP_SIGNING = "1.3.6.1.5.5.7.3.9";
const ATTR = { commonName: "2.5.4.3", country: "2.5.4.6", emailAddress: "1.2.840.113549.1.9.1", domainComponent: "0.9.2342.19200300.100.1.25" } as const;
/** Attributes whose syntax is IA5String rather than DirectoryString (RFC 5280 Appendix A, RFC 4519 §2.4). */
const IA5_ATTRS = new Set<string>([ATTR.emailAddress, ATTR.domainComponent]);
/** Key usages each key type may carry in a leaf (RFC 3279 §2.3.1 RSA, RFC 5480 §3 EC, RFC 8410 §5 Ed25519). */
const USAGES: Record<string, { name: string; allowed: readonly string[] }> = {
  "1.2.840.113549.1.1.1": { name: "RSA", allowed: ["digitalSignature", "nonRepudiation", "keyEncipherment", "dataEncipherment"] },
  "1.2.840.10045.2.1": { name: "EC", allowed: ["digitalSignature", "nonRepudiation", "keyAgreement", "encipherOnly", "decipherOnly"] },
  "1.3.101.112": { name: "Ed25519", allowed: ["digitalSignature", "nonRepudiation"] },
};
// C0 controls (including NUL), DEL and C1 controls.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// X.680 §41.4: the PrintableString character set.
const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
/** One LDH label (RFC 1034 §3.5, RFC 1123 §2.1). */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** The TBS fields the lints look at, as located elements of `buf`. */
export interface Tbs {
  version: number;
  serial: Uint8Array;
  validity: [Tlv, Tlv];
  subject: Tlv;
  spkiAlgOid: string;
  extensions: { oid: string; critical: boolean; value: Uint8Array }[];
}

/** Locates the TBSCertificate fields (RFC 5280 §4.1); throws DerError when the structure itself is broken. */
export function readTbs(buf: Uint8Array): Tbs {
  const parts = childrenOf(buf, readRoot(buf, TAG.SEQUENCE), TAG.SEQUENCE);
  let i = 0;
  let version = 1;
  if (parts[i]?.tag === 0xa0) version = readSmallInt(buf, childrenOf(buf, parts[i++], 0xa0)[0]) + 1;
  const serialT = parts[i++];
  if (serialT?.tag !== TAG.INTEGER) throw new DerError("missing serialNumber");
  i++; // signature AlgorithmIdentifier
  const issuerT = parts[i++];
  const validityT = parts[i++];
  const subject = parts[i++];
  const spkiT = parts[i++];
  if (!spkiT || issuerT.tag !== TAG.SEQUENCE || subject.tag !== TAG.SEQUENCE) throw new DerError("missing issuer, validity, subject or subjectPublicKeyInfo");
  const [nb, na, extraV] = childrenOf(buf, validityT, TAG.SEQUENCE);
  if (!na || extraV) throw new DerError("validity must hold notBefore and notAfter");
  const spkiAlgOid = readOid(buf, childrenOf(buf, childrenOf(buf, spkiT, TAG.SEQUENCE)[0], TAG.SEQUENCE)[0]);
  while (parts[i] && (parts[i].tag === 0x81 || parts[i].tag === 0x82)) i++; // issuerUniqueID, subjectUniqueID
  const extensions: Tbs["extensions"] = [];
  if (parts[i]?.tag === 0xa3) {
    const [list, extra] = childrenOf(buf, parts[i++], 0xa3);
    if (!list || extra) throw new DerError("malformed extensions wrapper");
    for (const ext of childrenOf(buf, list, TAG.SEQUENCE)) {
      const [oidT, second, third] = childrenOf(buf, ext, TAG.SEQUENCE);
      const critical = second?.tag === TAG.BOOLEAN ? content(buf, second)[0] !== 0 : false;
      const valueT = second?.tag === TAG.BOOLEAN ? third : second;
      if (valueT?.tag !== TAG.OCTET_STRING) throw new DerError("malformed extension");
      extensions.push({ oid: readOid(buf, oidT), critical, value: content(buf, valueT) });
    }
  }
  if (i !== parts.length) throw new DerError("unexpected fields after the extensions");
  return { version, serial: content(buf, serialT), validity: [nb, na], subject, spkiAlgOid, extensions };
}

/** Text of a string element (UTF8String as UTF-8, the rest byte for byte) and whether it decoded. */
function stringText(buf: Uint8Array, t: Tlv): { text: string; ok: boolean } {
  const c = content(buf, t);
  if (t.tag === TAG.UTF8_STRING) {
    try {
      return { text: new TextDecoder("utf-8", { fatal: true }).decode(c), ok: true };
    } catch {
      return { text: "", ok: false };
    }
  }
  if (t.tag === 0x1e && c.length % 2 === 0) return { text: Buffer.from(c).swap16().toString("utf16le"), ok: true }; // BMPString, UTF-16BE
  return { text: Buffer.from(c).toString("latin1"), ok: true };
}

/** Lints a to-be-signed leaf certificate; returns every broken rule (empty when the TBS is fit to sign). */
export function lintLeafTbs(tbs: Uint8Array, ctx: LintContext): Violation[] {
  const { out, add, t } = lintCommon(tbs, ctx, "Leaf");
  if (!t) return out;
  const cns = lintName(tbs, t.subject, add);

  // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
  const exts = new Map<string, { critical: boolean; value: Uint8Array }>();
  for (const e of t.extensions) {
    if (exts.has(e.oid)) add("duplicate_extension", `The extension ${e.oid} appears more than once (RFC 5280 §4.2).`, e.oid);
    else exts.set(e.oid, e);
  }
  const decode = <T>(oid: string, name: string, f: (v: Uint8Array) => T): T | undefined => {
    const e = exts.get(oid);
    if (!e) return undefined;
    try {
      return f(e.value);
    } catch (err) {
      add("malformed_extension", `The ${name} extension is malformed: ${(err as Error).message}.`, oid);
      return undefined;
    }
  };

  const sanExt = exts.get(EXT.subjectAltName);
  const sans = decode(EXT.subjectAltName, "subjectAltName", (v) => lintSans(v, add));
  // RFC 5280 §4.1.2.6 and §4.2.1.6: an empty subject needs a critical subjectAltName.
  if (t.subject.end === t.subject.contentStart && !(sanExt && sanExt.critical)) {
    add("empty_subject_san", "A certificate with an empty subject must carry a critical subjectAltName (RFC 5280 §4.2.1.6).");
  }
  const eku = decode(EXT.extKeyUsage, "extKeyUsage", decodeExtKeyUsage) ?? [];
  // CA/B BR §7.1.2.7.12: a TLS server certificate names its DNS names or IP addresses in the SAN.
  if (eku.includes(SERVER_AUTH) && !(sans && sans.dns.length + sans.ip.length > 0)) {
    add("server_auth_without_san", "A certificate for TLS server authentication must list at least one DNS name or IP address in subjectAltName (CA/B BR §7.1.2.7.12).");
  }
  // CA/B BR §7.1.4.3: the commonName, if present, repeats one of the SAN DNS names or IP addresses.
  if (sans && sans.dns.length + sans.ip.length > 0) {
    for (const cn of cns) {
      const ip = parseIp(cn);
      const found = ip ? sans.ip.some((o) => o.join(".") === ip.join(".")) : sans.dns.some((d) => d.toLowerCase() === cn.toLowerCase());
      if (!found) add("cn_not_in_san", `The commonName "${cn}" must also appear among the subjectAltName DNS names or IP addresses (CA/B BR §7.1.4.3).`, cn);
    }
  }

  // RFC 6960 §4.2.2.2.1: id-pkix-ocsp-nocheck is NULL, non-critical, and marks a delegated OCSP responder (id-kp-OCSPSigning).
  const noCheck = exts.get(OCSP_OID.noCheck);
  if (noCheck) {
    if (noCheck.critical || noCheck.value.length !== 2 || noCheck.value[0] !== TAG.NULL || noCheck.value[1] !== 0) {
      add("ocsp_nocheck_malformed", "id-pkix-ocsp-nocheck must be a non-critical extension whose value is NULL (RFC 6960 §4.2.2.2.1).");
    }
    if (!eku.includes(OCSP_SIGNING)) add("ocsp_nocheck_without_ocsp_signing", "id-pkix-ocsp-nocheck belongs only in OCSP responder certificates with the id-kp-OCSPSigning EKU (RFC 6960 §4.2.2.2).");
  }

  // RFC 5280 §4.2.1.3: keyUsage SHOULD be present and critical; CA/B BR §7.1.2.7.11 requires it critical.
  const kuExt = exts.get(EXT.keyUsage);
  if (!kuExt) add("key_usage_missing", "Leaf certificates must carry a keyUsage extension (RFC 5280 §4.2.1.3, CA/B BR §7.1.2.7.11).");
  else if (!kuExt.critical) add("key_usage_not_critical", "The keyUsage extension must be critical (RFC 5280 §4.2.1.3, CA/B BR §7.1.2.7.11).");
  const ku = decode(EXT.keyUsage, "keyUsage", decodeKeyUsage) ?? [];
  const caBits: string[] = ku.filter((n) => n === "keyCertSign" || n === "cRLSign");
  if (caBits.length) add("ca_key_usage_in_leaf", `A leaf certificate must not assert ${caBits.join(" or ")} (RFC 5280 §4.2.1.3: keyCertSign needs cA TRUE; CA/B BR §7.1.2.7.11).`, caBits);
  const byKey = USAGES[t.spkiAlgOid];
  const wrong = byKey ? ku.filter((n) => !caBits.includes(n) && !byKey.allowed.includes(n)) : [];
  if (wrong.length) add("key_usage_key_type", `A leaf with a ${byKey.name} key must not assert ${wrong.join(", ")} (RFC 3279 §2.3.1, RFC 5480 §3, RFC 8410 §5).`, wrong);
  if ((ku.includes("encipherOnly") || ku.includes("decipherOnly")) && !ku.includes("keyAgreement")) {
    add("key_usage_key_type", "encipherOnly and decipherOnly are meaningful only with keyAgreement (RFC 5280 §4.2.1.3).", ku);
  }
  if (ku.length === 0 && kuExt) add("key_usage_key_type", "The keyUsage extension must assert at least one bit (RFC 5280 §4.2.1.3).");

  // RFC 5280 §4.2.1.9: a leaf's basicConstraints, if present, has cA FALSE and no pathLenConstraint.
  const bc = decode(EXT.basicConstraints, "basicConstraints", decodeBasicConstraints);
  if (bc && (bc.ca || bc.pathLength !== null)) add("basic_constraints_ca", "A leaf certificate's basicConstraints must have cA FALSE and no pathLenConstraint (RFC 5280 §4.2.1.9).", bc);
  // RFC 5280 §4.2.1.2: SKI SHOULD be present in end-entity certificates; §4.2.1.1: AKI MUST be, unless self-signed.
  if (!exts.has(EXT.subjectKeyIdentifier)) add("ski_missing", "The certificate must carry a subjectKeyIdentifier (RFC 5280 §4.2.1.2).");
  if (!ctx.selfSigned && !exts.has(EXT.authorityKeyIdentifier)) add("aki_missing", "A certificate that is not self-signed must carry an authorityKeyIdentifier (RFC 5280 §4.2.1.1).");
  return out;
}

/**
 * The checks every certificate shares: the TBS parses, is v3 (RFC 5280 §4.1.2.1: extensions
 * need it, and every Stamp certificate has some), and has a sound serial and validity.
 */
export function lintCommon(tbs: Uint8Array, ctx: LintContext, what: "Leaf" | "CA"): { out: Violation[]; add: Add; t: Tbs | null } {
  const out: Violation[] = [];
  const add: Add = (name, message, value) =>
    out.push(value === undefined ? { field: "certificate", code: `lint_${name}`, message } : { field: "certificate", code: `lint_${name}`, message, value });
  let t: Tbs;
  try {
    t = readTbs(tbs);
  } catch (e) {
    add("malformed", `The TBSCertificate is not well-formed DER (RFC 5280 §4.1): ${(e as Error).message}.`);
    return { out, add, t: null };
  }
  if (t.version !== 3) add("version", `${what} certificates must be version 3 (RFC 5280 §4.1.2.1); this one is version ${t.version}.`, t.version);
  lintSerial(t.serial, add);
  lintValidity(tbs, t.validity, ctx, add);
  return { out, add, t };
}

/** Reports one broken rule; `name` is the lint's code without `lint_` (src/violations.ts). */
export type Add = (name: LintName, message: string, value?: unknown) => void;

/** RFC 5280 §4.1.2.2 (positive, ≤ 20 octets, minimal DER) and CA/B BR §7.1 (≥ 64 bits of CSPRNG output). */
export function lintSerial(c: Uint8Array, add: Add): void {
  const hex = Buffer.from(c).toString("hex");
  if (c.length === 0 || (c[0] & 0x80) !== 0 || c.every((b) => b === 0)) {
    add("serial_not_positive", "The serial number must be a positive integer (RFC 5280 §4.1.2.2).", hex);
    return;
  }
  if (c.length > 1 && c[0] === 0 && (c[1] & 0x80) === 0) add("serial_not_minimal", "The serial number INTEGER is not minimally encoded (X.690 §8.3.2).", hex);
  if (c.length > 20) add("serial_too_long", `The serial number must be at most 20 octets (RFC 5280 §4.1.2.2); this one has ${c.length}.`, hex);
  const magnitude = c[0] === 0 ? c.length - 1 : c.length;
  if (magnitude < 8) add("serial_too_short", `The serial number must carry at least 64 bits from a CSPRNG (CA/B BR §7.1), so at least 8 octets; this one has ${magnitude}.`, hex);
}

/** RFC 5280 §4.1.2.5 encodings, validity order, and nesting inside the issuer's validity (RFC 5280 §6.1.3 checks each certificate of a path). */
export function lintValidity(buf: Uint8Array, [nbT, naT]: [Tlv, Tlv], ctx: LintContext, add: Add): void {
  const read = (t: Tlv, which: string): Date | null => {
    const s = Buffer.from(content(buf, t)).toString("latin1");
    let date: Date | null = null;
    try {
      date = readTime(buf, t);
    } catch {
      // reported below
    }
    if (!date || (t.tag === TAG.GENERALIZED_TIME && !/^\d{14}Z$/.test(s)) || (t.tag === TAG.UTC_TIME && !/^\d{12}Z$/.test(s))) {
      add("time_encoding", `${which} must be UTCTime YYMMDDHHMMSSZ or GeneralizedTime YYYYMMDDHHMMSSZ (RFC 5280 §4.1.2.5).`, s);
      return null;
    }
    // RFC 5280 §4.1.2.5: dates through 2049 MUST be UTCTime, from 2050 GeneralizedTime.
    if (t.tag === TAG.GENERALIZED_TIME && date.getUTCFullYear() < 2050) {
      add("time_encoding", `${which} falls before 2050, so it must be encoded as UTCTime, not GeneralizedTime (RFC 5280 §4.1.2.5).`, s);
    }
    return date;
  };
  const nb = read(nbT, "notBefore");
  const na = read(naT, "notAfter");
  if (!nb || !na) return;
  if (na.getTime() <= nb.getTime()) add("validity_order", "notAfter must be later than notBefore (RFC 5280 §4.1.2.5).", { notBefore: nb.toISOString(), notAfter: na.toISOString() });
  if (nb < ctx.issuerNotBefore || na > ctx.issuerNotAfter) {
    add("validity_outside_issuer", `The validity period must lie within the issuer's (${ctx.issuerNotBefore.toISOString()} to ${ctx.issuerNotAfter.toISOString()}); otherwise part of it cannot be validated (RFC 5280 §6.1.3).`, {
      notBefore: nb.toISOString(),
      notAfter: na.toISOString(),
    });
  }
}

/** Subject attribute encodings (RFC 5280 §4.1.2.4, Appendix A; CA/B BR §7.1.4); returns the commonName values. */
export function lintName(buf: Uint8Array, name: Tlv, add: Add): string[] {
  const cns: string[] = [];
  for (const rdn of children(buf, name)) {
    for (const atv of childrenOf(buf, rdn, TAG.SET)) {
      const [typeT, valueT] = childrenOf(buf, atv, TAG.SEQUENCE);
      const oid = readOid(buf, typeT);
      if (!valueT) continue;
      const { text, ok } = stringText(buf, valueT);
      if (oid === ATTR.country) {
        // RFC 5280 Appendix A: CountryName ::= PrintableString (SIZE (2)), ISO 3166 alpha-2.
        if (valueT.tag !== TAG.PRINTABLE_STRING || !/^[A-Z]{2}$/.test(text)) add("country_encoding", "countryName must be a PrintableString of two capital letters (ISO 3166-1 alpha-2, RFC 5280 Appendix A).", text);
        continue;
      }
      const allowed = IA5_ATTRS.has(oid) ? [TAG.IA5_STRING] : [TAG.PRINTABLE_STRING, TAG.UTF8_STRING];
      // RFC 5280 §4.1.2.4: new certificates use PrintableString or UTF8String (no TeletexString, BMPString, UniversalString).
      if (!(allowed as number[]).includes(valueT.tag) || !ok) {
        add("directory_string_encoding", `The subject attribute ${oid} must be ${IA5_ATTRS.has(oid) ? "an IA5String" : "a PrintableString or UTF8String"} (RFC 5280 §4.1.2.4); found tag 0x${valueT.tag.toString(16)}.`, oid);
      } else if (valueT.tag === TAG.PRINTABLE_STRING && !PRINTABLE.test(text)) {
        add("directory_string_encoding", `The subject attribute ${oid} has characters outside the PrintableString set (X.680 §41.4).`, text);
      }
      if (CONTROL.test(text)) add("control_characters", `The subject attribute ${oid} contains NUL or control characters (CA/B BR §7.1.4.1).`, text);
      if (oid === ATTR.commonName && ok) cns.push(text);
    }
  }
  return cns;
}

/** The SAN's DNS names and IP octets, linting each name (RFC 5280 §4.2.1.6); throws DerError when malformed. */
function lintSans(der: Uint8Array, add: Add): { dns: string[]; ip: number[][] } {
  const out = { dns: [] as string[], ip: [] as number[][] };
  const list = children(der, readRoot(der, TAG.SEQUENCE));
  if (list.length === 0) add("san_empty", "subjectAltName must contain at least one name (RFC 5280 §4.2.1.6: GeneralNames SIZE (1..MAX)).");
  for (const t of list) {
    const c = content(der, t);
    if (t.tag === 0x81 || t.tag === 0x82 || t.tag === 0x86) {
      const s = Buffer.from(c).toString("latin1");
      if (CONTROL.test(s)) add("control_characters", "A subjectAltName entry contains NUL or control characters (RFC 5280 §4.2.1.6).", s);
      if (t.tag === 0x82) {
        out.dns.push(s);
        // RFC 5280 §4.2.1.6 preferred name syntax (RFC 1034 §3.5, RFC 1123 §2.1); "*" only as the whole leftmost label.
        const labels = s.split(".");
        if (labels[0] === "*" && labels.length >= 2) labels.shift();
        if (s.length === 0 || s.length > 253 || !labels.every((l) => LABEL.test(l))) {
          add("dns_name_invalid", `The DNS name "${s}" is not a sequence of letter-digit-hyphen labels (RFC 5280 §4.2.1.6, CA/B BR §7.1.2.7.12).`, s);
        }
      }
    } else if (t.tag === 0x87) {
      // RFC 5280 §4.2.1.6: four octets for IPv4, sixteen for IPv6.
      if (c.length !== 4 && c.length !== 16) add("ip_address_invalid", `An iPAddress must be 4 or 16 octets; this one has ${c.length} (RFC 5280 §4.2.1.6).`);
      else out.ip.push(Array.from(c));
    } else if ((t.tag & 0xc0) !== 0x80) {
      throw new DerError("malformed GeneralName");
    }
  }
  return out;
}

/** Lints the TBSCertificate inside a signed Certificate (RFC 5280 §4.1.1.1). */
export function lintCertificateDer(der: Uint8Array, ctx: LintContext): Violation[] {
  let tbs: Uint8Array;
  try {
    tbs = raw(der, childrenOf(der, readRoot(der, TAG.SEQUENCE), TAG.SEQUENCE)[0]);
  } catch (e) {
    return [{ field: "certificate", code: "lint_malformed", message: `The certificate is not well-formed DER (RFC 5280 §4.1): ${(e as Error).message}.` }];
  }
  return lintLeafTbs(tbs, ctx);
}
