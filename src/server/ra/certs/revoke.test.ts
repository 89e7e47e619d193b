import { describe, expect, it } from "vitest";
import { outcome } from "../../testkit/outcome.js";
import { caAndProfile, issueOne, world, type World } from "../../testkit/world.js";
import type { CertificateRow } from "../../store/cert.repo.js";
import { liftHold, revokeCertificate } from "./revoke.js";

/** One step of a row: a revocation with its input, or a lifted hold. */
type Step = { revoke: string; invalidityDate?: string } | { lift: true };

interface Row {
  name: string;
  selfSigned?: boolean;
  /** Steps that must succeed first. */
  before?: Step[];
  /** Changes to the world just before the step under test. */
  arrange?: (w: World) => void;
  step: Step;
  expect: "ok" | { error: string; violations?: string[] };
  /** The certificate afterwards. */
  after: Partial<Pick<CertificateRow, "status" | "revocation_reason" | "revocation_seq">> & { invalidity?: boolean; holdReleased?: boolean };
  /** Audit entries of the step under test (action:outcome), alert events and revocation-change notices of the whole row. */
  audit: string[];
  events: string[];
  changes: number;
}

const past = "2029-12-01T00:00:00.000Z";
const rows: Row[] = [
  {
    name: "ok/ a revocation records reason, time and the CA's next revocation sequence, audits it, then tells CRL/OCSP and alerts",
    step: { revoke: "KEY_COMPROMISE", invalidityDate: past },
    expect: "ok",
    after: { status: "revoked", revocation_reason: "KEY_COMPROMISE", revocation_seq: "1", invalidity: true },
    audit: ["certificate.revoke:success"],
    events: ["revoked"],
    changes: 1,
  },
  {
    name: "ok/ a certificate on hold may be revoked for good; each change takes the next sequence",
    before: [{ revoke: "CERTIFICATE_HOLD" }],
    step: { revoke: "SUPERSEDED" },
    expect: "ok",
    after: { status: "revoked", revocation_reason: "SUPERSEDED", revocation_seq: "2" },
    audit: ["certificate.revoke:success"],
    events: ["revoked", "revoked"],
    changes: 2,
  },
  {
    name: "ok/ a lifted hold makes the certificate valid again (a delta CRL says removeFromCRL); no alert event",
    before: [{ revoke: "CERTIFICATE_HOLD" }],
    step: { lift: true },
    expect: "ok",
    after: { status: "active", revocation_reason: null, revocation_seq: "2", holdReleased: true },
    audit: ["certificate.lift-hold:success"],
    events: ["revoked"],
    changes: 2,
  },
  {
    name: "ok/ a self-signed certificate has no CA: no sequence, no CRL/OCSP notice",
    selfSigned: true,
    step: { revoke: "CESSATION_OF_OPERATION" },
    expect: "ok",
    after: { status: "revoked", revocation_reason: "CESSATION_OF_OPERATION", revocation_seq: null },
    audit: ["certificate.revoke:success"],
    events: ["revoked"],
    changes: 0,
  },
  {
    name: "fail/ a revoked certificate cannot be revoked again; nothing is written",
    before: [{ revoke: "KEY_COMPROMISE" }],
    step: { revoke: "SUPERSEDED" },
    expect: { error: "conflict" },
    after: { status: "revoked", revocation_reason: "KEY_COMPROMISE", revocation_seq: "1" },
    audit: [],
    events: ["revoked"],
    changes: 1,
  },
  {
    name: "fail/ an invalidity date in the future is refused with its field",
    step: { revoke: "KEY_COMPROMISE", invalidityDate: "2031-01-01T00:00:00Z" },
    expect: { error: "validation", violations: ["invalidityDate:in_the_future"] },
    after: { status: "active", revocation_reason: null, revocation_seq: null },
    audit: [],
    events: [],
    changes: 0,
  },
  {
    name: "fail/ only a certificate on hold can be released",
    before: [{ revoke: "KEY_COMPROMISE" }],
    step: { lift: true },
    expect: { error: "conflict" },
    after: { status: "revoked", revocation_reason: "KEY_COMPROMISE", revocation_seq: "1" },
    audit: [],
    events: ["revoked"],
    changes: 1,
  },
  {
    name: "fail/ an audit write that fails rolls the revocation back: the certificate stays active, no sequence is spent, no one is told",
    arrange: (w) => {
      w.store.misc.audit = async () => {
        throw new Error("disk full");
      };
    },
    step: { revoke: "KEY_COMPROMISE" },
    expect: { error: "unexpected" },
    after: { status: "active", revocation_reason: null, revocation_seq: null },
    audit: [],
    events: [],
    changes: 0,
  },
];

async function run(w: World, c: CertificateRow, step: Step) {
  const ctx = w.as.member;
  if ("lift" in step) return liftHold(w.revokeDeps, ctx, c);
  return revokeCertificate(w.revokeDeps, ctx, c, { reason: step.revoke, invalidityDate: step.invalidityDate });
}

describe("revokeCertificate and liftHold", () => {
  for (const row of rows) {
    it(row.name, async () => {
      const w = world();
      const { caId, profileId } = await caAndProfile(w, { selfSigned: row.selfSigned });
      const issued = await issueOne(w, profileId, "revoke.example.com");
      w.events.length = 0;
      for (const s of row.before ?? []) await run(w, (await w.store.cert.certificateById(issued.id))!, s);
      row.arrange?.(w);
      const auditBefore = w.store.tables.audit.length;

      const r = await outcome(run(w, (await w.store.cert.certificateById(issued.id))!, row.step));

      if (row.expect === "ok") {
        if (!("ok" in r)) throw new Error(`expected success, got ${r.error}: ${r.message}`);
        // The answer is the certificate as stored now.
        expect(r.ok).toEqual(await w.store.cert.certificateById(issued.id));
      } else {
        expect(r).toMatchObject({ error: row.expect.error });
        if ("violations" in r) expect(r.violations).toEqual(row.expect.violations ?? r.violations);
      }
      const c = (await w.store.cert.certificateById(issued.id))!;
      const { invalidity, holdReleased, ...fields } = row.after;
      expect(c).toMatchObject(fields);
      if (invalidity !== undefined) expect(c.invalidity_date?.toISOString()).toBe(past);
      expect(c.hold_released_at !== null).toBe(!!holdReleased);
      if (c.status === "revoked") expect(c.revoked_at).toEqual(w.rt.clock());
      // The CA's revocation sequence moved exactly as far as the certificate's.
      if (!row.selfSigned) expect(w.store.tables.cas.find((x) => x.id === caId)!.revocation_seq).toBe(c.revocation_seq ?? "0");
      const audits = w.store.tables.audit.slice(auditBefore);
      expect(audits.map((a) => `${a.action}:${a.outcome}`)).toEqual(row.audit);
      for (const a of audits) expect(a).toMatchObject({ actorId: "member", objectId: issued.id, detail: expect.objectContaining({ serial: issued.serial }) });
      expect(w.events.map((e) => e.type)).toEqual(row.events);
      expect(w.revocationChanges).toEqual(Array(row.changes).fill(caId));
    });
  }
});
