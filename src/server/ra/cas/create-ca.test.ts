import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { outcome } from "../../testkit/outcome.js";
import { addCa, OTHER_PROJECT, PROJECT, world, type World } from "../../testkit/world.js";
import type { Role } from "../../store/schema.js";
import { createCa, type CreateCaInput } from "./create-ca.js";
import { renewCa } from "./renew-ca.js";

const YEAR = 365 * 86_400_000;
const inYears = (w: World, n: number) => new Date(w.rt.clock().getTime() + n * YEAR).toISOString();

interface CreateRow {
  name: string;
  as?: Role | "outsider";
  /** A root made first (its id is handed to `input` as parentId). */
  parent?: { maxPathLength?: number; project?: string };
  arrange?: (w: World, parentId: string | null) => Promise<void> | void;
  input: (w: World, parentId: string | null) => Partial<CreateCaInput> & { configuration: CreateCaInput["configuration"] };
  expect: { status: "active" | "pending-certificate"; signedBy: "self" | "parent" | "outside" } | { error: string; violations?: string[] };
  /** Signing-log rows the call leaves (kind:status), CAs afterwards (parent included), audit entries of the call. */
  signingLog: string[];
  cas: number;
  audit: string[];
}

const root = (w: World) => ({ configuration: { type: "root" as const, commonName: "Root", keyAlgorithm: "EC_prime256v1" as const, notAfter: inYears(w, 10) } });
const sub = (w: World, parentId: string | null, more: Partial<CreateCaInput["configuration"]> = {}) => ({ configuration: { type: "intermediate" as const, commonName: "Issuing", keyAlgorithm: "EC_prime256v1" as const, notAfter: inYears(w, 5), ...(parentId ? { parentCaId: parentId } : {}), ...more } });

const rows: CreateRow[] = [
  {
    name: "ok/ a root: key, self-signed certificate, active CA and audit entry, committed with the signed outcome",
    input: root,
    expect: { status: "active", signedBy: "self" },
    signingLog: ["root-ca:signed"],
    cas: 1,
    audit: ["ca.create:success"],
  },
  {
    name: "ok/ an intermediate signed in one step by its parent (the parent's signing log)",
    parent: {},
    input: (w, p) => sub(w, p),
    expect: { status: "active", signedBy: "parent" },
    signingLog: ["intermediate-ca:signed"],
    cas: 2,
    audit: ["ca.create:success"],
  },
  {
    name: "ok/ an intermediate to be signed outside: a key and a CSR, pending, nothing signed",
    input: (w) => sub(w, null),
    expect: { status: "pending-certificate", signedBy: "outside" },
    signingLog: [],
    cas: 1,
    audit: ["ca.create:success"],
  },
  {
    name: "fail/ every violation at once: duplicate name, direct issuance, validity order",
    arrange: async (w) => void (await addCa(w, { name: "taken" })),
    input: (w) => ({ name: "taken", enableDirectIssuance: true, configuration: { ...root(w).configuration, notBefore: inYears(w, 2), notAfter: inYears(w, 1) } }),
    expect: { error: "validation", violations: ["name:duplicate", "enableDirectIssuance:not_supported", "configuration.notAfter:validity_order"] },
    signingLog: [],
    cas: 1,
    audit: ["ca.create:failure"],
  },
  {
    name: "fail/ a path length at or above the parent's is refused (RFC 5280 §4.2.1.9)",
    parent: { maxPathLength: 1 },
    input: (w, p) => sub(w, p, { maxPathLength: 1 }),
    expect: { error: "validation", violations: ["configuration.maxPathLength:path_length_exceeds_parent"] },
    signingLog: [],
    cas: 1,
    audit: ["ca.create:failure"],
  },
  {
    name: "fail/ a parent in another project is as unknown as a missing one",
    parent: { project: OTHER_PROJECT },
    input: (w, p) => sub(w, p),
    expect: { error: "validation", violations: ["configuration.parentCaId:unknown_parent"] },
    signingLog: [],
    cas: 1,
    audit: [],
  },
  {
    name: "fail/ a member is not an admin (403); nothing is written",
    as: "member",
    input: root,
    expect: { error: "forbidden" },
    signingLog: [],
    cas: 0,
    audit: [],
  },
  {
    name: "fail/ a failing signer leaves no half-made root: no CA, no key, and its own signing record goes with it",
    arrange: (w) => w.keys.failSigning(),
    input: root,
    expect: { error: "unexpected" },
    signingLog: [],
    cas: 0,
    audit: [],
  },
  {
    name: "fail/ a failing parent signer: the child CA is gone, the parent keeps its `failed` record",
    parent: {},
    arrange: (w) => w.keys.failSigning(),
    input: (w, p) => sub(w, p),
    expect: { error: "unexpected" },
    signingLog: ["intermediate-ca:failed"],
    cas: 1,
    audit: [],
  },
];

describe("createCa", () => {
  for (const row of rows) {
    it(row.name, async () => {
      const w = world();
      let parentId: string | null = null;
      if (row.parent) {
        if (row.parent.project) w.store.seed.membership({ project_id: row.parent.project, principal_id: "admin", role: "admin" });
        parentId = await addCa(w, { name: "parent", projectId: row.parent.project ?? PROJECT, configuration: { maxPathLength: row.parent.maxPathLength } });
      }
      await row.arrange?.(w, parentId);
      const logBefore = w.store.tables.signingLog.length;
      const auditBefore = w.store.tables.audit.length;
      w.journal.clear();

      const r = await outcome(createCa(w.caDeps, w.as[row.as ?? "admin"], { projectId: PROJECT, name: "new-ca", status: "active", keyBackend: "software", ...row.input(w, parentId) }));

      const t = w.store.tables;
      expect(t.signingLog.slice(logBefore).map((s) => `${s.kind}:${s.status}`)).toEqual(row.signingLog);
      expect(t.cas).toHaveLength(row.cas);
      expect(t.audit.slice(auditBefore).map((a) => `${a.action}:${a.outcome}`)).toEqual(row.audit);
      // No key or certificate outlives its CA.
      for (const k of t.caKeys) expect(t.cas.some((c) => c.id === k.ca_id)).toBe(true);
      for (const c of t.caCertificates) expect(t.cas.some((x) => x.id === c.ca_id)).toBe(true);
      if ("error" in row.expect) {
        expect(r).toMatchObject({ error: row.expect.error });
        if (row.expect.violations && "violations" in r) expect([...r.violations].sort()).toEqual([...row.expect.violations].sort());
        return;
      }
      if (!("ok" in r)) throw new Error(`expected a CA, got ${r.error}: ${r.message} [${r.violations.join(", ")}]`);
      const ca = t.cas.find((c) => c.id === r.ok)!;
      expect(ca.status).toBe(row.expect.status);
      const key = t.caKeys.find((k) => k.ca_id === ca.id)!;
      expect(t.audit.at(-1)).toMatchObject({ action: "ca.create", objectId: ca.id, actorId: "admin" });
      if (row.expect.signedBy === "outside") {
        expect(key.pending_csr).not.toBeNull();
        expect(ca.active_certificate_id).toBeNull();
        return;
      }
      const cert = t.caCertificates.find((c) => c.id === ca.active_certificate_id)!;
      expect(cert).toMatchObject({ ca_id: ca.id, ca_key_id: key.id, version: 1, issuer_ca_id: row.expect.signedBy === "self" ? ca.id : parentId });
      expect(t.signingLog.at(-1)).toMatchObject({ serial: cert.serial, subject_id: ca.id, issuer_ca_id: row.expect.signedBy === "self" ? ca.id : parentId });
      // Intent, signature, then the CA's rows and the outcome in one transaction.
      expect(w.journal.only("intent:", "sign:", "ca-certificate:", "outcome:")).toEqual([expect.stringMatching(/^intent:/), expect.stringMatching(/^sign:/), `ca-certificate:${ca.id}:v1`, `outcome:signed:${cert.serial}`]);
      const x = new X509Certificate(Buffer.from(cert.certificate));
      expect(x.ca).toBe(true);
      const issuer = row.expect.signedBy === "self" ? x : new X509Certificate(Buffer.from(t.caCertificates.find((c) => c.ca_id === parentId)!.certificate));
      expect(x.verify(issuer.publicKey)).toBe(true);
    });
  }
});

interface RenewRow {
  name: string;
  type: "existing" | "new";
  /** Renew an intermediate under the root instead of the root itself. */
  intermediate?: boolean;
  arrange?: (w: World, caId: string) => Promise<void> | void;
  expect: { sameKey: boolean } | { error: string };
  signingLog: string[];
  versions: number;
  audit: string[];
}

const renewRows: RenewRow[] = [
  { name: "ok/ same key: version 2 under the same key; the old version stays", type: "existing", expect: { sameKey: true }, signingLog: ["root-ca:signed"], versions: 2, audit: ["ca.renew:success"] },
  { name: "ok/ rollover: a new key and version 2 under it", type: "new", expect: { sameKey: false }, signingLog: ["root-ca:signed"], versions: 2, audit: ["ca.renew:success"] },
  { name: "fail/ a failing signer: no new version, the active certificate is unchanged, the record says failed", type: "existing", arrange: (w) => w.keys.failSigning(), expect: { error: "unexpected" }, signingLog: ["root-ca:failed"], versions: 1, audit: [] },
  {
    name: "fail/ a CA whose parent is disabled cannot be renewed",
    type: "existing",
    intermediate: true,
    arrange: async (w, caId) => {
      const parent = w.store.tables.cas.find((c) => c.id !== caId)!;
      await w.store.ca.updateCa(parent.id, { status: "disabled" });
    },
    expect: { error: "conflict" },
    signingLog: [],
    versions: 1,
    audit: [],
  },
];

describe("renewCa", () => {
  for (const row of renewRows) {
    it(row.name, async () => {
      const w = world();
      const changed: string[] = [];
      w.caDeps.onCaChange = (id) => void changed.push(id);
      const rootId = await addCa(w, { name: "root" });
      const caId = row.intermediate ? await addCa(w, { name: "sub", configuration: { type: "intermediate", commonName: "Sub", parentCaId: rootId, notAfter: inYears(w, 5) } }) : rootId;
      const before = structuredClone(w.store.tables.cas.find((c) => c.id === caId)!);
      await row.arrange?.(w, caId);
      const logBefore = w.store.tables.signingLog.length;
      const auditBefore = w.store.tables.audit.length;
      w.rt.advance(86_400_000);

      const r = await outcome(renewCa(w.caDeps, w.as.admin, caId, { type: row.type }));

      const t = w.store.tables;
      const after = t.cas.find((c) => c.id === caId)!;
      expect(t.signingLog.slice(logBefore).map((s) => `${s.kind}:${s.status}`)).toEqual(row.signingLog);
      expect(t.caCertificates.filter((c) => c.ca_id === caId).map((c) => c.version).sort()).toEqual(Array.from({ length: row.versions }, (_, i) => i + 1));
      expect(t.audit.slice(auditBefore).map((a) => `${a.action}:${a.outcome}`)).toEqual(row.audit);
      if ("error" in row.expect) {
        expect(r).toMatchObject({ error: row.expect.error });
        expect(after.active_certificate_id).toBe(before.active_certificate_id);
        expect(changed).toEqual([]);
        return;
      }
      expect(r).toEqual({ ok: undefined });
      const v2 = t.caCertificates.find((c) => c.ca_id === caId && c.version === 2)!;
      expect(after.active_certificate_id).toBe(v2.id);
      expect(after.active_key_id === before.active_key_id).toBe(row.expect.sameKey);
      expect(v2.ca_key_id).toBe(after.active_key_id);
      expect(after.not_before!.getTime()).toBe(w.rt.clock().getTime());
      expect(changed).toEqual([caId]);
      const x = new X509Certificate(Buffer.from(v2.certificate));
      expect(x.verify(x.publicKey)).toBe(true);
    });
  }
});
