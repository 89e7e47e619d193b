import { z } from "zod";

/** Shared pieces of the public API's schemas. Every string is bounded (house rule 4). */

export const uuid = z.uuid({ message: "must be a UUID" });
export const name = z.string().trim().min(1).max(100);
export const email = z.email().max(254);
export const password = z.string().min(12, "must have at least 12 characters").max(256);
export const role = z.enum(["admin", "member", "viewer"]);
export const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date()).describe("ISO 8601 date or date-time");

/** One broken rule, as problem+json lists it. */
export const violation = z.object({
  field: z.string(),
  code: z.string(),
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
