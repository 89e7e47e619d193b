import type { AuditWriter } from "../shared-types.js";
import type { AuditInsert } from "../store/audit.repo.js";
import type { RequestContext, Runtime } from "./context.js";

/** One audit event as use cases describe it. */
export interface AuditEvent {
  projectId: string | null;
  action: string;
  objectType: string;
  objectId: string | null;
  outcome: "success" | "failure" | "denied";
  detail?: Record<string, unknown>;
}

/** Appends an audit event for the caller in `ctx` (anonymous when there is none). */
export async function audit(repos: AuditWriter, rt: Runtime, ctx: RequestContext, e: AuditEvent): Promise<void> {
  await repos.misc.audit(auditEntry(rt, ctx, e));
}

/** The row an audit event becomes, for a caller that writes it itself (the CA's group commit). */
export function auditEntry(rt: Runtime, ctx: RequestContext, e: AuditEvent): AuditInsert {
  return {
    projectId: e.projectId,
    actorType: ctx.actor?.type ?? ctx.principal?.type ?? "anonymous",
    actorId: ctx.actor?.id ?? ctx.principal?.id ?? "anonymous",
    action: e.action,
    objectType: e.objectType,
    objectId: e.objectId,
    outcome: e.outcome,
    sourceIp: ctx.sourceIp,
    detail: e.detail ?? {},
    at: rt.clock(),
  };
}
