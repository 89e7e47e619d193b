import { describe, expect, it } from "vitest";
import type { CertificateRow } from "../../store/cert.repo.js";
import { certificateView } from "../certs/view.js";
import { certificateData } from "./cloudevent.js";

const now = new Date("2030-06-01T00:00:00Z");
/** A certificate row as the store returns it; only what the two views read matters here. */
function row(over: Partial<CertificateRow>): CertificateRow {
  return {
    id: "c1", project_id: "p1", profile_id: "pr1", ca_id: "ca1", ca_certificate_id: "cc1", serial: "01", status: "active", common_name: "a.test",
    alt_names: [{ type: "dns_name", value: "a.test" }], not_before: new Date("2030-01-01T00:00:00Z"), not_after: new Date("2030-12-01T00:00:00Z"),
    created_at: new Date("2030-01-01T00:00:00Z"), revoked_at: null, revocation_reason: null, hold_released_at: null, renewal_failed_at: null,
    renewed_by_id: null, renewed_from_id: null, certificate: new Uint8Array([0x30, 0x00]), key_ref: null, request: {}, metadata: [],
    key_usages: [], extended_key_usages: [], key_source: "csr", auto_renew: false,
    ...over,
  } as unknown as CertificateRow;
}

describe("one certificate status for the API and the alerts", () => {
  it.each([
    ["active", {}, "active", "active"],
    ["expired", { not_after: new Date("2030-05-01T00:00:00Z") }, "expired", "expired"],
    ["renewed", { renewed_by_id: "c2" }, "active", "renewed"],
    ["revoked", { status: "revoked", revoked_at: now, revocation_reason: "KEY_COMPROMISE" }, "revoked", "revoked"],
    ["on hold after expiry", { status: "revoked", revocation_reason: "CERTIFICATE_HOLD", not_after: new Date("2030-05-01T00:00:00Z") }, "revoked", "revoked"],
  ] as const)("ok/ %s: a webhook's certificate.status and lifecycleStatus are the API's", (_, over, status, lifecycleStatus) => {
    const c = row(over as Partial<CertificateRow>);
    const api = certificateView(c, now);
    const alert = certificateData(c, now);
    expect({ status: alert.status, lifecycleStatus: alert.lifecycleStatus }).toEqual({ status, lifecycleStatus });
    expect({ status: api.status, lifecycleStatus: api.lifecycleStatus }).toEqual({ status, lifecycleStatus });
  });
});
