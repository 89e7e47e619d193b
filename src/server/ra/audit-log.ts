import type { Store } from "../store/store.js";
import { requireRole } from "./authz.js";
import type { RequestContext } from "./context.js";

/** Reading the audit log (project admins). */
export function createAuditLog(deps: { store: Store }) {
  return {
    /** One page of the project's audit log, newest first; nextCursor pages further back. */
    async list(ctx: RequestContext, projectId: string, q: { limit: number; cursor?: string; action?: string; actorId?: string; objectId?: string; outcome?: string; from?: string; to?: string }) {
      await requireRole(deps.store, ctx, projectId, "admin", { type: "Project", id: projectId });
      const rows = await deps.store.misc.auditPage({
        projectId,
        before: q.cursor,
        limit: q.limit,
        action: q.action,
        actorId: q.actorId,
        objectId: q.objectId,
        outcome: q.outcome,
        from: q.from ? new Date(q.from) : undefined,
        to: q.to ? new Date(q.to) : undefined,
      });
      return {
        auditLogs: rows.map((r) => ({
          id: String(r.id),
          actorType: r.actor_type,
          actorId: r.actor_id,
          action: r.action,
          objectType: r.object_type,
          objectId: r.object_id,
          outcome: r.outcome,
          sourceIp: r.source_ip,
          detail: r.detail as Record<string, unknown>,
          createdAt: new Date(r.created_at).toISOString(),
        })),
        nextCursor: rows.length === q.limit ? String(rows[rows.length - 1].id) : null,
      };
    },
  };
}
