import type { Violation } from "../../errors.js";
import { INVALID_CHARACTERS_MESSAGE } from "../../contract/common.js";

/**
 * Characters no string of a request may hold, in any field: NUL and the other C0 controls but
 * tab, line feed and carriage return; DEL and the C1 controls; a surrogate without its pair
 * (PostgreSQL stores neither NUL nor unpaired surrogates, and no header may carry a control).
 * Single-line fields (names, emails, search) also refuse line breaks, in their schema.
 */
const BAD_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const BAD_CHARACTERS_ALL = new RegExp(BAD_CHARACTERS.source, "g");

/** True when `s` holds a character no request field may hold. */
export function hasBadCharacters(s: string): boolean {
  return BAD_CHARACTERS.test(s);
}

/** `s` with each refused character replaced by U+FFFD, safe to echo in an answer. */
export function sanitize(s: string): string {
  return s.replace(BAD_CHARACTERS_ALL, "\uFFFD");
}

/** A violation for every string (and object key) of `data` that holds a refused character. */
export function characterViolations(data: unknown, path: string[] = [], out: Violation[] = []): Violation[] {
  if (out.length >= 100) return out;
  const field = () => path.map(sanitize).join(".") || "(root)";
  if (typeof data === "string") {
    if (hasBadCharacters(data)) out.push({ field: field(), code: "invalid_characters", message: INVALID_CHARACTERS_MESSAGE, value: data });
  } else if (Array.isArray(data)) {
    data.forEach((v, i) => characterViolations(v, [...path, String(i)], out));
  } else if (typeof data === "object" && data !== null) {
    for (const [k, v] of Object.entries(data)) {
      if (hasBadCharacters(k)) out.push({ field: [...path, k].map(sanitize).join("."), code: "invalid_characters", message: `The field name ${INVALID_CHARACTERS_MESSAGE}` });
      else characterViolations(v, [...path, k], out);
    }
  }
  return out;
}

// Values a problem document never echoes (ARCHITECTURE.md house rule 6): passwords, secrets,
// tokens, HMAC and private keys by field name, and PEM blocks (certificates, CSRs) by content.
const SECRET_FIELD = /(password|passphrase|secret|token|hmac|hmackey|privatekey|pin)$/i;
const PEM_FIELD = /^(csr|certificate|certificatechain|pem)$/i;
const MAX_ECHO = 200;
const lastSegment = (field: string) => (field.split(".").pop() ?? "").replace(/\[\d+\]$/, "");

/** What of a submitted value a violation may echo: secrets redacted, PEM and long text left out. */
export function echoValue(field: string, value: unknown): unknown {
  if (value === undefined) return undefined;
  const safe = scrub(lastSegment(field), value, 0);
  if (typeof safe === "string") return safe.length > MAX_ECHO ? `${safe.slice(0, MAX_ECHO)}…` : safe;
  if (safe === null || typeof safe !== "object") return safe;
  const json = JSON.stringify(safe) ?? "";
  return json.length > MAX_ECHO ? `${json.slice(0, MAX_ECHO)}…` : safe;
}

function scrub(key: string, value: unknown, depth: number): unknown {
  if (SECRET_FIELD.test(key)) return "[redacted]";
  if (typeof value === "string") {
    if (value.includes("-----BEGIN")) return "[PEM data, not shown]";
    if (PEM_FIELD.test(key) && value.length > 100) return `[${value.length} characters, not shown]`;
    return sanitize(value.length > MAX_ECHO * 2 ? value.slice(0, MAX_ECHO * 2) : value);
  }
  if (value === null || typeof value !== "object") return value;
  if (depth > 4) return "[…]";
  if (Array.isArray(value)) return value.slice(0, 20).map((v) => scrub(key, v, depth + 1));
  return Object.fromEntries(Object.entries(value).slice(0, 50).map(([k, v]) => [sanitize(k), scrub(k, v, depth + 1)]));
}
