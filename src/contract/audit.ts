import { z } from "zod";
import { uuid } from "./common.js";
import { auditEntry, auditQuery } from "./projects.js";

const hash = z.string().regex(/^[0-9a-f]{64}$/);

/** The server-wide audit view (server admins): the project filters plus scope and order. */
export const serverAuditQuery = auditQuery.extend({
  projectId: z
    .union([uuid, z.literal("none")])
    .optional()
    .describe("one project's entries, or 'none' for the server-wide entries only (logins, refusals by non-members, users)"),
  order: z.enum(["desc", "asc"]).default("desc").describe("desc: newest first; asc: oldest first, the chain's order (stamp audit verify)"),
});

/** An entry with its project and its place in the hash chain. */
export const serverAuditEntry = auditEntry.extend({
  projectId: uuid.nullable(),
  prevHash: hash,
  hash,
});

/** One page of the server-wide view; `chainHead` is the newest entry the chain head records. */
export const serverAuditPage = z.object({
  auditLogs: z.array(serverAuditEntry),
  nextCursor: z.string().nullable(),
  chainHead: z.object({ id: z.string().nullable(), hash: z.string().nullable() }),
});
