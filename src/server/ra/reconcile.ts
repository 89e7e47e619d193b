import { audit } from "./audit.js";
import type { ReposOf } from "../shared-types.js";
import { requireServerAdmin } from "./authz.js";
import type { RequestContext, Runtime } from "./context.js";

/** What one reconciliation pass did. */
export interface ReconcilePass {
  /** Records whose certificate was found committed: marked signed. */
  signed: number;
  /** Records with no committed certificate, older than the grace period: marked abandoned. */
  abandoned: number;
  /** Certificates whose issuing answer was never confirmed written: marked unconfirmed. */
  unconfirmed: number;
  /** Records this pass could not settle (logged; the next pass tries again). */
  failed: number;
  /** True when a batch was full: there may be more. */
  more: boolean;
  /** Records still intended after the pass (signings in flight, or younger than the grace period). */
  stillOpen: number;
}

const SYSTEM = { principal: null, sourceIp: null, actor: { type: "system", id: "reconcile" } } satisfies RequestContext;
const LIST_LIMIT = 100;

const iso = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

/** The repositories these use cases call. */
export type ReconciliationRepos = ReposOf<{ reconcile: "counts" | "intendedBefore" | "markUnconfirmed" | "openAndAbandoned" | "settle" | "unconfirmedCertificates" | "wasRecorded"; misc: "audit"; }>;
/** The store as these use cases see it. */
export type ReconciliationStore = ReconciliationRepos;

/**
 * Crash reconciliation (issue 13): settles signing records a crash left `intended` — signed when
 * their certificate was committed, else abandoned once older than the grace period, so a signing
 * in flight is never touched — and reports certificates whose answer was never written.
 */
export function createReconciliation(deps: { store: ReconciliationStore; rt: Runtime; graceSeconds: number; batchSize?: number; log?: (msg: string, err?: unknown) => void }) {
  const { store, rt } = deps;
  const batch = deps.batchSize ?? 200;

  /** One bounded pass; one bad record never stops the others. */
  async function pass(): Promise<ReconcilePass> {
    const now = rt.clock();
    const before = new Date(now.getTime() - deps.graceSeconds * 1000);
    const rows = await store.reconcile.intendedBefore(before, batch);
    const signed: string[] = [];
    const abandoned: { serial: string; kind: string; issuerCaId: string | null; subjectId: string | null; intendedAt: string | null }[] = [];
    let failed = 0;
    for (const r of rows) {
      try {
        const found = await store.reconcile.wasRecorded(r);
        if (!(await store.reconcile.settle(r.id, found ? "signed" : "abandoned", now))) continue; // another server settled it
        if (found) signed.push(r.serial);
        else abandoned.push({ serial: r.serial, kind: r.kind, issuerCaId: r.issuer_ca_id, subjectId: r.subject_id, intendedAt: iso(r.created_at) });
      } catch (e) {
        failed++;
        deps.log?.(`crash reconciliation could not settle signing record ${r.id} (serial ${r.serial}); the next pass tries again`, e);
      }
    }
    if (signed.length || abandoned.length) {
      await audit(store, rt, SYSTEM, { projectId: null, action: "signing-log.reconcile", objectType: "signing-log", objectId: null, outcome: "success", detail: { signed, abandoned, graceSeconds: deps.graceSeconds } });
    }
    const unconfirmed = await store.reconcile.markUnconfirmed(before, batch);
    for (const c of unconfirmed) {
      try {
        await audit(store, rt, SYSTEM, {
          projectId: c.project_id,
          action: "certificate.unconfirmed-delivery",
          objectType: "certificate",
          objectId: c.id,
          outcome: "failure",
          detail: { serial: c.serial, commonName: c.common_name, keySource: c.key_source, issuedAt: iso(c.created_at), message: "Issued and committed, but the answer carrying it was never written to the client (a crash or a dropped connection). Fetch it by id, or revoke it if nobody uses it." },
        });
      } catch (e) {
        deps.log?.(`crash reconciliation could not audit unconfirmed certificate ${c.id}`, e);
      }
    }
    const stillOpen = (await store.reconcile.counts(before)).intended;
    return { signed: signed.length, abandoned: abandoned.length, unconfirmed: unconfirmed.length, failed, more: rows.length === batch || unconfirmed.length === batch, stillOpen };
  }

  return {
    pass,
    /** The operator's line for a pass that changed something, or the first pass after a start that found open records (else null). */
    describe(p: ReconcilePass, atStart = false): string | null {
      if (!p.signed && !p.abandoned && !p.unconfirmed) {
        if (!atStart || !p.stillOpen) return null;
        return `crash reconciliation: ${p.stillOpen} signing record(s) still open at start (a crash, or signings by another server); those not settled within ${deps.graceSeconds} s (--reconcile-grace) are marked abandoned; see GET /api/v1/reconciliation`;
      }
      return (
        `crash reconciliation: ${p.abandoned} unfinished signing(s) marked abandoned (no certificate was committed for them, none left the server), ` +
        `${p.signed} found issued, ${p.unconfirmed} certificate(s) issued whose answer was never confirmed written to the client; see GET /api/v1/reconciliation`
      );
    },
    /** Counts and the newest records (server admins). */
    async view(ctx: RequestContext) {
      requireServerAdmin(ctx, "Only a server admin can read crash reconciliation.", { objectType: "reconciliation", objectId: null });
      const before = new Date(rt.clock().getTime() - deps.graceSeconds * 1000);
      const [counts, records, certs] = await Promise.all([store.reconcile.counts(before), store.reconcile.openAndAbandoned(LIST_LIMIT), store.reconcile.unconfirmedCertificates(LIST_LIMIT)]);
      const record = (r: (typeof records.intended)[number]) => ({ id: String(r.id), issuerCaId: r.issuer_ca_id, serial: r.serial, kind: r.kind, subjectId: r.subject_id, status: r.status as "intended" | "abandoned", createdAt: iso(r.created_at)!, resolvedAt: iso(r.resolved_at) });
      return {
        graceSeconds: deps.graceSeconds,
        counts,
        intended: records.intended.map(record),
        abandoned: records.abandoned.map(record),
        unconfirmedCertificates: certs.map((c) => ({ id: c.id, projectId: c.project_id, serial: c.serial, commonName: c.common_name, keySource: c.key_source, status: c.status, createdAt: iso(c.created_at)! })),
      };
    },
  };
}
