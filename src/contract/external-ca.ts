import { z } from "zod";
import { email, line, name, uuid } from "./common.js";

/** TSIG algorithms BIND and RFC 8945 §6 name. */
export const TSIG_ALGORITHMS = ["hmac-sha256", "hmac-sha384", "hmac-sha512", "hmac-sha224", "hmac-sha1"] as const;

const host = line(253).pipe(z.string().min(1));
const dnsName = line(253).pipe(z.string().min(1).regex(/^[A-Za-z0-9_.-]+$/, "must be a DNS name"));

/** The RFC 2136 solver: where to send TSIG-signed updates. */
const rfc2136 = z.strictObject({
  type: z.literal("rfc2136"),
  server: host.describe("DNS server accepting the updates (primary of the zone)"),
  port: z.number().int().min(1).max(65535).default(53),
  zone: dnsName,
  keyName: dnsName.describe("TSIG key name"),
  algorithm: z.enum(TSIG_ALGORITHMS).default("hmac-sha256"),
  secret: z.string().min(1).max(512).regex(/^[A-Za-z0-9+/=]+$/, "must be base64").optional().describe("TSIG secret (base64); sealed, never returned"),
});
/** The hook solver: a command the operator registered with --dns-hook. */
const hook = z.strictObject({ type: z.literal("hook"), hook: line(64).pipe(z.string().min(1)).describe("name given to --dns-hook") });

/** A DNS-01 solver as created or changed. */
export const dnsSolverInput = z.discriminatedUnion("type", [rfc2136, hook]);

/** POST /api/v1/cert-manager/ca/acme's configuration. */
export const acmeCaConfigurationInput = z.strictObject({
  directoryUrl: z.url({ protocol: /^https?$/ }).max(2048).describe("the CA's ACME directory, e.g. https://acme-v02.api.letsencrypt.org/directory"),
  accountEmail: email,
  eabKid: line(256).pipe(z.string().min(1)).optional(),
  eabHmacKey: z.string().min(1).max(512).regex(/^[A-Za-z0-9_=-]+$/, "must be base64url").optional().describe("sealed, never returned"),
  dnsSolver: dnsSolverInput.optional(),
  trustBundle: z.string().max(256 * 1024).optional().describe("PEM certificates trusted for the CA's TLS (default: the system's roots)"),
  propagationTimeoutSeconds: z.number().int().min(5).max(3600).default(120),
});

/** POST /api/v1/cert-manager/ca/acme */
export const createAcmeCaBody = z.strictObject({
  projectId: uuid,
  name,
  status: z.enum(["active", "disabled"]).default("active"),
  configuration: acmeCaConfigurationInput,
});

/** PATCH /api/v1/cert-manager/ca/acme/:id (what can change without a new account). */
export const updateAcmeCaBody = z.strictObject({
  name: name.optional(),
  status: z.enum(["active", "disabled"]).optional(),
  configuration: z
    .strictObject({
      dnsSolver: dnsSolverInput.optional(),
      trustBundle: z.string().max(256 * 1024).nullable().optional(),
      propagationTimeoutSeconds: z.number().int().min(5).max(3600).optional(),
    })
    .optional(),
});

/** An ACME external CA as answered (secrets left out). */
export const acmeCaResponse = z.object({
  id: uuid,
  type: z.literal("acme"),
  status: z.enum(["active", "disabled"]),
  name: z.string(),
  projectId: uuid,
  enableDirectIssuance: z.boolean(),
  configuration: z.object({
    directoryUrl: z.string(),
    accountEmail: z.string(),
    accountUrl: z.string().nullable(),
    eabKid: z.string().nullable(),
    dnsSolver: z.union([rfc2136.omit({ secret: true }).extend({ hasSecret: z.boolean() }), hook]),
    trustBundle: z.string().nullable(),
    propagationTimeoutSeconds: z.number().int(),
  }),
  createdAt: z.string(),
  updatedAt: z.string(),
});
