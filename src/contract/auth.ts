import { z } from "zod";
import { email, line, name, oneLine, password, role, uuid } from "./common.js";

export const loginBody = z.strictObject({ email: oneLine(z.string().trim().min(1).max(254)), password: z.string().min(1).max(256) });
export const universalAuthLoginBody = z.strictObject({ clientId: uuid, clientSecret: z.string().min(1).max(256) });
export const tokenResponse = z.object({ accessToken: z.string(), expiresIn: z.number().int(), tokenType: z.literal("Bearer") });

/** The web UI's sign-in answer: the token itself travels only in the HttpOnly session cookie. */
export const sessionResponse = z.object({ expiresIn: z.number().int() });
export const logoutBody = z.strictObject({ allSessions: z.boolean().optional().describe("true ends every access token of the caller, not only this one") });
export const changePasswordBody = z.strictObject({ currentPassword: z.string().min(1).max(256), newPassword: password });

export const createUserBody = z.strictObject({ email, password, isServerAdmin: z.boolean().optional() });
export const userResponse = z.object({ user: z.object({ id: uuid, email: z.string(), isServerAdmin: z.boolean() }) });
export const meResponse = z.object({ type: z.enum(["user", "identity"]), id: uuid, label: z.string(), isServerAdmin: z.boolean() });

export const identity = z.object({ id: uuid, projectId: uuid, name: z.string(), clientId: uuid, accessTokenTTL: z.number().int(), createdAt: z.string() });
export const createIdentityBody = z.strictObject({
  projectId: uuid,
  name,
  role,
  profiles: z.array(line(100).min(1)).max(100).nullable().optional().describe("narrow the membership to these profile ids or slugs"),
  accessTokenTTL: z.number().int().min(60).max(86400).optional(),
});
export const clientSecretData = z.object({
  id: uuid,
  description: z.string(),
  clientSecretPrefix: z.string(),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export const createClientSecretBody = z.strictObject({
  description: z.string().max(200).optional(),
  ttl: z.number().int().min(60).max(10 * 365 * 86400).optional().describe("seconds until the secret expires; none = never"),
});
export const clientSecretParams = z.object({ id: uuid, secretId: uuid });
