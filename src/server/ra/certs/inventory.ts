import { errors, isStampError } from "../../../errors.js";
import { parseCertificate, type ParsedCertificate } from "../../../pki/certificate-parse.js";
import { pemBlocks, toPem } from "../../../pki/pem.js";
import { ekuFromOid, kuFromRfc } from "../../../policy/vocabulary.js";
import { audit } from "../audit.js";
import { requireRole } from "../authz.js";
import type { RequestContext } from "../context.js";
import { requireProfileAccess } from "./access.js";
import type { CertDeps } from "./issue.js";
import { createCertificateLookup } from "./lookup.js";

/** POST /certificates/import-certificate. */
export interface ImportInput {
  projectId?: string;
  certificatePem: string;
  privateKeyPem?: string;
  chainPem?: string;
  friendlyName?: string;
  profileId?: string;
  metadata?: { key: string; value: string }[];
}

/** A PEM certificate field, parsed, or a violation naming the field. */
function parsePemCertificate(field: string, pem: string): ParsedCertificate {
  const blocks = pemBlocks(pem).filter((b) => b.label === "CERTIFICATE");
  if (blocks.length === 0) throw errors.validation("The certificate could not be read.", [{ field, code: "unparseable", message: "Must hold a PEM certificate (-----BEGIN CERTIFICATE-----)." }]);
  try {
    return parseCertificate(blocks[0].der);
  } catch (e) {
    if (!isStampError(e)) throw e;
    throw errors.validation("The certificate could not be read.", [{ field, code: "unparseable", message: e.message }]);
  }
}

/** The SAN list (API shape) of a parsed certificate. */
function altNamesOf(p: ParsedCertificate) {
  const s = p.sans;
  if (!s) return [];
  return [...s.dns.map((value) => ({ type: "dns_name", value })), ...s.ip.map((value) => ({ type: "ip_address", value })), ...s.email.map((value) => ({ type: "email", value })), ...s.uri.map((value) => ({ type: "uri", value }))];
}

/**
 * The inventory use cases Infisical adds (issue 15): delete, per-certificate renewal config, and
 * importing a certificate Stamp did not issue.
 */
export function createCertificateInventory(deps: CertDeps) {
  const { store, rt } = deps;
  const { loadForChange, view } = createCertificateLookup(deps);
  return {
    /**
     * DELETE: the certificate leaves the inventory (lists, reads, renewal) but its row stays, so
     * it is still on its CA's CRLs when revoked, OCSP still answers for it, and it can still be
     * revoked (by id, thumbprint or serial). Stamp cannot un-issue a certificate.
     */
    async remove(ctx: RequestContext, id: string) {
      const { c } = await loadForChange(ctx, id);
      await store.transaction(async (tx) => {
        await tx.certInventory.markDeleted(c.id, rt.clock());
        await audit(tx, rt, ctx, { projectId: c.project_id, action: "certificate.delete", objectType: "certificate", objectId: c.id, outcome: "success", detail: { serial: c.serial } });
      });
      return view(c);
    },
    /** Imports an outside certificate, with its key (sealed like Stamp's own) and chain when given. */
    async importCertificate(ctx: RequestContext, input: ImportInput) {
      const profile = input.profileId ? await store.cert.profileById(input.profileId) : undefined;
      if (input.profileId && !profile) throw errors.notFound("Certificate profile", input.profileId);
      const projectId = profile?.project_id ?? input.projectId;
      if (!projectId) throw errors.validation("Say which project the certificate goes into.", [{ field: "projectId", code: "required", message: "Send projectId, or a profileId." }]);
      if (profile && input.projectId && input.projectId !== profile.project_id) throw errors.validation("The profile belongs to another project.", [{ field: "profileId", code: "other_project", message: "The profile is not in projectId's project.", value: input.profileId }]);
      if (profile) await requireProfileAccess(store, ctx, profile, { type: "Certificate profile", id: profile.id });
      else await requireRole(store, ctx, projectId, "member", { type: "Project", id: projectId });

      const parsed = parsePemCertificate("certificatePem", input.certificatePem);
      if (parsed.isCa) throw errors.validation("This is a CA certificate; import CAs with POST /ca/internal/:id/import-certificate.", [{ field: "certificatePem", code: "is_ca", message: "Only end-entity certificates are imported here." }]);
      const chainBlocks = input.chainPem ? pemBlocks(input.chainPem).filter((b) => b.label === "CERTIFICATE") : [];
      if (input.chainPem && chainBlocks.length === 0) throw errors.validation("The chain could not be read.", [{ field: "chainPem", code: "unparseable", message: "Must hold PEM certificates." }]);
      chainBlocks.forEach((b, i) => parsePemCertificate(`chainPem[${i}]`, toPem(b.der, "CERTIFICATE")));

      const id = rt.uuid();
      let keyRef: unknown = null;
      if (input.privateKeyPem) {
        if (!parsed.keyAlgorithm) throw errors.validation("Stamp cannot keep a key of this algorithm.", [{ field: "privateKeyPem", code: "unsupported_key", message: `The certificate's key is ${parsed.keyDescription}; Stamp keeps RSA 2048-4096 and EC P-256/384/521 keys.` }]);
        keyRef = await deps.leaf.importSubjectKey(input.privateKeyPem, parsed.spki, parsed.keyAlgorithm, id);
      }
      const commonName = parsed.subjectFields.commonName ?? "";
      const altNames = altNamesOf(parsed);
      const chainPem = chainBlocks.map((b) => toPem(b.der, "CERTIFICATE")).join("");
      await store.transaction(async (tx) => {
        await tx.cert.insertCertificate({
          id,
          projectId,
          profileId: profile?.id ?? null,
          caId: null,
          caCertificateId: null,
          caKeyId: null,
          serial: parsed.serialHex,
          commonName,
          altNames,
          notBefore: parsed.notBefore,
          notAfter: parsed.notAfter,
          keyAlgorithm: parsed.keyAlgorithm ?? parsed.keyDescription,
          keyUsages: parsed.keyUsage.map((k) => kuFromRfc(k) ?? k),
          extendedKeyUsages: parsed.extendedKeyUsage.map((o) => ekuFromOid(o) ?? o),
          certificate: parsed.der,
          chainPem,
          keySource: "imported",
          keyRef,
          request: { imported: true, friendlyName: input.friendlyName ?? null, attributes: { commonName: commonName || undefined, altNames } },
          renewedFromId: null,
          metadata: input.metadata ?? [],
        });
        await audit(tx, rt, ctx, { projectId, action: "certificate.import", objectType: "certificate", objectId: id, outcome: "success", detail: { serial: parsed.serialHex, commonName, withKey: keyRef !== null, profile: profile?.slug ?? null } });
      });
      return { certificateId: id, certificate: toPem(parsed.der, "CERTIFICATE"), certificateChain: chainPem || null, serialNumber: parsed.serialHex };
    },
  };
}
