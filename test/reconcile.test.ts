import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createReconciliation } from "../src/server/ra/reconcile.js";
import { startServer, type TestServer } from "./helpers/harness.js";

const CERTS = "/api/v1/cert-manager/certificates";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const randomSerial = () => randomUUID().replace(/-/g, "");

// Crash reconciliation (issue 13 item 6) with the crash's leftovers written straight into the
// store: open signing records, and a certificate whose issuing answer was never written.
describe("crash reconciliation", () => {
  let s: TestServer;
  let caId = "";
  let profileId = "";

  beforeAll(async () => {
    s = await startServer({ args: ["--reconcile-grace", "2"] });
    const t = s.adminToken;
    const ca = await s.api("POST", "/api/v1/cert-manager/ca/internal", { token: t, body: { projectId: s.defaultProjectId, name: "rec-root", configuration: { type: "root", commonName: "Reconcile Root", keyAlgorithm: "EC_prime256v1" } } });
    caId = ca.body.id;
    const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: s.defaultProjectId, name: "rec-tpl", preset: "tls-server" } });
    const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: s.defaultProjectId, slug: "rec", templateId: tpl.body.certificateTemplate.id, caId } });
    expect(prof.status, JSON.stringify(prof.body)).toBe(200);
    profileId = prof.body.certificateProfile.id;
  }, 60_000);
  afterAll(() => s?.close());

  const issue = async (cn: string) => {
    const r = await s.api("POST", CERTS, { token: s.adminToken, body: { profileId, attributes: { commonName: cn, ttl: "1d" } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.certificate as { certificateId: string; serialNumber: string };
  };
  /** A copy of certificate `id` under a new id and serial, as if committed by a crashed server. */
  const copyOf = async (id: string, delivery?: "pending") => {
    const c = (await s.server.store.cert.certificateById(id))!;
    const copy = { id: randomUUID(), serial: randomSerial() };
    await s.server.store.cert.insertCertificate({
      ...copy, projectId: c.project_id, profileId: c.profile_id, caId: c.ca_id, caCertificateId: c.ca_certificate_id, caKeyId: c.ca_key_id, commonName: c.common_name,
      altNames: c.alt_names as never, notBefore: c.not_before, notAfter: c.not_after, keyAlgorithm: c.key_algorithm, keyUsages: c.key_usages as never, extendedKeyUsages: c.extended_key_usages as never,
      certificate: c.certificate, chainPem: c.chain_pem, keySource: c.key_source, keyRef: c.key_ref, request: c.request as never, renewedFromId: null, delivery,
    });
    return copy;
  };
  const view = async () => {
    const r = await s.api("GET", "/api/v1/reconciliation", { token: s.adminToken });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };

  it("ok/ an answered issuance is confirmed delivered; nothing is left open", async () => {
    const c = await issue("delivered.rec.test");
    await sleep(600); // confirmations are written in batches every 250 ms
    expect((await s.server.store.cert.certificateById(c.certificateId))!.delivery).toBeNull();
    // The pending row the issuance wrote (migration 0020) is gone once the answer was written.
    const pending = await s.server.db.db.selectFrom("pending_deliveries").select("certificate_id").where("certificate_id", "=", c.certificateId).execute();
    expect(pending).toEqual([]);
    const v = await view();
    expect(v.counts.intended).toBe(0);
    expect(v.unconfirmedCertificates.map((u: { id: string }) => u.id)).not.toContain(c.certificateId);
  });

  it("ok/ a client that hangs up before the answer: the certificate is committed and, past the grace period, reported unconfirmed", async () => {
    const net = await import("node:net");
    // An RSA-4096 key takes the server a good while to make: the client is long gone by then.
    const body = JSON.stringify({ profileId, attributes: { commonName: "hangup.rec.test", ttl: "1d", keyAlgorithm: "RSA_4096" } });
    const port = new URL(s.url).port;
    await new Promise<void>((resolve, reject) => {
      const sock = net.connect(Number(port), "127.0.0.1", () => {
        sock.write(`POST ${CERTS} HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${s.adminToken}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
        setTimeout(() => {
          sock.destroy();
          resolve();
        }, 40);
      });
      sock.on("error", reject);
    });
    // The server goes on and commits the certificate; its answer has nowhere to go.
    let row: { id: string; delivery: string | null } | undefined;
    for (let i = 0; i < 100 && !row; i++) {
      await sleep(100);
      const page = await s.server.store.cert.list({ projectId: s.defaultProjectId, now: new Date(), limit: 5 } as never);
      row = page.find((c) => c.common_name === "hangup.rec.test") as never;
    }
    expect(row, "the certificate was never committed").toBeDefined();
    await sleep(2200);
    await s.server.jobs.runNow("reconcile");
    expect((await s.server.store.cert.certificateById(row!.id))!.delivery).toBe("unconfirmed");
    expect((await view()).unconfirmedCertificates.map((u: { id: string }) => u.id)).toContain(row!.id);
  });

  it("ok/ open records past the grace period: found → signed, none → abandoned; a young one is left alone; audited and reported", async () => {
    const base = await issue("base.rec.test");
    const store = s.server.store;
    // Left by a crash: an intent whose certificate was committed, and one whose never was.
    const committed = await copyOf(base.certificateId);
    await store.ca.recordIntents([{ issuerCaId: caId, serial: committed.serial, kind: "leaf", subjectId: committed.id }]);
    const lost = { id: randomUUID(), serial: randomSerial() };
    await store.ca.recordIntents([{ issuerCaId: caId, serial: lost.serial, kind: "leaf", subjectId: lost.id }]);
    // A certificate committed and answered for, whose answer was never written.
    const unanswered = await copyOf(base.certificateId, "pending");
    await sleep(2200);
    // A signing in flight right now: younger than the grace period.
    const young = randomSerial();
    await store.ca.recordIntents([{ issuerCaId: caId, serial: young, kind: "leaf", subjectId: randomUUID() }]);

    const before = await view();
    expect(before.counts.intendedPastGrace).toBe(2);
    await s.server.jobs.runNow("reconcile");

    const v = await view();
    expect(v.counts.intendedPastGrace).toBe(0);
    expect(v.intended.map((r: { serial: string }) => r.serial)).toEqual([young]);
    expect(v.abandoned.map((r: { serial: string }) => r.serial)).toContain(lost.serial);
    expect(v.abandoned.map((r: { serial: string }) => r.serial)).not.toContain(committed.serial);
    const lostRow = v.abandoned.find((r: { serial: string }) => r.serial === lost.serial);
    expect(lostRow).toMatchObject({ kind: "leaf", issuerCaId: caId, subjectId: lost.id, status: "abandoned" });
    expect(lostRow.resolvedAt).not.toBeNull();
    expect(v.unconfirmedCertificates).toEqual(expect.arrayContaining([expect.objectContaining({ id: unanswered.id, serial: unanswered.serial, keySource: "server", projectId: s.defaultProjectId })]));
    expect(v.counts.unconfirmed).toBe(before.counts.unconfirmed + 1);
    // The certificate stays readable by id: its owner can fetch it (or revoke it).
    expect((await s.api("GET", `${CERTS}/${unanswered.id}`, { token: s.adminToken })).status).toBe(200);

    const audit = await s.api("GET", "/api/v1/audit-log?limit=50", { token: s.adminToken });
    const rec = audit.body.auditLogs.find((e: { action: string }) => e.action === "signing-log.reconcile");
    expect(rec.actorType).toBe("system");
    expect(rec.detail.signed).toEqual([committed.serial]);
    expect(rec.detail.abandoned.map((a: { serial: string }) => a.serial)).toEqual([lost.serial]);
    const project = await s.api("GET", `/api/v1/projects/${s.defaultProjectId}/audit-logs?limit=50&objectId=${unanswered.id}`, { token: s.adminToken });
    expect(project.body.auditLogs.map((e: { action: string }) => e.action)).toContain("certificate.unconfirmed-delivery");

    // Settled once: a second pass changes nothing and audits nothing new.
    await s.server.jobs.runNow("reconcile");
    const again = await s.api("GET", "/api/v1/audit-log?limit=50", { token: s.adminToken });
    expect(again.body.auditLogs.filter((e: { action: string }) => e.action === "signing-log.reconcile").length).toBe(1);
  });

  it("fail/ one record that cannot be read never stops the others; the next pass retries it", async () => {
    const store = s.server.store;
    const bad = randomSerial();
    const good = randomSerial();
    await store.ca.recordIntents([{ issuerCaId: caId, serial: bad, kind: "leaf", subjectId: randomUUID() }]);
    await store.ca.recordIntents([{ issuerCaId: caId, serial: good, kind: "leaf", subjectId: randomUUID() }]);
    await sleep(2200);
    const logged: string[] = [];
    const broken = { ...store, reconcile: { ...store.reconcile, wasRecorded: async (r: { serial: string }) => (r.serial === bad ? Promise.reject(new Error("boom")) : store.reconcile.wasRecorded(r as never)) } };
    const rec = createReconciliation({ store: broken as never, rt: { clock: () => new Date(), random: () => Buffer.alloc(0), uuid: randomUUID }, graceSeconds: 2, batchSize: 1000, log: (m) => logged.push(m) });
    const p = await rec.pass();
    expect(p.failed).toBe(1);
    expect(logged.join("\n")).toContain(bad);
    const v = await view();
    expect(v.intended.map((r: { serial: string }) => r.serial)).toContain(bad);
    expect(v.abandoned.map((r: { serial: string }) => r.serial)).toContain(good);
    // The operator's lines: what a pass did, and at start what is still open.
    expect(rec.describe(p)).toMatch(/[1-9]\d* unfinished signing\(s\) marked abandoned .* see GET \/api\/v1\/reconciliation/);
    expect(rec.describe({ signed: 0, abandoned: 0, unconfirmed: 0, failed: 0, more: false, stillOpen: 2 }, true)).toMatch(/2 signing record\(s\) still open at start/);
    expect(rec.describe({ signed: 0, abandoned: 0, unconfirmed: 0, failed: 0, more: false, stillOpen: 2 })).toBeNull();
    // Bounded: a batch of one settles one record and says there is more.
    const small = createReconciliation({ store, rt: { clock: () => new Date(), random: () => Buffer.alloc(0), uuid: randomUUID }, graceSeconds: 2, batchSize: 1 });
    expect(await small.pass()).toMatchObject({ abandoned: 1, more: true });
    expect((await view()).counts.intendedPastGrace).toBe(0);
  });
});
