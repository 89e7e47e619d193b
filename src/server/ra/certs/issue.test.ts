import { createPrivateKey, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { makeCsr } from "../../testkit/csr.js";
import { outcome } from "../../testkit/outcome.js";
import { addCa, addProfile, addTemplate, world, type World } from "../../testkit/world.js";
import { issueCertificate, type IssueInput } from "./issue.js";
import type { TemplateInput } from "../../../policy/template.js";
import type { Role } from "../../store/schema.js";

/** What a row expects to find recorded after the call. */
interface Recorded {
  /** Signing-log statuses, oldest first. */
  signingLog: string[];
  certificates: number;
  /** Audit entries as action:outcome. */
  audit: string[];
  /** Statuses of certificate requests kept (refusals). */
  requests: string[];
  events: string[];
}

interface Row {
  name: string;
  as?: Role | "outsider";
  template?: TemplateInput;
  profile?: { selfSigned?: boolean; enrollment?: string[]; defaults?: Record<string, unknown>; autoRenew?: boolean; renewBeforeDays?: number };
  /** Changes to the world before the call (after the CA and profile exist). */
  arrange?: (w: World, ids: { caId: string; profileId: string }) => Promise<void> | void;
  input: (w: World) => Omit<IssueInput, "profileId"> | Promise<Omit<IssueInput, "profileId">>;
  preview?: boolean;
  /** "issued" (or "preview"), or the error kind and every violation listed. */
  expect: "issued" | "preview" | { error: string; violations?: string[] };
  recorded: Recorded;
}

const nothing: Recorded = { signingLog: [], certificates: 0, audit: [], requests: [], events: [] };
const api = (commonName: string, more: Partial<IssueInput["attributes"]> = {}) => ({ attributes: { commonName, altNames: [{ type: "dns_name" as const, value: commonName }], ttl: "30d", ...more }, removeRootsFromChain: false });
const strict: TemplateInput = { subject: [{ type: "common_name", allowed: ["*.example.com"] }], sans: [{ type: "dns_name", allowed: ["*.example.com"] }], algorithms: { keyAlgorithm: ["EC_prime256v1"] }, validity: { max: "90d" } };

const rows: Row[] = [
  {
    name: "ok/ a member issues with a server-made key: intent, signature, certificate, signed outcome and audit entry, in that order",
    input: () => api("api.example.com"),
    expect: "issued",
    recorded: { signingLog: ["signed"], certificates: 1, audit: ["certificate.issue:success"], requests: [], events: ["issued"] },
  },
  {
    name: "ok/ a CSR's key is kept out of Stamp (no private key returned)",
    input: () => ({ ...api("csr.example.com"), csr: makeCsr("csr.example.com").pem }),
    expect: "issued",
    recorded: { signingLog: ["signed"], certificates: 1, audit: ["certificate.issue:success"], requests: [], events: ["issued"] },
  },
  {
    name: "ok/ a self-signed profile signs with the certificate's own key (no issuer in the signing log)",
    profile: { selfSigned: true },
    input: () => api("self.example.com"),
    expect: "issued",
    recorded: { signingLog: ["signed"], certificates: 1, audit: ["certificate.issue:success"], requests: [], events: ["issued"] },
  },
  {
    name: "ok/ a preview builds and lints the TBS but signs and records nothing",
    preview: true,
    input: () => api("preview.example.com"),
    expect: "preview",
    recorded: nothing,
  },
  {
    name: "fail/ every broken template rule is listed at once; the refusal is audited and kept as a failed request; nothing is signed",
    template: strict,
    input: () => api("api.example.org", { ttl: "400d", keyAlgorithm: "RSA_2048" }),
    expect: { error: "validation", violations: ["attributes.keyAlgorithm:key_algorithm_not_allowed", "attributes.commonName:not_allowed", "attributes.altNames[0]:not_allowed", "attributes.ttl:validity_too_long"] },
    recorded: { ...nothing, audit: ["certificate.issue:failure"], requests: ["failed"] },
  },
  {
    name: "fail/ a refused preview is audited but keeps no request",
    template: strict,
    preview: true,
    input: () => api("api.example.org"),
    expect: { error: "validation", violations: ["attributes.commonName:not_allowed", "attributes.altNames[0]:not_allowed"] },
    recorded: { ...nothing, audit: ["certificate.preview:failure"] },
  },
  {
    name: "fail/ an unreadable CSR is one violation, audited and kept",
    input: () => ({ ...api("x.example.com"), csr: "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----" }),
    expect: { error: "validation", violations: ["csr:unparseable"] },
    recorded: { ...nothing, audit: ["certificate.issue:failure"], requests: ["failed"] },
  },
  {
    name: "fail/ a CSR carrying a CA's own key is refused",
    input: async (w) => {
      const key = w.store.tables.caKeys[0];
      const pkcs8 = await w.keys.software.exportPrivateKey(key.key_ref as never, "EC_prime256v1");
      return { ...api("reuse.example.com"), csr: makeCsr("reuse.example.com", { key: createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }) }).pem };
    },
    expect: { error: "validation", violations: ["csr:key_is_ca_key"] },
    recorded: { ...nothing, audit: ["certificate.issue:failure"], requests: ["failed"] },
  },
  {
    name: "fail/ a self-signed profile refuses a CSR (the server must hold the key that signs)",
    profile: { selfSigned: true },
    input: () => ({ ...api("self.example.com"), csr: makeCsr("self.example.com").pem }),
    expect: { error: "validation", violations: ["csr:self_signed_needs_server_key"] },
    recorded: { ...nothing, audit: ["certificate.issue:failure"], requests: ["failed"] },
  },
  {
    name: "fail/ a server-made key under auto-renewal must outlive its renewal window",
    profile: { autoRenew: true, renewBeforeDays: 30 },
    input: () => api("short.example.com", { ttl: "10d" }),
    expect: { error: "validation", violations: ["attributes.ttl:not_longer_than_renewal_window"] },
    recorded: { ...nothing, audit: ["certificate.issue:failure"], requests: ["failed"] },
  },
  {
    name: "fail/ a viewer may not issue (403), and nothing is written",
    as: "viewer",
    input: () => api("api.example.com"),
    expect: { error: "forbidden" },
    recorded: nothing,
  },
  {
    name: "fail/ an outsider sees no profile (404), and nothing is written",
    as: "outsider",
    input: () => api("api.example.com"),
    expect: { error: "not_found" },
    recorded: nothing,
  },
  {
    name: "fail/ a profile without API enrollment refuses the API",
    profile: { enrollment: ["acme"] },
    input: () => api("api.example.com"),
    expect: { error: "forbidden" },
    recorded: nothing,
  },
  {
    name: "fail/ a disabled CA issues nothing",
    arrange: (w, { caId }) => w.store.ca.updateCa(caId, { status: "disabled" }),
    input: () => api("api.example.com"),
    expect: { error: "conflict" },
    recorded: nothing,
  },
  {
    name: "fail/ the CA re-checks the issuer's validity whatever policy decided: a leaf never outlives its CA",
    // The CA row claims 20 years; its certificate (what the CA checks) says 10.
    arrange: (w, { caId }) => w.store.ca.updateCa(caId, { not_after: new Date(w.rt.clock().getTime() + 20 * 365 * 86_400_000) }),
    input: () => api("long.example.com", { ttl: "15y" }),
    expect: { error: "validation", violations: ["attributes.notAfter:outlives_issuer"] },
    recorded: { ...nothing, audit: ["certificate.issue:failure"], requests: ["failed"] },
  },
  {
    name: "fail/ a failing signer leaves a `failed` signing record and nothing half-written: no certificate, no success audit, no event",
    arrange: (w) => w.keys.failSigning((label) => label.startsWith("ca:")),
    input: () => api("api.example.com"),
    expect: { error: "unexpected" },
    recorded: { ...nothing, signingLog: ["failed"] },
  },
];

describe("issueCertificate", () => {
  for (const row of rows) {
    it(row.name, async () => {
      const w = world();
      const caId = await addCa(w);
      const profileId = addProfile(w, { templateId: addTemplate(w, row.template), caId: row.profile?.selfSigned ? null : caId, enrollment: row.profile?.enrollment, defaults: row.profile?.defaults, autoRenew: row.profile?.autoRenew, renewBeforeDays: row.profile?.renewBeforeDays });
      await row.arrange?.(w, { caId, profileId });
      const input = { profileId, ...(await row.input(w)) };
      w.journal.clear();
      const auditBefore = w.store.tables.audit.length;
      const logBefore = w.store.tables.signingLog.length;

      const r = await outcome(issueCertificate(w.issueDeps, w.as[row.as ?? "member"], input, { preview: row.preview }));

      // The decision.
      if (row.expect === "issued" || row.expect === "preview") {
        if (!("ok" in r)) throw new Error(`expected success, got ${r.error}: ${r.message} [${r.violations.join(", ")}]`);
      } else {
        expect(r).toMatchObject({ error: row.expect.error });
        if (row.expect.violations && "violations" in r) expect([...r.violations].sort()).toEqual([...row.expect.violations].sort());
      }
      // What was recorded.
      const t = w.store.tables;
      expect(t.signingLog.slice(logBefore).map((s) => s.status)).toEqual(row.recorded.signingLog);
      expect(t.certificates).toHaveLength(row.recorded.certificates);
      expect(t.audit.slice(auditBefore).map((a) => `${a.action}:${a.outcome}`)).toEqual(row.recorded.audit);
      expect(t.certRequests.map((x) => x.status)).toEqual(row.recorded.requests);
      expect(w.events.map((e) => e.type)).toEqual(row.recorded.events);

      if (row.expect === "issued" && "ok" in r && "certificate" in r.ok) {
        const issued = r.ok.certificate;
        if (!issued) throw new Error("an issued answer without its certificate");
        const row0 = t.certificates[0];
        const log = t.signingLog[logBefore];
        // Intent before signature, signature before the commit that writes certificate, outcome and audit entry.
        expect(w.journal.only("intent:", "sign:", "certificate:", "outcome:", "audit:")).toEqual([`intent:leaf:${issued.serialNumber}`, expect.stringMatching(/^sign:/), `certificate:${issued.certificateId}`, `outcome:signed:${issued.serialNumber}`, `audit:certificate.issue:success`]);
        expect(log).toMatchObject({ kind: "leaf", subject_id: issued.certificateId, serial: issued.serialNumber, issuer_ca_id: row.profile?.selfSigned ? null : caId });
        expect(row0).toMatchObject({ id: issued.certificateId, serial: issued.serialNumber, status: "active", profile_id: profileId, key_source: input.csr ? "csr" : "server" });
        expect(t.audit.at(-1)).toMatchObject({ actorId: "member", objectId: issued.certificateId, projectId: row0.project_id });
        expect(issued.privateKey === undefined).toBe(!!input.csr);
        // The certificate verifies under its issuer and names what was asked.
        const x = new X509Certificate(issued.certificate);
        expect(x.subject).toContain(`CN=${input.attributes.commonName}`);
        expect(x.verify(new X509Certificate(issued.issuingCaCertificate).publicKey)).toBe(true);
      }
      if (row.expect === "preview" && "ok" in r && "preview" in r.ok) {
        expect(r.ok.preview?.tbsCertificate.length).toBeGreaterThan(100);
        expect(w.journal.only("intent:", "sign:")).toEqual([]);
      }
    });
  }
});
