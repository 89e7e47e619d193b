import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { buildCaTbs } from "../../pki/ca-certificate.js";
import { encodeName } from "../../pki/name.js";
import { serialFromRandom } from "../../pki/serial.js";
import { makeCsr } from "../testkit/csr.js";
import type { MemoryRepos } from "../testkit/memory-store.js";
import { outcome } from "../testkit/outcome.js";
import { caAndProfile, world, type World } from "../testkit/world.js";
import { issueCertificate } from "../ra/certs/issue.js";
import type { SigningRequest } from "./signing.js";

/** A self-signed CA TBS and the request that may sign it (kind tls-ca: no issuer row needed). */
async function request(w: World, over: Partial<SigningRequest> = {}): Promise<SigningRequest> {
  const { ref, spki } = await w.keys.keys.generate("EC_prime256v1", "tls-ca:test", "software");
  const signer = await w.keys.keys.signer(ref, "EC_prime256v1");
  const serialNumber = serialFromRandom(w.rt.random(20));
  const subject = encodeName({ commonName: "Signing test" });
  const now = w.rt.clock();
  const tbs = buildCaTbs({ serialNumber, subject, issuer: subject, notBefore: now, notAfter: new Date(now.getTime() + 86_400_000), spki, issuerSpki: spki, signerAlgorithm: "EC_prime256v1", pathLength: null, selfSigned: true });
  return { issuerCaId: null, kind: "tls-ca", subjectId: null, serialNumber, tbs, signer, lint: () => [], ...over };
}

/** A commit that writes an audit row (the "certificate's rows") and then, when asked, fails. */
const commitThat = (fail: boolean) => async (tx: MemoryRepos) => {
  await tx.misc.audit({ projectId: null, actorType: "system", actorId: "test", action: "test.commit", objectType: "certificate", objectId: null, outcome: "success", sourceIp: null, detail: {}, at: new Date(0) });
  if (fail) throw new Error("commit failed");
};

interface Row {
  name: string;
  arrange?: (w: World) => void;
  /** Changes the request before prepare. */
  request?: (r: SigningRequest) => Partial<SigningRequest>;
  commitFails?: boolean;
  /** Sign with the same token twice. */
  twice?: boolean;
  expect: "signed" | { error: string; violations?: string[] };
  /** The signing log afterwards, the rows the commit left, and the order of what happened. */
  log: string[];
  rows: number;
  journal: string[];
}

const rows: Row[] = [
  { name: "ok/ intent (committed) → signature → the caller's rows and the `signed` outcome in one transaction", expect: "signed", log: ["signed"], rows: 1, journal: ["intent", "sign", "audit", "outcome:signed"] },
  { name: "fail/ a failing signer: `failed`, and the commit never runs", arrange: (w) => w.keys.failSigning(), expect: { error: "unexpected" }, log: ["failed"], rows: 0, journal: ["intent", "sign-failed", "outcome:failed"] },
  { name: "fail/ a commit that throws rolls its rows back; the unused signature is `abandoned`", commitFails: true, expect: { error: "unexpected" }, log: ["abandoned"], rows: 0, journal: ["intent", "sign", "audit", "rollback", "outcome:abandoned"] },
  { name: "fail/ a token signs once: the second use is refused before any intent", twice: true, expect: { error: "internal" }, log: ["signed"], rows: 1, journal: ["intent", "sign", "audit", "outcome:signed"] },
  {
    name: "fail/ lint violations stop prepare: no token, no intent, every violation listed",
    request: () => ({ lint: () => [{ field: "certificate", code: "lint_aki_missing", message: "a" }, { field: "certificate", code: "lint_ca_subject_empty", message: "b" }] }),
    expect: { error: "validation", violations: ["certificate:lint_aki_missing", "certificate:lint_ca_subject_empty"] },
    log: [],
    rows: 0,
    journal: [],
  },
  {
    name: "fail/ a TBS naming another signature algorithm than the signer's is refused (RFC 5280 §4.1.1.2)",
    request: (r) => ({ tbs: buildCaTbs({ serialNumber: r.serialNumber, subject: encodeName({ commonName: "x" }), issuer: encodeName({ commonName: "x" }), notBefore: new Date(0), notAfter: new Date(86_400_000), spki: r.signer.spki, issuerSpki: r.signer.spki, signerAlgorithm: "EC_secp384r1", pathLength: null, selfSigned: true }) }),
    expect: { error: "validation", violations: ["certificate:lint_signature_algorithm"] },
    log: [],
    rows: 0,
    journal: [],
  },
];

describe("signing chokepoint: signOne", () => {
  for (const row of rows) {
    it(row.name, async () => {
      const w = world();
      const base = await request(w);
      const req = { ...base, ...row.request?.(base) };
      row.arrange?.(w);
      w.journal.clear();
      const r = await outcome(
        (async () => {
          const token = w.signing.prepare(req);
          const der = await w.signing.signOne(token, commitThat(!!row.commitFails));
          if (row.twice) await w.signing.signOne(token, commitThat(false));
          return der;
        })(),
      );
      if (row.expect === "signed") {
        if (!("ok" in r)) throw new Error(`expected a signature, got ${r.error}: ${r.message}`);
        const x = new X509Certificate(Buffer.from(r.ok));
        expect(x.verify(x.publicKey)).toBe(true);
      } else {
        expect(r).toMatchObject({ error: row.expect.error });
        if (row.expect.violations && "violations" in r) expect(r.violations).toEqual(row.expect.violations);
      }
      expect(w.store.tables.signingLog.map((s) => s.status)).toEqual(row.log);
      expect(w.store.tables.audit.filter((a) => a.action === "test.commit")).toHaveLength(row.rows);
      expect(w.journal.entries.map((e) => e.replace(/^(intent|sign|sign-failed|audit|outcome:\w+):.*$/, "$1"))).toEqual(row.journal);
    });
  }

  it("fail/ a token this module did not make is refused", async () => {
    const w = world();
    const forged = Object.freeze({ serial: "01", issuerCaId: null, kind: "leaf" as const, subjectId: null });
    expect(await outcome(w.signing.signOne(forged, commitThat(false)))).toMatchObject({ error: "internal" });
    expect(w.store.tables.signingLog).toEqual([]);
  });
});

describe("signing chokepoint: group-committed leaves", () => {
  /** Three concurrent issuances from CSRs; `bad` names the one the test breaks. */
  async function three(w: World, profileId: string) {
    const names = ["a.example.com", "bad.example.com", "c.example.com"];
    const csrs = names.map((n) => makeCsr(n).pem);
    w.journal.clear();
    return Promise.all(names.map((n, i) => outcome(issueCertificate(w.issueDeps, w.as.member, { profileId, csr: csrs[i], attributes: { commonName: n, altNames: [{ type: "dns_name", value: n }], ttl: "30d" }, removeRootsFromChain: false }))));
  }
  const statusOf = (w: World, cn: string) => {
    const subject = w.store.tables.certificates.find((c) => c.common_name === cn)?.id;
    return w.store.tables.signingLog.filter((s) => s.kind === "leaf" && (subject ? s.subject_id === subject : !w.store.tables.certificates.some((c) => c.id === s.subject_id))).map((s) => s.status);
  };

  it("fail/ one failing signature fails alone: its neighbours are committed, it is recorded `failed`", async () => {
    const w = world();
    const { profileId } = await caAndProfile(w);
    let n = 0;
    w.keys.failSigning(() => ++n === 2);
    const r = await three(w, profileId);
    expect(r.map((x) => ("ok" in x ? "issued" : x.error))).toEqual(["issued", "unexpected", "issued"]);
    expect(w.store.tables.signingLog.filter((s) => s.kind === "leaf").map((s) => s.status).sort()).toEqual(["failed", "signed", "signed"]);
    expect(w.store.tables.certificates.map((c) => c.common_name).sort()).toEqual(["a.example.com", "c.example.com"]);
    expect(w.store.tables.audit.filter((a) => a.action === "certificate.issue" && a.outcome === "success")).toHaveLength(2);
  });

  it("fail/ one row the commit refuses does not fail its batch: the others are committed one by one, it is `abandoned`", async () => {
    const w = world();
    const { profileId } = await caAndProfile(w);
    const commitLeaves = w.store.issuance.commitLeaves;
    const batches: number[] = [];
    w.store.issuance.commitLeaves = async (leaves, failed) => {
      batches.push(leaves.length);
      if (leaves.some((l) => l.certificate.commonName === "bad.example.com")) throw new Error("check constraint");
      return commitLeaves(leaves, failed);
    };
    const r = await three(w, profileId);
    expect(r.map((x) => ("ok" in x ? "issued" : x.error))).toEqual(["issued", "unexpected", "issued"]);
    expect(statusOf(w, "a.example.com")).toEqual(["signed"]);
    expect(statusOf(w, "c.example.com")).toEqual(["signed"]);
    expect(statusOf(w, "bad.example.com")).toEqual(["abandoned"]);
    expect(w.store.tables.certificates.map((c) => c.common_name).sort()).toEqual(["a.example.com", "c.example.com"]);
    // Whether the three shared a batch depends on timing; when they did, each was retried on its own.
    if (batches[0] === 3) expect(batches.slice(1).sort()).toEqual([1, 1, 1]);
  });
});
