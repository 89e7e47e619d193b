import { z } from "zod";

/** Shared pieces of the public API's schemas. Every string is bounded (house rule 4). */

export const uuid = z.uuid({ message: "must be a UUID" });

/** The message of every `invalid_characters` violation (the HTTP edge checks every string for these). */
export const INVALID_CHARACTERS_MESSAGE = "must not contain NUL bytes, control characters or unpaired surrogates";
/** Line breaks and tabs: allowed in multi-line text (descriptions, PEM), refused in single-line fields. */
const LINE_BREAKS = /[\t\n\r\u2028\u2029]/;
/** Refuses line breaks and tabs in a single-line field (names, emails, search terms). */
export const oneLine = (s: z.ZodString) => s.refine((v) => !LINE_BREAKS.test(v), { message: INVALID_CHARACTERS_MESSAGE, params: { code: "invalid_characters" } });
/** A bounded single-line string. */
export const line = (max: number) => oneLine(z.string().max(max));

export const name = oneLine(z.string().trim().min(1).max(100));
export const email = z.email().max(254);
export const password = z.string().min(12, "must have at least 12 characters").max(256);
export const role = z.enum(["admin", "member", "viewer"]);
export const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date()).describe("ISO 8601 date or date-time");

/**
 * Every field of a PATCH body made optional and nullable: absent leaves a member unchanged, null
 * removes it (JSON Merge Patch, RFC 7396 §2). For maps like profile `defaults` and template rules.
 */
export function removableMembers<T extends z.ZodRawShape>(shape: T) {
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, (v as z.ZodType).nullable().optional()])) as unknown as { [K in keyof T]: z.ZodOptional<z.ZodNullable<T[K]>> };
}

export type { ViolationCode } from "../violations.js";

/** A violation's code: one of the catalog's (src/violations.ts, docs/violations.md); clients may rely on it. */
export const violationCode = z.string().describe("a stable code from the violation catalog (docs/violations.md)");

/** One broken rule, as problem+json lists it. */
export const violation = z.object({
  field: z.string(),
  code: violationCode,
  message: z.string(),
  value: z.unknown().optional(),
});

/** RFC 9457 problem document with Stamp's `violations` member. */
export const problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  instance: z.string().optional(),
  violations: z.array(violation).optional(),
});

/** `:id` path parameter. */
export const idParams = z.object({ id: uuid });
