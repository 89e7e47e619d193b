/**
 * An in-memory store for unit tests: exactly the narrow ports the RA's issue, renew, revoke and
 * CA use cases and the CA's signing chokepoint declare (IssueStore, RevokeStore, CaStore,
 * SigningStore, CaReads), with the database's behaviour that those use cases rely on: unique
 * names and serials, transactions that roll back on a throw, the group commit's one-statement
 * write, a CA's deletion taking its keys, certificates and signing log with it. Every write is
 * also appended to a journal, so a test can assert the order things happened in.
 *
 * Not a database: transactions are not isolated from each other (a rollback restores the tables
 * as they were when it began, concurrent writes included), and reads return copies of the rows.
 */
import type { Selectable } from "kysely";
import type { AuditInsert } from "../store/audit.repo.js";
import type { CaCertificateRow, CaKeyRow, CaRow } from "../store/ca.repo.js";
import { certificateColumns, type CertificateRow, type ProfileRow, type TemplateRow } from "../store/cert.repo.js";
import type { CertificateRequestsTable, MembershipsTable, SigningLogTable } from "../store/schema.js";
import type { Repos } from "../store/store.js";
import type { Journal } from "./journal.js";

export type MembershipRow = Selectable<MembershipsTable>;
export type CertificateRequestRow = Selectable<CertificateRequestsTable>;
export type SigningLogRow = Selectable<SigningLogTable>;

/** What a duplicate key throws here (the store's `isUniqueViolation` recognises it). */
export class UniqueViolation extends Error {}

/** The rows the memory store holds; tests read them directly to assert what was recorded. */
export interface MemoryTables {
  memberships: MembershipRow[];
  cas: CaRow[];
  caKeys: CaKeyRow[];
  caCertificates: CaCertificateRow[];
  signingLog: SigningLogRow[];
  audit: AuditInsert[];
  templates: TemplateRow[];
  profiles: ProfileRow[];
  certificates: CertificateRow[];
  certRequests: CertificateRequestRow[];
}

/** The repositories the memory store implements: the union of the narrow ports, nothing more. */
export interface MemoryRepos {
  identity: Pick<Repos["identity"], "membership">;
  misc: Pick<Repos["misc"], "audit">;
  ca: Pick<
    Repos["ca"],
    | "caById"
    | "caByIdForUpdate"
    | "caByName"
    | "casOf"
    | "childrenOf"
    | "insertCa"
    | "updateCa"
    | "deleteCa"
    | "insertKey"
    | "keyById"
    | "keysOf"
    | "isCaKey"
    | "setPendingCsr"
    | "clearPendingCsr"
    | "insertCertificate"
    | "certificateById"
    | "certificatesOf"
    | "recordIntents"
    | "recordOutcomes"
  >;
  cert: Pick<Repos["cert"], "profileById" | "templateById" | "certificateById" | "nextRevocationSeq" | "revoke" | "releaseHold" | "hasLiveCertificates" | "profilesOfCa">;
  certRequests: Pick<Repos["certRequests"], "insert">;
  external: Pick<Repos["external"], "caById" | "waitingRenewalOf">;
  revocation: Pick<Repos["revocation"], "crlNextUpdates">;
  issuance: Pick<Repos["issuance"], "commitLeaves">;
}

export interface MemoryStore extends MemoryRepos {
  transaction<T>(fn: (tx: MemoryRepos) => Promise<T>): Promise<T>;
  isUniqueViolation(e: unknown): boolean;
  /** The rows as they are now (read-only use: copy before changing). */
  readonly tables: MemoryTables;
  /** Seeds rows directly (a test's starting world). */
  seed: { membership(m: Partial<MembershipRow> & Pick<MembershipRow, "project_id" | "principal_id" | "role">): void; template(t: TemplateRow): void; profile(p: ProfileRow): void };
}

const copy = <T>(v: T): T => structuredClone(v);
const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a).equals(Buffer.from(b));

/** Creates an empty memory store; `clock` stamps created_at, `journal` receives every write. */
export function createMemoryStore(deps: { clock: () => Date; journal: Journal }): MemoryStore {
  const { clock, journal } = deps;
  let t: MemoryTables = { memberships: [], cas: [], caKeys: [], caCertificates: [], signingLog: [], audit: [], templates: [], profiles: [], certificates: [], certRequests: [] };
  let nextSigningId = 1;

  const caRow = (id: string) => t.cas.find((c) => c.id === id);
  const certRow = (id: string) => t.certificates.find((c) => c.id === id);
  const signingRow = (issuerCaId: string | null, serial: string) => t.signingLog.find((r) => r.issuer_ca_id === issuerCaId && r.serial === serial);

  function insertCertificateRow(c: Parameters<typeof certificateColumns>[0]) {
    if (certRow(c.id)) throw new UniqueViolation(`certificates: id ${c.id} exists`);
    const cols = certificateColumns(c);
    t.certificates.push({
      ...cols,
      revocation_seq: null,
      deleted_at: null,
      renewed_by_id: null,
      revoked_at: null,
      revocation_reason: null,
      invalidity_date: null,
      hold_released_at: null,
      auto_renew: null,
      renew_before_days: null,
      renewal_claimed_at: null,
      renewal_failure: null,
      renewal_failed_at: null,
      delivery: c.delivery ?? null,
      external_ca_id: null,
      created_at: clock(),
    });
    if (c.renewedFromId) {
      const old = certRow(c.renewedFromId);
      if (old) old.renewed_by_id = c.id;
    }
    journal.push(`certificate:${c.id}`);
  }

  function appendAudit(a: AuditInsert) {
    t.audit.push(copy(a));
    journal.push(`audit:${a.action}:${a.outcome}`);
  }

  const repos: MemoryRepos = {
    identity: {
      membership: async (projectId, type, principalId) => copy(t.memberships.find((m) => m.project_id === projectId && m.principal_type === type && m.principal_id === principalId)),
    },
    misc: {
      audit: async (a) => appendAudit(a),
    },
    ca: {
      async insertCa(c) {
        if (t.cas.some((x) => x.project_id === c.projectId && x.name === c.name)) throw new UniqueViolation(`cas: name ${c.name} exists`);
        t.cas.push({
          id: c.id,
          project_id: c.projectId,
          name: c.name,
          type: c.type,
          status: c.status,
          parent_ca_id: c.parentCaId,
          subject: c.subject,
          max_path_length: c.maxPathLength,
          key_algorithm: c.keyAlgorithm,
          active_key_id: null,
          active_certificate_id: null,
          not_before: null,
          not_after: null,
          revocation_seq: "0",
          crl_validity_seconds: 86_400,
          ocsp_signer: "delegated",
          crl_published_at: null,
          crl_error: null,
          crl_failing_since: null,
          crl_distribution_point_urls: c.crlDistributionPointUrls ?? [],
          ocsp_enabled: c.ocspEnabled ?? true,
          created_at: clock(),
          updated_at: clock(),
        });
        journal.push(`ca:${c.id}`);
      },
      caById: async (id) => copy(caRow(id)),
      caByIdForUpdate: async (id) => copy(caRow(id)),
      caByName: async (projectId, name) => copy(t.cas.find((c) => c.project_id === projectId && c.name === name)),
      casOf: async (projectId) => copy(t.cas.filter((c) => c.project_id === projectId)),
      childrenOf: async (caId) => copy(t.cas.filter((c) => c.parent_ca_id === caId)),
      async updateCa(id, set) {
        const row = caRow(id);
        if (!row) return;
        const { crl_distribution_point_urls: urls, ...rest } = set;
        Object.assign(row, rest, urls === undefined ? {} : { crl_distribution_point_urls: JSON.parse(urls) as string[] }, { updated_at: clock() });
      },
      async deleteCa(id) {
        for (const c of t.cas) if (c.parent_ca_id === id) c.parent_ca_id = null;
        for (const c of t.caCertificates) if (c.issuer_ca_id === id) c.issuer_ca_id = null;
        for (const c of t.certificates) if (c.ca_id === id) Object.assign(c, { ca_id: null, ca_certificate_id: null });
        for (const p of t.profiles) if (p.ca_id === id) p.ca_id = null;
        t.caCertificates = t.caCertificates.filter((c) => c.ca_id !== id);
        t.caKeys = t.caKeys.filter((k) => k.ca_id !== id);
        t.signingLog = t.signingLog.filter((r) => r.issuer_ca_id !== id);
        t.cas = t.cas.filter((c) => c.id !== id);
        journal.push(`delete-ca:${id}`);
      },
      async insertKey(k) {
        if (t.caKeys.some((x) => x.id === k.id)) throw new UniqueViolation(`ca_keys: id ${k.id} exists`);
        t.caKeys.push({ id: k.id, ca_id: k.caId, key_algorithm: k.keyAlgorithm, backend: k.backend, key_ref: copy(k.keyRef), spki: k.spki, pending_csr: k.pendingCsr, created_at: clock() });
      },
      keyById: async (id) => copy(t.caKeys.find((k) => k.id === id)),
      keysOf: async (caId) => copy(t.caKeys.filter((k) => k.ca_id === caId).reverse()),
      isCaKey: async (spki) => t.caKeys.some((k) => sameBytes(k.spki, spki)),
      async setPendingCsr(keyId, csr) {
        const k = t.caKeys.find((x) => x.id === keyId);
        if (k) k.pending_csr = csr;
      },
      async clearPendingCsr(keyId) {
        const k = t.caKeys.find((x) => x.id === keyId);
        if (k) k.pending_csr = null;
      },
      async insertCertificate(c) {
        const version = Math.max(0, ...t.caCertificates.filter((x) => x.ca_id === c.caId).map((x) => x.version)) + 1;
        t.caCertificates.push({ id: c.id, ca_id: c.caId, ca_key_id: c.caKeyId, version, serial: c.serial, issuer_ca_id: c.issuerCaId, certificate: c.certificate, chain_pem: c.chainPem, not_before: c.notBefore, not_after: c.notAfter, created_at: clock() });
        journal.push(`ca-certificate:${c.caId}:v${version}`);
      },
      certificateById: async (id) => copy(t.caCertificates.find((c) => c.id === id)),
      certificatesOf: async (caId) => copy(t.caCertificates.filter((c) => c.ca_id === caId).sort((a, b) => b.version - a.version)),
      async recordIntents(rows) {
        return rows.map((r) => {
          if (signingRow(r.issuerCaId, r.serial)) throw new UniqueViolation(`signing_log: serial ${r.serial} exists for issuer ${r.issuerCaId}`);
          const id = String(nextSigningId++);
          t.signingLog.push({ id, issuer_ca_id: r.issuerCaId, serial: r.serial, kind: r.kind, subject_id: r.subjectId, status: "intended", created_at: clock(), resolved_at: null });
          journal.push(`intent:${r.kind}:${r.serial}`);
          return id;
        });
      },
      async recordOutcomes(signed, status) {
        for (const s of signed) {
          const row = signingRow(s.issuerCaId, s.serial);
          if (row) Object.assign(row, { status, resolved_at: clock() });
          journal.push(`outcome:${status}:${s.serial}`);
        }
      },
    },
    cert: {
      profileById: async (id) => copy(t.profiles.find((p) => p.id === id)),
      templateById: async (id) => copy(t.templates.find((x) => x.id === id)),
      certificateById: async (id) => copy(certRow(id)),
      async nextRevocationSeq(caId) {
        const row = caRow(caId)!;
        row.revocation_seq = String(Number(row.revocation_seq) + 1);
        return row.revocation_seq;
      },
      async revoke(id, r) {
        const row = certRow(id);
        if (row) Object.assign(row, { status: "revoked", revoked_at: r.at, revocation_reason: r.reason, invalidity_date: r.invalidityDate, hold_released_at: null, revocation_seq: r.seq });
        journal.push(`revoke:${id}:${r.reason}`);
      },
      async releaseHold(id, at, seq) {
        const row = certRow(id);
        if (row) Object.assign(row, { status: "active", revoked_at: null, revocation_reason: null, invalidity_date: null, hold_released_at: at, revocation_seq: seq });
        journal.push(`release-hold:${id}`);
      },
      hasLiveCertificates: async (caId, now) => t.certificates.some((c) => c.ca_id === caId && c.status === "active" && c.not_after > now),
      profilesOfCa: async (caId) => copy(t.profiles.filter((p) => p.ca_id === caId)),
    },
    certRequests: {
      async insert(r) {
        t.certRequests.push({ id: r.id, project_id: r.projectId, profile_id: r.profileId, status: r.status, certificate_id: null, common_name: r.commonName, request: r.request, metadata: r.metadata, error_message: r.errorMessage, pending_message: null, created_at: r.at, updated_at: r.at, external_ca_id: null, lease_until: null, attempts: 0, problem: null });
        journal.push(`certificate-request:${r.status}`);
      },
    },
    external: { caById: async () => undefined, waitingRenewalOf: async () => undefined },
    revocation: { crlNextUpdates: async () => [] },
    issuance: {
      // One statement in the database: all of it lands, or none of it.
      async commitLeaves(leaves, failedIntentIds) {
        await transaction(async () => {
          for (const l of leaves) {
            insertCertificateRow(l.certificate);
            const intent = t.signingLog.find((r) => r.id === l.intentId);
            if (intent) Object.assign(intent, { status: "signed", resolved_at: clock() });
            journal.push(`outcome:signed:${intent?.serial}`);
            appendAudit(l.audit);
          }
          for (const id of failedIntentIds) {
            const intent = t.signingLog.find((r) => r.id === id);
            if (intent) Object.assign(intent, { status: "failed", resolved_at: clock() });
            journal.push(`outcome:failed:${intent?.serial}`);
          }
        });
      },
    },
  };

  let depth = 0;
  /** Runs `fn` over the same repositories; a throw restores every table as it was (nested: the outermost decides). */
  async function transaction<T>(fn: (tx: MemoryRepos) => Promise<T>): Promise<T> {
    if (depth > 0) return fn(repos);
    const before = copy(t);
    depth++;
    try {
      return await fn(repos);
    } catch (e) {
      t = before;
      journal.push("rollback");
      throw e;
    } finally {
      depth--;
    }
  }

  return {
    ...repos,
    transaction,
    isUniqueViolation: (e) => e instanceof UniqueViolation,
    get tables() {
      return t;
    },
    seed: {
      membership: (m) => t.memberships.push({ id: `m-${t.memberships.length + 1}`, principal_type: "user", profiles: null, can_read_private_keys: false, created_at: clock(), ...m }),
      template: (x) => t.templates.push(copy(x)),
      profile: (p) => t.profiles.push(copy(p)),
    },
  };
}
