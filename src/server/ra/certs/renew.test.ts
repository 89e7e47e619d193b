import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { makeCsr } from "../../testkit/csr.js";
import { outcome } from "../../testkit/outcome.js";
import { caAndProfile, issueOne, world, type World } from "../../testkit/world.js";
import type { CertificateRow } from "../../store/cert.repo.js";
import { renewCertificate, type RenewInput } from "./renew.js";
import { revokeCertificate } from "./revoke.js";

interface Row {
  name: string;
  /** Issue the original from a CSR. */
  fromCsr?: boolean;
  arrange?: (w: World, c: CertificateRow) => Promise<void> | void;
  /** Renew without the profile (deleted). */
  noProfile?: boolean;
  body: RenewInput | ((w: World) => RenewInput);
  expect: { key: "same" | "new" | "csr" } | { error: string; violations?: string[] };
  /** Signing-log statuses written by the renewal, and certificates stored afterwards. */
  signingLog: string[];
  certificates: number;
  audit: string[];
  events: string[];
}

const DAY = 86_400_000;
const rows: Row[] = [
  {
    name: "ok/ a new key by default: a new certificate linked both ways, the same names and lifetime from now",
    body: {},
    expect: { key: "new" },
    signingLog: ["signed"],
    certificates: 2,
    audit: ["certificate.renew:success"],
    events: ["renewed"],
  },
  {
    name: "ok/ renewalKeySource reuse keeps the server-held key",
    body: { renewalKeySource: "reuse" },
    expect: { key: "same" },
    signingLog: ["signed"],
    certificates: 2,
    audit: ["certificate.renew:success"],
    events: ["renewed"],
  },
  {
    name: "ok/ a CSR-issued certificate renews with a new CSR",
    fromCsr: true,
    body: () => ({ renewalKeySource: "csr", csr: makeCsr("renew.example.com").pem }),
    expect: { key: "csr" },
    signingLog: ["signed"],
    certificates: 2,
    audit: ["certificate.renew:success"],
    events: ["renewed"],
  },
  {
    name: "fail/ a CSR-issued certificate without a CSR is told to send one",
    fromCsr: true,
    body: {},
    expect: { error: "validation", violations: ["csr:required"] },
    signingLog: [],
    certificates: 1,
    audit: [],
    events: [],
  },
  {
    name: "fail/ a revoked certificate is not renewed",
    arrange: async (w, c) => void (await revokeCertificate(w.revokeDeps, w.as.member, c, { reason: "KEY_COMPROMISE" })),
    body: {},
    expect: { error: "conflict" },
    signingLog: [],
    certificates: 1,
    audit: [],
    events: [],
  },
  {
    name: "fail/ a certificate already renewed is not renewed twice",
    arrange: async (w, c) => void (await renewCertificate(w.issueDeps, w.as.member, c, (await w.store.cert.profileById(c.profile_id!))!, {})),
    body: {},
    expect: { error: "conflict" },
    signingLog: [],
    certificates: 2,
    audit: [],
    events: [],
  },
  {
    name: "fail/ a certificate whose profile was deleted is not renewed",
    noProfile: true,
    body: {},
    expect: { error: "conflict" },
    signingLog: [],
    certificates: 1,
    audit: [],
    events: [],
  },
  {
    name: "fail/ a failing signer leaves a `failed` record; the old certificate stays unrenewed",
    arrange: (w) => w.keys.failSigning((label) => label.startsWith("ca:")),
    body: {},
    expect: { error: "unexpected" },
    signingLog: ["failed"],
    certificates: 1,
    audit: [],
    events: [],
  },
];

describe("renewCertificate", () => {
  for (const row of rows) {
    it(row.name, async () => {
      const w = world();
      const { profileId } = await caAndProfile(w);
      const csr = row.fromCsr ? makeCsr("renew.example.com").pem : undefined;
      const old = await issueOne(w, profileId, "renew.example.com", { csr, ttl: "30d" });
      w.rt.advance(20 * DAY);
      await row.arrange?.(w, old);
      w.events.length = 0;
      const logBefore = w.store.tables.signingLog.length;
      const auditBefore = w.store.tables.audit.length;
      const c = (await w.store.cert.certificateById(old.id))!;
      const profile = row.noProfile ? undefined : await w.store.cert.profileById(profileId);
      const body = typeof row.body === "function" ? row.body(w) : row.body;

      const r = await outcome(renewCertificate(w.issueDeps, w.as.member, c, profile, body));

      const t = w.store.tables;
      expect(t.signingLog.slice(logBefore).map((s) => s.status)).toEqual(row.signingLog);
      expect(t.certificates).toHaveLength(row.certificates);
      expect(t.audit.slice(auditBefore).map((a) => `${a.action}:${a.outcome}`)).toEqual(row.audit);
      expect(w.events.map((e) => e.type)).toEqual(row.events);
      if ("error" in row.expect) {
        expect(r).toMatchObject({ error: row.expect.error });
        if (row.expect.violations && "violations" in r) expect(r.violations).toEqual(row.expect.violations);
        if (row.certificates === 1) expect((await w.store.cert.certificateById(old.id))!.renewed_by_id).toBeNull();
        return;
      }
      if (!("ok" in r) || !("certificate" in r.ok) || !r.ok.certificate) throw new Error(`expected a renewal, got ${JSON.stringify(r)}`);
      const fresh = (await w.store.cert.certificateById(r.ok.certificate.certificateId))!;
      const before = (await w.store.cert.certificateById(old.id))!;
      // Linked both ways, in the same commit.
      expect(fresh.renewed_from_id).toBe(old.id);
      expect(before.renewed_by_id).toBe(fresh.id);
      // Same names and lifetime, counted from now (the clock moved 20 days).
      expect(fresh.common_name).toBe(old.common_name);
      expect(fresh.alt_names).toEqual(old.alt_names);
      expect(fresh.not_after.getTime() - fresh.not_before.getTime()).toBe(old.not_after.getTime() - old.not_before.getTime());
      expect(fresh.not_after.getTime()).toBeGreaterThan(old.not_after.getTime() + 19 * DAY);
      const spki = (row: CertificateRow) => new X509Certificate(Buffer.from(row.certificate)).publicKey.export({ type: "spki", format: "der" }).toString("hex");
      const k = row.expect.key;
      expect(spki(fresh) === spki(old)).toBe(k === "same");
      expect(fresh.key_source).toBe(k === "csr" ? "csr" : "server");
      if (k === "same") expect(fresh.key_ref).toEqual(old.key_ref);
      expect(r.ok.certificate.privateKey === undefined).toBe(k !== "new");
      expect(t.audit.at(-1)).toMatchObject({ objectId: fresh.id, detail: expect.objectContaining({ renewedFrom: old.id }) });
    });
  }
});
