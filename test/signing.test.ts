import { execFile } from "node:child_process";
import { generateKeyPairSync, randomBytes, randomUUID, sign as cryptoSign } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chainVerifier } from "../src/contract/audit-chain.js";
import { buildLeafTbs, EKU } from "../src/pki/leaf-certificate.js";
import { lintLeafTbs } from "../src/pki/lint.js";
import { encodeName } from "../src/pki/name.js";
import { toPem } from "../src/pki/pem.js";
import { serialFromRandom } from "../src/pki/serial.js";
import { createSigning, type LeafRecord } from "../src/server/ca/signing.js";
import type { Signer } from "../src/server/keys/index.js";
import type { Store } from "../src/server/store/store.js";
import { startServer, type TestServer } from "./helpers/harness.js";
import { createHierarchy, type Hierarchy } from "./helpers/hierarchy.js";

const run = promisify(execFile);
const CERTS = "/api/v1/cert-manager/certificates";

/** An EC P-256 signer over a fresh key; `fail` makes every signature throw (a token that went away). */
function testSigner(fail = false): Signer {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return {
    keyAlgorithm: "EC_prime256v1",
    spki: new Uint8Array(publicKey.export({ type: "spki", format: "der" })),
    async sign(data) {
      if (fail) throw new Error("the token is gone");
      return new Uint8Array(cryptoSign("sha256", data, privateKey));
    },
  };
}

/** A self-signed leaf TBS for `signer` (the signing log's issuer is then null). */
function selfSignedTbs(signer: Signer, cn: string) {
  const serialNumber = serialFromRandom(randomBytes(20));
  const now = Math.floor(Date.now() / 1000) * 1000;
  const notBefore = new Date(now - 60_000);
  const notAfter = new Date(now + 86_400_000);
  const subject = encodeName({ commonName: cn });
  const tbs = buildLeafTbs({ serialNumber, subject, issuer: subject, notBefore, notAfter, spki: signer.spki, issuerSpki: signer.spki, signerAlgorithm: "EC_prime256v1", sans: { dns: [cn] }, keyUsage: ["digitalSignature"], extendedKeyUsage: [EKU.serverAuth], selfSigned: true });
  return { serialNumber, tbs, notBefore, notAfter, lint: (t: Uint8Array) => lintLeafTbs(t, { issuerNotBefore: notBefore, issuerNotAfter: notAfter, selfSigned: true }) };
}

let s: TestServer;
let h: Hierarchy;
/** The server's Kysely handle, for reading tables no repository exposes. */
const rawDb = () => s.server.db.db;

/** The signing log's status for a serial, or undefined when nothing was recorded. */
async function logStatus(serial: string): Promise<string | undefined> {
  const r = await sql<{ status: string }>`select status from signing_log where serial = ${serial}`.execute(rawDb());
  return r.rows[0]?.status;
}

describe("the signing chokepoint (issue 12)", () => {
  beforeAll(async () => {
    s = await startServer();
    h = await createHierarchy(s, "sig", "Signing");
  }, 120_000);
  afterAll(() => s?.close());

  it("ok/ a token signs once; a second use and a token the CA did not make are refused", async () => {
    const signing = createSigning({ store: s.server.store });
    const signer = testSigner();
    const t = selfSignedTbs(signer, "once.sig.test");
    const token = signing.prepare({ issuerCaId: null, kind: "tls-server", subjectId: null, serialNumber: t.serialNumber, tbs: t.tbs, signer, lint: t.lint });
    const der = await signing.signOne(token, async () => {});
    expect(der.length).toBeGreaterThan(t.tbs.length);
    expect(await logStatus(token.serial)).toBe("signed");
    await expect(signing.signOne(token, async () => {})).rejects.toThrow(/already used/);
    await expect(signing.issueLeaf(token, () => ({}) as LeafRecord)).rejects.toThrow(/already used/);
    const forged = { ...token };
    await expect(signing.signOne(forged, async () => {})).rejects.toThrow(/did not prepare/);
    // The one signature verifies with OpenSSL.
    const dir = await mkdtemp(path.join(tmpdir(), "stamp-sig-"));
    try {
      await writeFile(path.join(dir, "c.pem"), toPem(der, "CERTIFICATE"));
      const out = await run("openssl", ["verify", "-x509_strict", "-check_ss_sig", "-CAfile", path.join(dir, "c.pem"), path.join(dir, "c.pem")]);
      expect(out.stdout).toContain("OK");
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("fail/ a TBS that fails lint gets no token and leaves no record", async () => {
    const signing = createSigning({ store: s.server.store });
    const signer = testSigner();
    const t = selfSignedTbs(signer, "lint.sig.test");
    let thrown: unknown;
    try {
      // The lint context says the issuer expired yesterday, so the validity sticks out.
      signing.prepare({ issuerCaId: null, kind: "leaf", subjectId: null, serialNumber: t.serialNumber, tbs: t.tbs, signer, lint: (x) => lintLeafTbs(x, { issuerNotBefore: new Date(0), issuerNotAfter: new Date(Date.now() - 86_400_000), selfSigned: true }) });
    } catch (e) {
      thrown = e;
    }
    expect((thrown as { violations: { code: string }[] }).violations.map((v) => v.code)).toContain("lint_validity_outside_issuer");
    // A TBS naming another algorithm than the signer's is refused too (RFC 5280 §4.1.1.2).
    const rsaTbs = selfSignedTbs(signer, "alg.sig.test");
    expect(() => signing.prepare({ issuerCaId: null, kind: "leaf", subjectId: null, serialNumber: rsaTbs.serialNumber, tbs: rsaTbs.tbs, signer: { ...signer, keyAlgorithm: "EC_secp384r1" }, lint: rsaTbs.lint })).toThrow(/lint/);
    expect(await logStatus(Buffer.from(t.serialNumber).toString("hex"))).toBeUndefined();
  });

  it("fail/ a signer that fails leaves a `failed` record; a commit that fails leaves `abandoned` and no row", async () => {
    const signing = createSigning({ store: s.server.store });
    const bad = testSigner(true);
    const t = selfSignedTbs(bad, "fail.sig.test");
    const token = signing.prepare({ issuerCaId: null, kind: "tls-server", subjectId: null, serialNumber: t.serialNumber, tbs: t.tbs, signer: bad, lint: t.lint });
    await expect(signing.signOne(token, async () => {})).rejects.toThrow(/token is gone/);
    expect(await logStatus(token.serial)).toBe("failed");

    const good = testSigner();
    const t2 = selfSignedTbs(good, "abandon.sig.test");
    const token2 = signing.prepare({ issuerCaId: null, kind: "tls-server", subjectId: null, serialNumber: t2.serialNumber, tbs: t2.tbs, signer: good, lint: t2.lint });
    await expect(
      signing.signOne(token2, async (tx) => {
        await tx.misc.audit({ projectId: null, actorType: "system", actorId: "test", action: "test.rolled-back", objectType: "test", objectId: null, outcome: "success", sourceIp: null, detail: {}, at: new Date() });
        throw new Error("the commit broke");
      }),
    ).rejects.toThrow(/commit broke/);
    expect(await logStatus(token2.serial)).toBe("abandoned");
    const rolledBack = await s.api("GET", "/api/v1/audit-log?action=test.rolled-back", { token: s.adminToken });
    expect(rolledBack.status).toBe(200);
    expect(JSON.stringify(rolledBack.body)).not.toContain("test.rolled-back");
  });

  it("ok/ concurrent leaves share batches; one bad row fails alone; every committed row has its audit entry and the chain verifies", async () => {
    let intentStatements = 0;
    const store = s.server.store;
    const counted: Store = { ...store, ca: { ...store.ca, recordIntents: (rows, opts) => (intentStatements++, store.ca.recordIntents(rows, opts)) } };
    const signing = createSigning({ store: counted });
    const signer = testSigner();
    const project = s.defaultProjectId;
    const ids: string[] = [];
    const dupId = randomUUID();
    const jobs = Array.from({ length: 24 }, (_, i) => {
      const t = selfSignedTbs(signer, `batch${i}.sig.test`);
      const token = signing.prepare({ issuerCaId: null, kind: "leaf", subjectId: null, serialNumber: t.serialNumber, tbs: t.tbs, signer, lint: t.lint });
      // Rows 5 and 6 share an id: the second cannot commit, and must not take the others with it.
      const id = i === 5 || i === 6 ? dupId : randomUUID();
      if (i !== 6) ids.push(id);
      const record = (der: Uint8Array): LeafRecord => ({
        certificate: { id, projectId: project, profileId: null, caId: null, caCertificateId: null, caKeyId: null, serial: token.serial, commonName: `batch${i}.sig.test`, altNames: [{ type: "dns_name", value: `batch${i}.sig.test` }], notBefore: t.notBefore, notAfter: t.notAfter, keyAlgorithm: "EC_prime256v1", keyUsages: ["digital_signature"], extendedKeyUsages: ["server_auth"], certificate: der, chainPem: "", keySource: "csr", keyRef: null, request: {}, renewedFromId: null },
        audit: { projectId: project, actorType: "system", actorId: "test", action: "certificate.issue", objectType: "certificate", objectId: id, outcome: "success", sourceIp: null, detail: { n: i }, at: new Date() },
      });
      return signing.issueLeaf(token, record).then(
        () => ({ i, ok: true, serial: token.serial }),
        (e: Error) => ({ i, ok: false, serial: token.serial, e }),
      );
    });
    const results = await Promise.all(jobs);
    expect(results.filter((r) => !r.ok).map((r) => r.i)).toEqual([6]);
    // The first leaf goes alone; the 23 that queued behind it share far fewer batches.
    expect(intentStatements).toBeLessThan(6);
    for (const r of results) expect(await logStatus(r.serial)).toBe(r.ok ? "signed" : "abandoned");
    for (const id of ids) {
      const page = await s.api("GET", `/api/v1/audit-log?objectId=${id}`, { token: s.adminToken });
      expect(page.status).toBe(200);
      expect(JSON.stringify(page.body)).toContain(id);
    }
    // The whole chain, batched appends included, verifies as `stamp audit verify` checks it.
    const v = chainVerifier();
    let cursor: string | undefined;
    for (;;) {
      const rows = await store.misc.auditServerPage({ order: "asc", limit: 500, cursor });
      for (const r of rows) {
        const brk = v.push({ id: String(r.id), prevHash: r.prev_hash, hash: r.hash, projectId: r.project_id, actorType: r.actor_type, actorId: r.actor_id, action: r.action, objectType: r.object_type, objectId: r.object_id, outcome: r.outcome, sourceIp: r.source_ip, createdAt: new Date(r.created_at).toISOString(), detail: r.detail });
        expect(brk).toBeNull();
      }
      if (rows.length < 500) break;
      cursor = String(rows[rows.length - 1].id);
    }
    expect(v.state.count).toBeGreaterThan(24);
  });

  it("ok/ every certificate the server made through the API has a `signed` record, under concurrency", async () => {
    const csrFree = Array.from({ length: 20 }, (_, i) => s.api("POST", CERTS, { token: s.adminToken, body: { profileId: h.profileId, attributes: { commonName: `api${i}.sig.test`, altNames: [{ type: "dns_name", value: `api${i}.sig.test` }], ttl: "1d" } } }));
    const answers = await Promise.all(csrFree);
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).toBe(200);
    const orphans = await sql<{ n: string }>`
      select count(*)::text as n from certificates c
      where not exists (select 1 from signing_log l where l.serial = c.serial and l.issuer_ca_id is not distinct from c.ca_id and l.status = 'signed')`.execute(rawDb());
    expect(orphans.rows[0].n).toBe("0");
    const caOrphans = await sql<{ n: string }>`
      select count(*)::text as n from ca_certificates c
      where not exists (select 1 from signing_log l where l.serial = c.serial and l.status = 'signed' and (l.issuer_ca_id = c.issuer_ca_id or l.issuer_ca_id = c.ca_id))`.execute(rawDb());
    expect(caOrphans.rows[0].n).toBe("0");
    const issued = await sql<{ n: string }>`select count(*)::text as n from certificates where common_name like 'api%.sig.test'`.execute(rawDb());
    expect(issued.rows[0].n).toBe("20");
  });
});
