import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHierarchy, type Hierarchy } from "./helpers/hierarchy.js";
import { startServer, type TestServer } from "./helpers/harness.js";

const TOKEN = "metrics-token-for-the-test";
const CERTS = "/api/v1/cert-manager/certificates";

type Family = { name: string; type: string; metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }[] };

let s: TestServer;
let h: Hierarchy;
beforeAll(async () => {
  s = await startServer({ env: { STAMP_METRICS_TOKEN: TOKEN } });
  h = await createHierarchy(s, "met", "Metrics");
});
afterAll(async () => s?.close());

/** Scrapes /metrics with the token and parses it with a Prometheus text-format parser. */
let lastText = "";
async function scrape(): Promise<Map<string, Family>> {
  const r = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` }, signal: AbortSignal.timeout(30_000) });
  expect(r.status).toBe(200);
  expect(r.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  lastText = await r.text();
  const families = parsePrometheusTextFormat(lastText) as Family[];
  return new Map(families.map((f) => [f.name, f]));
}
const value = (m: Map<string, Family>, name: string, labels: Record<string, string>) => {
  const hit = m.get(name)?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return hit ? Number(hit.value ?? hit.count) : undefined;
};

describe("Prometheus /metrics", () => {
  it("fail/ without the token, or with another, 401 problem+json; the body says what to send", async () => {
    for (const headers of [{}, { authorization: "Bearer not-the-metrics-token" }, { authorization: `Bearer ${s.adminToken}` }] as Record<string, string>[]) {
      const r = await fetch(`${s.url}/metrics`, { headers, signal: AbortSignal.timeout(10_000) });
      expect(r.status).toBe(401);
      expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect((await r.json()).detail).toContain("--metrics-token");
    }
  });

  it("ok/ parses; issuing, revoking and OCSP move the counters; expiring, CRL and ACME gauges come from the database", async () => {
    const before = await scrape();
    const issued0 = value(before, "stamp_certificates_total", { event: "issued", profile_id: h.profileId }) ?? 0;
    for (const ttl of ["5d", "20d"]) {
      const r = await s.api("POST", CERTS, { token: s.adminToken, body: { profileId: h.profileId, attributes: { commonName: `m-${ttl}.met.test`, ttl } } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    }
    const third = await s.api("POST", CERTS, { token: s.adminToken, body: { profileId: h.profileId, attributes: { commonName: "gone.met.test", ttl: "5d" } } });
    expect((await s.api("POST", `${CERTS}/${third.body.certificate.certificateId}/revoke`, { token: s.adminToken, body: { revocationReason: "SUPERSEDED" } })).status).toBe(200);
    expect((await s.api("POST", `/api/v1/cert-manager/ca/internal/${h.intId}/crls`, { token: s.adminToken })).status).toBe(200);
    // A malformed OCSP request: answered malformedRequest (HTTP 200), and counted.
    const ocsp = await fetch(`${s.url}/api/v1/cert-manager/ocsp/${h.intId}`, { method: "POST", headers: { "content-type": "application/ocsp-request" }, body: "not der", signal: AbortSignal.timeout(10_000) });
    expect(ocsp.status).toBe(200);
    await s.server.jobs.runNow("idempotency-keys");

    const m = await scrape();
    expect(value(m, "stamp_certificates_total", { event: "issued", profile_id: h.profileId })).toBe(issued0 + 3);
    expect(value(m, "stamp_certificates_total", { event: "revoked", profile_id: h.profileId })).toBe(1);
    expect(m.get("stamp_certificates_total")?.type).toBe("COUNTER");
    expect(value(m, "stamp_certificates_expiring", { profile: "met", window: "7d", auto_renew: "any" })).toBe(1);
    expect(value(m, "stamp_certificates_expiring", { profile: "met", window: "30d", auto_renew: "any" })).toBe(2);
    expect(value(m, "stamp_certificates_expiring", { profile: "met", window: "30d", auto_renew: "false" })).toBe(2);
    const age = value(m, "stamp_crl_age_seconds", { ca_id: h.intId, ca: "met-int" })!;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(600);
    expect(value(m, "stamp_crl_next_update_seconds", { ca_id: h.intId })).toBeGreaterThan(0);
    expect(value(m, "stamp_ocsp_responses_total", { status: "malformedRequest", cached: "false" })).toBe(1);
    expect(value(m, "stamp_job_runs_total", { job: "idempotency-keys", outcome: "ok" })).toBe(1);
    const http = m.get("stamp_http_request_duration_seconds")!;
    expect(http.type).toBe("HISTOGRAM");
    // The parser keeps a histogram's buckets but not its labelled _count: read that line itself.
    const posts = new RegExp(`^stamp_http_request_duration_seconds_count\\{route="${CERTS}",method="POST",status="2xx"\\} (\\d+)$`, "m").exec(lastText);
    expect(Number(posts?.[1])).toBeGreaterThanOrEqual(3);
    expect(m.has("stamp_process_nodejs_eventloop_lag_seconds")).toBe(true);
    expect(m.has("stamp_acme_orders")).toBe(true);
    if (s.config.databaseUrl) expect(value(m, "stamp_db_pool_connections", { state: "total" })).toBeGreaterThan(0);
  });
});

describe("without --metrics-token", () => {
  it("fail/ /metrics is 404 and says how to turn it on", async () => {
    const off = await startServer();
    try {
      const r = await off.api("GET", "/metrics");
      expect(r.status).toBe(404);
      expect(r.body.detail).toContain("--metrics-token");
    } finally {
      await off.close();
    }
  });
});
