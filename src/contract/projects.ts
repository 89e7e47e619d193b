import { z } from "zod";
import { email, line, name, role, uuid } from "./common.js";

export const project = z.object({ id: uuid, name: z.string(), createdAt: z.string(), role: role.optional() });
export const createProjectBody = z.strictObject({ name });
export const membership = z.object({
  id: uuid,
  principalType: z.enum(["user", "identity"]),
  principalId: uuid.optional().describe("the machine identity's id; users are named by email only, so a project admin cannot tell an account from an invitation"),
  email: z.string().optional(),
  identityName: z.string().optional(),
  role,
  profiles: z.array(z.string()).nullable(),
  canReadPrivateKeys: z.boolean(),
  createdAt: z.string(),
});
export const addMemberBody = z
  .strictObject({
    email: email.optional(),
    identityId: uuid.optional(),
    role,
    profiles: z.array(line(100).min(1)).max(100).nullable().optional(),
    canReadPrivateKeys: z.boolean().optional().describe("may read private keys Stamp generated (admins always may)"),
  })
  .refine((b) => (b.email === undefined) !== (b.identityId === undefined), { message: "give exactly one of email or identityId", path: ["email"] });
export const membershipParams = z.object({ id: uuid, membershipId: uuid });

export const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(500).default(100),
  cursor: z.string().regex(/^\d{1,19}$/, "must be a cursor returned by a previous page").optional(),
  action: line(100).optional(),
  actorId: line(100).optional(),
  objectId: line(100).optional(),
  outcome: z.enum(["success", "failure", "denied"]).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
});
export const auditEntry = z.object({
  id: z.string(),
  actorType: z.string(),
  actorId: z.string(),
  action: z.string(),
  objectType: z.string(),
  objectId: z.string().nullable(),
  outcome: z.string(),
  sourceIp: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});
