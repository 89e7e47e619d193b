import { createHmac } from "node:crypto";
import type { CertificateRow } from "../../store/cert.repo.js";
import { statusView } from "../certs/view.js";

/** CloudEvents `type` of each alert event (reverse-DNS, as CloudEvents 1.0 §3.1.1 recommends). */
export const EVENT_TYPES = {
  expiration: "dev.stamp.certificate.expiring",
  issued: "dev.stamp.certificate.issued",
  renewed: "dev.stamp.certificate.renewed",
  renewal_failed: "dev.stamp.certificate.renewal_failed",
  revoked: "dev.stamp.certificate.revoked",
  crl_failed: "dev.stamp.ca.crl_failed",
  test: "dev.stamp.test",
} as const;

/** The certificate as alerts describe it (no key material), with the API's status at `now`. */
export function certificateData(c: CertificateRow, now: Date) {
  return {
    id: c.id,
    projectId: c.project_id,
    commonName: c.common_name,
    altNames: c.alt_names,
    serialNumber: c.serial,
    notBefore: new Date(c.not_before).toISOString(),
    notAfter: new Date(c.not_after).toISOString(),
    profileId: c.profile_id,
    caId: c.ca_id,
    ...statusView(c, now),
    revocationReason: c.revocation_reason,
    renewedFromCertificateId: c.renewed_from_id,
    renewedByCertificateId: c.renewed_by_id,
  };
}

/** A CloudEvents 1.0 event in structured JSON mode (CloudEvents JSON format §3). */
export function cloudEvent(e: { id: string; publicUrl: string; projectId: string; type: string; time: Date; subject: string | null; data: Record<string, unknown> }) {
  return {
    specversion: "1.0",
    id: e.id,
    source: `${e.publicUrl}/projects/${e.projectId}`,
    type: e.type,
    time: e.time.toISOString(),
    ...(e.subject ? { subject: e.subject } : {}),
    datacontenttype: "application/json",
    data: e.data,
  };
}

/** `sha256=<hex>`: HMAC-SHA256 of the exact body bytes under the rule's secret. */
export function signBody(secret: Uint8Array, body: string): string {
  return `sha256=${createHmac("sha256", secret).update(body, "utf8").digest("hex")}`;
}

/** Subject and text of the email for an alert. */
export function emailText(event: ReturnType<typeof cloudEvent>): { subject: string; text: string } {
  const data = event.data as { certificate?: ReturnType<typeof certificateData>; ca?: { id: string; name: string }; crl?: { error: string; failingSince: string; stale: boolean }; daysLeft?: number; reason?: string; rule?: { name: string } };
  if (data.ca && data.crl) return crlEmailText(event, data as Required<Pick<typeof data, "ca" | "crl">> & typeof data);
  const c = data.certificate;
  const cn = c?.commonName ?? "(none)";
  const what: Record<string, string> = {
    [EVENT_TYPES.expiration]: `expires in ${data.daysLeft ?? "?"} days`,
    [EVENT_TYPES.issued]: "was issued",
    [EVENT_TYPES.renewed]: "was renewed",
    [EVENT_TYPES.renewal_failed]: "could not be renewed",
    [EVENT_TYPES.revoked]: "was revoked",
    [EVENT_TYPES.test]: "(test alert)",
  };
  const subject = `[Stamp] Certificate ${cn} ${what[event.type] ?? event.type}`.replace(/[\r\n]+/g, " ").slice(0, 200);
  const lines = [
    `Certificate ${cn} ${what[event.type] ?? event.type}.`,
    "",
    ...(c
      ? [
          `Certificate id: ${c.id}`,
          `Common name:    ${c.commonName}`,
          `Names:          ${c.altNames.map((a) => a.value).join(", ") || "(none)"}`,
          `Serial number:  ${c.serialNumber}`,
          `Not after:      ${c.notAfter}`,
          `Profile:        ${c.profileId ?? "(none)"}`,
          `CA:             ${c.caId ?? "(self-signed)"}`,
        ]
      : []),
    ...(data.reason ? [`Reason:         ${data.reason}`] : []),
    "",
    `Alert rule: ${data.rule?.name ?? ""}`,
    `Event: ${event.type} ${event.id} at ${event.time}`,
    `Source: ${event.source}`,
  ];
  return { subject, text: lines.join("\n") };
}

/** Subject and text of the email for a CA whose CRL cannot be built. */
function crlEmailText(event: ReturnType<typeof cloudEvent>, data: { ca: { id: string; name: string }; crl: { error: string; failingSince: string; stale: boolean }; rule?: { name: string } }) {
  const subject = `[Stamp] The CRL of CA ${data.ca.name} cannot be built${data.crl.stale ? " and is past its nextUpdate" : ""}`.replace(/[\r\n]+/g, " ").slice(0, 200);
  const lines = [
    `Stamp cannot build the CRL of CA ${data.ca.name}; new revocations of this CA do not reach relying parties.`,
    data.crl.stale ? "Its newest CRL is past its nextUpdate: relying parties that check CRLs now reject its certificates." : "Its newest CRL is still valid until its nextUpdate.",
    "",
    `CA id:          ${data.ca.id}`,
    `Failing since:  ${data.crl.failingSince}`,
    `Error:          ${data.crl.error}`,
    "",
    `Alert rule: ${data.rule?.name ?? ""}`,
    `Event: ${event.type} ${event.id} at ${event.time}`,
    `Source: ${event.source}`,
  ];
  return { subject, text: lines.join("\n") };
}
