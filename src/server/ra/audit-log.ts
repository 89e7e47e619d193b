import type { Refusal } from "../../errors.js";
import type { ReposOf } from "../shared-types.js";
import type { AuditFilters } from "../store/audit.repo.js";
import { audit } from "./audit.js";
import { requireRole, requireServerAdmin } from "./authz.js";
import type { RequestContext, Runtime } from "./context.js";

type Query = { limit: number; cursor?: string; action?: string; actorId?: string; objectId?: string; outcome?: string; from?: string; to?: string };
type Row = Awaited<ReturnType<AuditLogRepos["misc"]["auditPage"]>>[number];

function filters(q: Query): AuditFilters {
  return { action: q.action, actorId: q.actorId, objectId: q.objectId, outcome: q.outcome, from: q.from ? new Date(q.from) : undefined, to: q.to ? new Date(q.to) : undefined };
}

function entry(r: Row) {
  return {
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
  };
}

/** The repositories these use cases call. */
export type AuditLogRepos = ReposOf<{ misc: "auditPage" | "auditServerPage" | "chainHead" | "audit"; identity: "membership"; }>;
/** The store as these use cases see it. */
export type AuditLogStore = AuditLogRepos;

/** Reading the audit log (project admins; the whole log for server admins) and recording refusals. */
export function createAuditLog(deps: { store: AuditLogStore; rt: Runtime }) {
  return {
    /** One page of the project's audit log, newest first; nextCursor pages further back. */
    async list(ctx: RequestContext, projectId: string, q: Query) {
      await requireRole(deps.store, ctx, projectId, "admin", { type: "Project", id: projectId });
      const rows = await deps.store.misc.auditPage({ projectId, before: q.cursor, limit: q.limit, ...filters(q) });
      return { auditLogs: rows.map(entry), nextCursor: rows.length === q.limit ? String(rows[rows.length - 1].id) : null };
    },
    /**
     * One page of the whole log, every project and the server-wide entries, with each entry's
     * hashes (server admins only). `order: "asc"` walks the chain for `stamp audit verify`.
     */
    async listServer(ctx: RequestContext, q: Query & { projectId?: string; order: "asc" | "desc" }) {
      requireServerAdmin(ctx, "Only a server admin can read the server-wide audit log; project admins read their project's log.", { objectType: "audit-log", objectId: null });
      const [rows, chainHead] = await Promise.all([
        deps.store.misc.auditServerPage({ projectId: q.projectId === "none" ? null : q.projectId, cursor: q.cursor, order: q.order, limit: q.limit, ...filters(q) }),
        deps.store.misc.chainHead(),
      ]);
      return {
        auditLogs: rows.map((r) => ({ ...entry(r), projectId: r.project_id, prevHash: r.prev_hash, hash: r.hash })),
        nextCursor: rows.length === q.limit ? String(rows[rows.length - 1].id) : null,
        chainHead,
      };
    },
    /**
     * Writes the `denied` entry for a refused request (the HTTP edge calls it once per 403,
     * and per 404 that hid another project's object). `action` names the route.
     */
    async recordRefusal(ctx: RequestContext, action: string, refusal: Refusal | undefined, message: string) {
      await audit(deps.store, deps.rt, ctx, {
        projectId: refusal?.projectId ?? null,
        action,
        objectType: refusal?.objectType ?? "route",
        objectId: refusal?.objectId ?? null,
        outcome: "denied",
        detail: { ...refusal?.detail, message: message.slice(0, 300) },
      });
    },
  };
}
