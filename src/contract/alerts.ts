import { z } from "zod";
import { email, name, uuid } from "./common.js";

/** What an alert rule can listen to. */
export const alertEvent = z.enum(["expiration", "issued", "renewed", "renewal_failed", "revoked", "crl_failed"]);

/** An http(s) URL, bounded; where it may point is the egress policy's decision (docs/egress.md). */
const webhookUrl = z
  .string()
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === "http:" || u.protocol === "https:") && u.hostname !== "" && u.username === "" && u.password === "";
    } catch {
      return false;
    }
  }, "must be an http:// or https:// URL without credentials");

/** `*.example.com`, `web-*`: a glob over the common name and every SAN (case-insensitive). */
const namePattern = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[A-Za-z0-9*.\-_@:]+$/, "may hold letters, digits, '.', '-', '_', '@', ':' and '*' wildcards");

export const alertFilters = z.strictObject({
  profileIds: z.array(uuid).max(100).optional().describe("only certificates of these profiles (empty: any)"),
  caIds: z.array(uuid).max(100).optional().describe("only certificates issued by these CAs (empty: any)"),
  namePattern: namePattern.nullable().optional().describe("only certificates whose CN or a SAN matches this glob"),
});
const expirationDays = z.array(z.number().int().min(1).max(365)).min(1).max(10).describe("alert this many days before notAfter, once per window (default [30, 7])");

export const createAlertRuleBody = z
  .strictObject({
    name,
    events: z.array(alertEvent).min(1).max(6),
    expirationDays: expirationDays.optional(),
    filters: alertFilters.optional(),
    channel: z.enum(["webhook", "email"]),
    webhookUrl: webhookUrl.optional(),
    emailTo: z.array(email).min(1).max(20).optional(),
    enabled: z.boolean().optional(),
  })
  .refine((b) => b.channel !== "webhook" || b.webhookUrl !== undefined, { message: "a webhook rule needs webhookUrl", path: ["webhookUrl"] })
  .refine((b) => b.channel !== "email" || b.emailTo !== undefined, { message: "an email rule needs emailTo", path: ["emailTo"] });

export const updateAlertRuleBody = z.strictObject({
  name: name.optional(),
  events: z.array(alertEvent).min(1).max(6).optional(),
  expirationDays: expirationDays.optional(),
  filters: alertFilters.optional(),
  webhookUrl: webhookUrl.optional(),
  emailTo: z.array(email).min(1).max(20).optional(),
  enabled: z.boolean().optional(),
});

export const alertRule = z.object({
  id: uuid,
  projectId: uuid,
  name: z.string(),
  events: z.array(alertEvent),
  expirationDays: z.array(z.number()),
  filters: z.object({ profileIds: z.array(z.string()), caIds: z.array(z.string()), namePattern: z.string().nullable() }),
  channel: z.enum(["webhook", "email"]),
  webhookUrl: z.string().nullable(),
  emailTo: z.array(z.string()).nullable(),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

export const alertDelivery = z.object({
  id: uuid,
  ruleId: uuid,
  eventId: uuid,
  eventType: z.string(),
  certificateId: z.string().nullable(),
  status: z.enum(["pending", "delivered", "failed"]),
  attempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  responseStatus: z.number().int().nullable(),
  createdAt: z.string(),
  deliveredAt: z.string().nullable(),
});

export const alertRuleParams = z.object({ id: uuid, ruleId: uuid });
export const deliveriesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  status: z.enum(["pending", "delivered", "failed"]).optional(),
});
