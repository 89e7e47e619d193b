import { errors } from "../../../errors.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import type { CertDeps } from "./issue.js";
import type { CertificateLookup } from "./lookup.js";

/** The list's query, as the API takes it. */
export interface ListQuery {
  projectId: string;
  status?: "active" | "expired" | "revoked" | "renewed";
  profileId?: string;
  caId?: string;
  search?: string;
  expiresBefore?: string;
  metadata?: string | string[];
  limit: number;
  cursor?: string;
}

/** A page of a project's certificates, newest first (keyset pages: `nextCursor` names the next). */
export async function listCertificates(deps: Pick<CertDeps, "store" | "rt">, lookup: Pick<CertificateLookup, "view">, ctx: RequestContext, q: ListQuery) {
  const { store, rt } = deps;
  await requireRole(store, ctx, q.projectId, "viewer", { type: "Project", id: q.projectId });
  // The cursor is the last row's created_at in microseconds (a Date would lose them) and its id.
  let cursor: { createdAtMicros: string; id: string } | undefined;
  if (q.cursor) {
    const m = /^(\d{1,16})_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/.exec(q.cursor);
    if (!m) throw errors.badRequest("The cursor is not one this server returned.", [{ field: "query.cursor", code: "invalid", message: "Use the nextCursor of a previous page.", value: q.cursor }]);
    cursor = { createdAtMicros: m[1], id: m[2] };
  }
  const metadata = (q.metadata === undefined ? [] : Array.isArray(q.metadata) ? q.metadata : [q.metadata]).map((m) => {
    const i = m.indexOf("=");
    return i < 0 ? { key: m } : { key: m.slice(0, i), value: m.slice(i + 1) };
  });
  const now = rt.clock();
  const rows = await store.cert.list({ ...q, metadata, expiresBefore: q.expiresBefore ? new Date(q.expiresBefore) : undefined, now, cursor, limit: q.limit });
  const last = rows[rows.length - 1];
  return {
    certificates: await Promise.all(rows.map((r) => lookup.view(r, now))),
    nextCursor: rows.length === q.limit && last ? `${last.page_key}_${last.id}` : null,
  };
}
