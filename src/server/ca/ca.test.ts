import { X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseCsr } from "../../pki/csr.js";
import { encodeName } from "../../pki/name.js";
import { generateKeyPairFor } from "../../keygen.js";
import { outcome } from "../testkit/outcome.js";
import { addCa, world, type World } from "../testkit/world.js";
import type { CaCommit } from "../shared-types.js";

const DAY = 86_400_000;
const spki = () => new Uint8Array(generateKeyPairFor("EC_prime256v1").publicKey.export({ type: "spki", format: "der" }));

interface Row {
  name: string;
  /** The issuer: an active root, or a CA still waiting for its certificate. */
  issuer: "root" | "pending";
  notAfterDays: number;
  pathLength?: number | null;
  expect: "signed" | { error: string; violations?: string[] };
  log: string[];
}

const rows: Row[] = [
  { name: "ok/ a subordinate inside the issuer's validity is signed, with the issuer's chain and CA:TRUE", issuer: "root", notAfterDays: 365, pathLength: 0, expect: "signed", log: ["external-ca:signed"] },
  { name: "fail/ the CA re-checks, whatever the RA decided: a CA certificate never outlives its issuer; nothing is recorded", issuer: "root", notAfterDays: 20 * 365, expect: { error: "validation", violations: ["notAfter:outlives_issuer"] }, log: [] },
  { name: "fail/ an issuer without a certificate cannot sign", issuer: "pending", notAfterDays: 30, expect: { error: "conflict" }, log: [] },
];

describe("CA certificates (ca/ca.ts)", () => {
  for (const row of rows) {
    it(row.name, async () => {
      const w: World = world();
      const issuerId = row.issuer === "root" ? await addCa(w) : await addCa(w, { configuration: { type: "intermediate", commonName: "Pending" } });
      const before = w.store.tables.signingLog.length;
      const commits: string[] = [];
      const commit: CaCommit = async (_tx, s) => void commits.push(s.serial);
      const now = w.rt.clock();

      const r = await outcome(w.ca.signCaCertificate(issuerId, { subject: encodeName({ commonName: "Outside Sub" }), spki: spki(), notBefore: now, notAfter: new Date(now.getTime() + row.notAfterDays * DAY), pathLength: row.pathLength ?? null }, "external-ca", null, commit));

      expect(w.store.tables.signingLog.slice(before).map((s) => `${s.kind}:${s.status}`)).toEqual(row.log);
      if (row.expect !== "signed") {
        expect(r).toMatchObject({ error: row.expect.error });
        if (row.expect.violations && "violations" in r) expect(r.violations).toEqual(row.expect.violations);
        expect(commits).toEqual([]);
        return;
      }
      if (!("ok" in r)) throw new Error(`expected a signature, got ${r.error}: ${r.message}`);
      expect(commits).toEqual([r.ok.serial]);
      const x = new X509Certificate(Buffer.from(r.ok.certificate));
      const issuer = new X509Certificate(r.ok.chainPem);
      expect(x.verify(issuer.publicKey)).toBe(true);
      expect(x.ca).toBe(true);
      expect(x.serialNumber.toLowerCase().replace(/^0+/, "")).toBe(r.ok.serial.replace(/^0+/, ""));
    });
  }

  it("ok/ a CSR for an outside-signed CA is signed by its own key and records no signature (a CSR is not a certificate)", async () => {
    const w = world();
    const caId = await addCa(w, { configuration: { type: "intermediate", commonName: "Outside" } });
    const key = w.store.tables.caKeys.find((k) => k.ca_id === caId)!;
    const before = w.store.tables.signingLog.length;
    const csr = parseCsr(await w.ca.makeCsr(key.id, encodeName({ commonName: "Outside" })));
    expect(csr.signatureValid).toBe(true);
    expect(Buffer.from(csr.spki).equals(Buffer.from(key.spki))).toBe(true);
    expect(w.store.tables.signingLog.length).toBe(before);
  });
});
