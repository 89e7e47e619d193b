import type { FastifyPluginAsyncZod } from "fastify-type-provider-zod";
import { z } from "zod";
import { idParams } from "../../contract/common.js";
import * as c from "../../contract/projects.js";
import { identity } from "../../contract/auth.js";
import type { Services } from "./services.js";

/** Projects, memberships and the audit log. */
export function projectRoutes(s: Services): FastifyPluginAsyncZod {
  return async (app) => {
    app.post("/api/v1/projects", { schema: { tags: ["projects"], summary: "Create a project; the caller becomes its admin", body: c.createProjectBody, response: { 200: z.object({ project: c.project }) } } }, async (req) => ({
      project: await s.projects.create(req.ctx, req.body.name),
    }));
    app.get("/api/v1/projects", { schema: { tags: ["projects"], summary: "Projects the caller belongs to", response: { 200: z.object({ projects: z.array(c.project) }) } } }, async (req) => ({
      projects: await s.projects.list(req.ctx),
    }));
    app.get("/api/v1/projects/:id", { schema: { tags: ["projects"], params: idParams, response: { 200: z.object({ project: c.project }) } } }, async (req) => ({
      project: await s.projects.get(req.ctx, req.params.id),
    }));
    app.get("/api/v1/projects/:id/memberships", { schema: { tags: ["projects"], params: idParams, response: { 200: z.object({ memberships: z.array(c.membership) }) } } }, async (req) => ({
      memberships: await s.projects.listMembers(req.ctx, req.params.id),
    }));
    app.post("/api/v1/projects/:id/memberships", { schema: { tags: ["projects"], summary: "Add a user (by email) or a machine identity, or change its role", params: idParams, body: c.addMemberBody, response: { 200: z.object({ membership: c.membership }) } } }, async (req) => ({
      membership: await s.projects.addMember(req.ctx, req.params.id, req.body),
    }));
    app.delete("/api/v1/projects/:id/memberships/:membershipId", { schema: { tags: ["projects"], params: c.membershipParams, response: { 204: z.null() } } }, async (req, reply) => {
      await s.projects.removeMember(req.ctx, req.params.id, req.params.membershipId);
      return reply.code(204).send(null);
    });
    app.get("/api/v1/projects/:id/identities", { schema: { tags: ["identities"], params: idParams, response: { 200: z.object({ identities: z.array(identity) }) } } }, async (req) => ({
      identities: await s.identities.list(req.ctx, req.params.id),
    }));
    app.get("/api/v1/projects/:id/audit-logs", { schema: { tags: ["audit"], summary: "The project's audit log, newest first", params: idParams, querystring: c.auditQuery, response: { 200: z.object({ auditLogs: z.array(c.auditEntry), nextCursor: z.string().nullable() }) } } }, (req) =>
      s.auditLog.list(req.ctx, req.params.id, req.query),
    );
  };
}
