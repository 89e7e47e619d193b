import { errors } from "../../../errors.js";
import { toPem } from "../../../pki/pem.js";
import type { CertificateRequestRow, RequestRecord } from "../../store/cert-requests.repo.js";
import { requireRole } from "../authz.js";
import type { Role } from "../../store/schema.js";
import type { RequestContext } from "../context.js";
import type { CertDeps } from "./issue.js";

/** POST /certificate-requests/search, as the contract parsed it. */
export interface RequestSearchInput {
  projectId?: string;
  offset: number;
  limit: number;
  search?: string;
  status?: string;
  fromDate?: string;
  toDate?: string;
  profileIds?: string[];
  sortOrder: "asc" | "desc";
  metadata?: { key: string; value?: string }[];
}

/**
 * Certificate requests (Infisical's `certificate-requests`). Every issuance is one: a synchronous
 * one IS its certificate (same id, no row of its own, so the issue path writes nothing more), a
 * refused one has a `failed` row, and a request waiting on an external CA (a later issue) a
 * `pending` row that gets its certificate_id when it is issued.
 */
export function createCertificateRequests(deps: Pick<CertDeps, "store" | "rt">) {
  const { store } = deps;

  async function shape(r: RequestRecord) {
    const cert = r.certificate_id ? await store.cert.certificateById(r.certificate_id) : undefined;
    const attrs = ((r.request as { attributes?: Record<string, unknown> }).attributes ?? {}) as Record<string, string | undefined>;
    return {
      id: r.id,
      status: r.status as "issued",
      certificate: cert ? toPem(cert.certificate, "CERTIFICATE") : null,
      certificateId: cert?.id ?? null,
      privateKey: null,
      serialNumber: cert?.serial ?? null,
      problem: r.problem ?? null,
      errorMessage: r.error_message,
      pendingMessage: r.pending_message,
      commonName: r.common_name,
      organization: attrs.organization ?? null,
      organizationalUnit: attrs.organizationalUnit ?? null,
      country: attrs.country ?? null,
      state: attrs.state ?? null,
      locality: attrs.locality ?? null,
      domainComponents: [],
      basicConstraints: cert ? { isCA: false, pathLength: null } : null,
      metadata: r.metadata ?? [],
      customExtensions: [],
      createdAt: new Date(r.created_at).toISOString(),
      updatedAt: new Date(r.updated_at).toISOString(),
      projectId: r.project_id,
      profileId: r.profile_id,
    };
  }

  /** A request the caller may act on with `need`'s role in its project (404 otherwise, never 403 across projects). */
  async function load(ctx: RequestContext, id: string, need: Role) {
    const r = await store.certRequests.byId(id);
    if (!r) throw errors.notFound("Certificate request", id);
    await requireRole(store, ctx, r.project_id, need, { type: "Certificate request", id });
    return r;
  }

  /** The project a search covers: given, else the profiles', else the caller's only one. */
  async function projectOf(ctx: RequestContext, q: RequestSearchInput): Promise<string> {
    if (q.projectId) return q.projectId;
    if (q.profileIds?.length) {
      const p = await store.cert.profileById(q.profileIds[0]);
      if (p) return p.project_id;
    }
    const p = ctx.principal;
    const mine = p ? await store.identity.projectsOf(p.type, p.id) : [];
    if (mine.length === 1) return mine[0].id;
    throw errors.validation("Say which project to search.", [{ field: "projectId", code: "required", message: "You are a member of several projects: send projectId (or profileIds)." }]);
  }

  return {
    /** One request by id (a certificate's own id for a synchronous issuance). */
    async get(ctx: RequestContext, id: string) {
      return shape(await load(ctx, id, "viewer"));
    },
    /**
     * POST /:id/cancel: a request still waiting (on an external CA, or for approval) is cancelled;
     * one that already ended says so in `errorMessage` and keeps its status.
     */
    async cancel(ctx: RequestContext, id: string) {
      const r = await load(ctx, id, "member");
      const done = await store.certRequests.cancel(id, deps.rt.clock());
      if (done) return { status: "cancelled" as const, cancelled: true, errorMessage: null };
      return { status: r.status as CertificateRequestRow["status"], cancelled: false, errorMessage: `The request is ${r.status}; only a request still waiting can be cancelled.` };
    },
    /**
     * POST /:id/trigger-validation: re-checks a request waiting on an external CA's validation.
     * Every request Stamp has today ended when it was made (issued or failed), so there is no
     * order to drive: the answer is the request's status and no order status.
     */
    async triggerValidation(ctx: RequestContext, id: string) {
      const r = await load(ctx, id, "member");
      return { status: r.status as CertificateRequestRow["status"], orderStatus: null };
    },
    /** A page of a project's requests with the total the filters match. */
    async search(ctx: RequestContext, q: RequestSearchInput) {
      const projectId = await projectOf(ctx, q);
      await requireRole(store, ctx, projectId, "viewer", { type: "Project", id: projectId });
      const { rows, totalCount } = await store.certRequests.search({ ...q, projectId, fromDate: q.fromDate ? new Date(q.fromDate) : undefined, toDate: q.toDate ? new Date(q.toDate) : undefined });
      return { certificateRequests: await Promise.all(rows.map(shape)), totalCount };
    },
  };
}
