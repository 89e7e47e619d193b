import { errors, type Violation } from "../../../errors.js";
import { parseCertificate } from "../../../pki/certificate-parse.js";
import { parseCsr } from "../../../pki/csr.js";
import { toPem } from "../../../pki/pem.js";
import { reasonCode } from "../../../pki/revocation-reasons.js";
import type { IssuanceRequest } from "../../../policy/issuance.js";
import type { CertificateRow } from "../../store/cert.repo.js";
import type { WaitingRequestRow } from "../../store/external-ca.repo.js";
import { audit, auditEntry } from "../audit.js";
import type { CertEvent } from "../certs/issue.js";
import type { LeafPort } from "../certs/ports.js";
import type { ExternalDeps, ExternalSubmission, RequestContext } from "./ports.js";
import { openSecrets, settingsOf } from "./settings.js";

/** What a queued request keeps in its `request` column: everything the worker needs to finish it. */
interface QueuedRequest {
  attributes: Record<string, unknown>;
  csr: string;
  names: string[];
  keySource: "server" | "csr";
  keyRef: unknown;
  keyAlgorithm: string;
  altNames: { type: string; value: string }[];
  keyUsages: string[];
  extendedKeyUsages: string[];
  removeRootsFromChain: boolean;
  renewedFromId: string | null;
}

/** What queuing and working on external requests need beyond ExternalDeps. */
export interface ExternalRequestDeps extends ExternalDeps {
  leaf: Pick<LeafPort, "generateSubjectKey" | "exportSubjectKey">;
  /** A CSR for `names` signed by `privateKeyPem` (server/ca; the key never leaves the server). */
  subjectCsr(privateKeyPem: string, names: string[]): Promise<string>;
  onEvent?: (e: CertEvent) => Promise<void> | void;
  log?: (msg: string, err?: unknown) => void;
  /** What an operator may want to know that is no error (a request another server took over). */
  notice?: (msg: string) => void;
}

const PER_RUN = 20;

/** Requests waiting on external CAs: queued by the issue path, worked on by the `external-ca-requests` job. */
export function createExternalRequests(deps: ExternalRequestDeps) {
  const { store, rt } = deps;

  /** The names an ACME order asks for: the common name and the DNS names, once each (ACME CAs issue for DNS names only). */
  function namesOf(r: IssuanceRequest): { names: string[]; violations: Violation[] } {
    const v: Violation[] = [];
    for (const [k, vals] of Object.entries(r.sans)) if (k !== "dns" && vals?.length) v.push({ field: `attributes.altNames`, code: "not_supported_by_ca", message: `The ACME CA issues for DNS names only; remove the ${k} names.`, value: vals.join(", ") });
    const names = [...new Set([r.subject.commonName, ...(r.sans.dns ?? [])].filter((x): x is string => !!x).map((x) => x.toLowerCase()))];
    if (!names.length) v.push({ field: "attributes.commonName", code: "required", message: "An ACME CA needs at least one DNS name." });
    return { names, violations: v };
  }

  async function fail(row: WaitingRequestRow, message: string, problem: Record<string, unknown> | null) {
    const renewing = (row.request as unknown as QueuedRequest).renewedFromId;
    // A failed renewal shows on the certificate it was to replace (server-driven renewal retries it
    // an hour later), in the same transaction, so whoever sees the request failed sees that too.
    const ok = await store.transaction(async (tx) => {
      const claimed = await tx.external.updateClaimed(row.id, row.attempts, { status: "failed", at: rt.clock(), errorMessage: message, problem });
      if (claimed && renewing) await tx.cert.recordRenewalFailure(renewing, `Certificate request ${row.id}: ${message}`, rt.clock());
      return claimed;
    });
    if (ok && renewing) await deps.onEvent?.({ type: "renewal_failed", certificateId: renewing, projectId: row.project_id, reason: message });
    if (ok) await audit(store, rt, { principal: null, actor: { type: "system", id: "external-ca" }, sourceIp: null }, { projectId: row.project_id, action: "certificate.external-request", objectType: "certificate-request", objectId: row.id, outcome: "failure", detail: { error: message.slice(0, 500), problemType: problem?.type ?? null } });
  }

  /** Orders one claimed request from its CA and records the outcome (exactly once: writes are fenced by the claim). */
  async function work(row: WaitingRequestRow) {
    const q = row.request as unknown as QueuedRequest;
    const ca = row.external_ca_id ? await store.external.caById(row.external_ca_id) : undefined;
    if (!ca) return fail(row, "The request's external CA was deleted.", null);
    if (ca.status !== "active") return fail(row, `The external CA ${ca.name} is disabled.`, null);
    const settings = settingsOf(ca.configuration, openSecrets(deps, ca), ca.account_url);
    let issued: { certificatePem: string; chainPem: string };
    const claimLost = new Error("claim lost");
    try {
      issued = await deps.acme.order(settings, q.names, q.csr, async () => {
        // Another server took the request over (this one's lease ran out): stop before the CA
        // validates and issues, so a public CA is not asked for the same certificate twice.
        if (!(await store.external.updateClaimed(row.id, row.attempts, { status: "pending_validation", at: rt.clock(), pendingMessage: `${ca.name} is validating the DNS-01 challenges.` }))) throw claimLost;
      });
    } catch (e) {
      if (e === claimLost) return deps.notice?.(`external CA request ${row.id}: another server took it over after this one's lease ran out; this one stopped ordering`);
      return fail(row, (e as Error).message, (e as { problem?: Record<string, unknown> | null }).problem ?? null);
    }
    const cert = parseCertificate(issued.certificatePem);
    const certificateId = rt.uuid();
    const profile = row.profile_id ? await store.cert.profileById(row.profile_id) : undefined;
    const done = await store
      .transaction(async (tx) => {
        await tx.cert.insertCertificate({
          id: certificateId,
          projectId: row.project_id,
          profileId: row.profile_id,
          caId: null,
          caCertificateId: null,
          caKeyId: null,
          serial: cert.serialHex,
          commonName: (q.attributes.commonName as string | undefined) ?? row.common_name,
          altNames: q.altNames,
          notBefore: cert.notBefore,
          notAfter: cert.notAfter,
          keyAlgorithm: q.keyAlgorithm,
          keyUsages: q.keyUsages,
          extendedKeyUsages: q.extendedKeyUsages,
          certificate: cert.der,
          chainPem: issued.chainPem,
          keySource: q.keySource,
          keyRef: q.keyRef,
          request: { attributes: q.attributes, csr: q.keySource === "csr" ? q.csr : null, removeRootsFromChain: q.removeRootsFromChain, certificateRequestId: row.id },
          renewedFromId: q.renewedFromId,
          metadata: row.metadata ?? [],
        });
        if (!(await tx.external.markIssued(row.id, row.attempts, certificateId, ca.id, rt.clock()))) throw new Error("claim lost");
        await tx.misc.audit(auditEntry(rt, { principal: null, actor: { type: "external-ca", id: ca.id }, sourceIp: null }, { projectId: row.project_id, action: q.renewedFromId ? "certificate.renew" : "certificate.issue", objectType: "certificate", objectId: certificateId, outcome: "success", detail: { profile: profile?.slug ?? null, serial: cert.serialHex, externalCa: ca.name, certificateRequestId: row.id, keySource: q.keySource, renewedFrom: q.renewedFromId } }));
        return true;
      })
      .catch((e) => {
        if ((e as Error).message === "claim lost") return false;
        throw e;
      });
    if (done) await deps.onEvent?.({ type: q.renewedFromId ? "renewed" : "issued", certificateId, projectId: row.project_id });
  }

  return {
    /** Queues a request the policy accepted: `202 {certificate: null, certificateRequestId, status: "pending"}`. */
    async submit(ctx: RequestContext, s: ExternalSubmission) {
      if (s.ca.status !== "active") throw errors.conflict(`The profile's CA ${s.ca.name} is disabled; only an active CA issues certificates.`);
      const { names, violations } = namesOf(s.request);
      // RFC 8555 §7.4: the CSR names exactly the order's identifiers; Stamp cannot add names to a client's CSR.
      const csrNames = s.csrDer ? [...new Set((parseCsr(s.csrDer).requestedExtensions.sans?.dns ?? []).map((x) => x.toLowerCase()))].sort() : null;
      if (csrNames && !violations.length && csrNames.join(",") !== [...names].sort().join(",")) {
        violations.push({ field: "csr", code: "names_mismatch", message: `An ACME CA issues exactly the CSR's subjectAltName DNS names, which must be the request's names (the common name and DNS altNames): ${names.join(", ")}.`, value: csrNames.join(", ") || "(none)" });
      }
      if (violations.length) throw errors.validation("The certificate request cannot go to an ACME CA; see violations.", violations);
      const id = rt.uuid();
      let csr: string;
      let keyRef: unknown = null;
      if (s.csrDer) csr = toPem(s.csrDer, "CERTIFICATE REQUEST");
      else if (s.reuseKey) {
        keyRef = s.reuseKey.ref;
        csr = await deps.subjectCsr(toPem(await deps.leaf.exportSubjectKey(s.reuseKey.ref, s.reuseKey.keyAlgorithm), "PRIVATE KEY"), names);
      } else {
        const k = await deps.leaf.generateSubjectKey(s.request.keyAlgorithm, id);
        keyRef = k.ref;
        csr = await deps.subjectCsr(k.privateKeyPem, names);
      }
      const queued: QueuedRequest = { attributes: s.attributes, csr, names, keySource: s.csrDer ? "csr" : "server", keyRef, keyAlgorithm: s.request.keyAlgorithm, altNames: s.altNames, keyUsages: s.keyUsages, extendedKeyUsages: s.extendedKeyUsages, removeRootsFromChain: s.removeRootsFromChain, renewedFromId: s.renewedFrom?.id ?? null };
      await store.transaction(async (tx) => {
        await tx.external.insertRequest({ id, projectId: s.profile.project_id, profileId: s.profile.id, externalCaId: s.ca.id, commonName: s.request.subject.commonName ?? names[0], request: queued as unknown as Record<string, unknown>, metadata: s.metadata, at: rt.clock() });
        await audit(tx, rt, ctx, { projectId: s.profile.project_id, action: "certificate.request", objectType: "certificate-request", objectId: id, outcome: "success", detail: { profile: s.profile.slug, externalCa: s.ca.name, names: names.slice(0, 20), keySource: queued.keySource, renewedFrom: queued.renewedFromId } });
      });
      deps.poke?.();
      return { certificate: null, certificateRequestId: id, status: "pending" as const };
    },

    /** One pass of the job: claims and works on waiting requests until none is left (or PER_RUN). */
    async run() {
      for (let i = 0; i < PER_RUN; i++) {
        const row = await store.external.claimRequest(rt.clock(), deps.leaseSeconds);
        if (!row) return;
        try {
          await work(row);
        } catch (e) {
          deps.log?.(`external CA request ${row.id}`, e);
        }
      }
    },

    /** Forwards a revocation of a certificate an external CA issued (RFC 8555 §7.6) before Stamp records it. */
    async revokeAtCa(c: CertificateRow, reason: string) {
      const ca = c.external_ca_id ? await store.external.caById(c.external_ca_id) : undefined;
      if (!ca) throw errors.conflict("The certificate's external CA was deleted, so the revocation cannot be forwarded to it.");
      const settings = settingsOf(ca.configuration, openSecrets(deps, ca), ca.account_url);
      // RFC 5280 §5.3.1 reason codes; ACME CAs refuse certificateHold (Let's Encrypt: 0,1,3,4,5).
      const code = reasonCode(reason) ?? 0;
      try {
        await deps.acme.revoke(settings, toPem(c.certificate, "CERTIFICATE"), code);
      } catch (e) {
        throw errors.conflict(`${ca.name} refused the revocation: ${(e as Error).message}`);
      }
    },
  };
}

/** The external request use cases, as compose.ts builds them. */
export type ExternalRequests = ReturnType<typeof createExternalRequests>;
