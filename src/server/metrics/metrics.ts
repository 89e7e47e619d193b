import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/** What /metrics reads from the database at scrape time (store.metrics implements it). */
export interface MetricsReadings {
  expiringByProfile(now: Date): Promise<{ profile: string; within7: number; within30: number; within30NoAutoRenew: number }[]>;
  crlTimes(): Promise<{ ca_id: string; ca_name: string; this_update: Date; next_update: Date }[]>;
  acmeOrdersByStatus(): Promise<{ status: string; count: number }[]>;
}

/** The database connection pool's state (PostgreSQL; absent on the embedded store). */
export type PoolStats = () => { total: number; idle: number; waiting: number } | null;

/**
 * Stamp's Prometheus metrics (docs/operations.md, "Metrics"): counters moved by the server as
 * things happen, and gauges read from the database when scraped, so every server of a cluster
 * reports the same inventory figures while its own counters stay per process.
 */
export function createMetrics(deps: { readings: MetricsReadings; pool: PoolStats; clock: () => Date }) {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: "stamp_process_" }); // event-loop lag, heap, CPU, handles

  const certificates = new Counter({ name: "stamp_certificates_total", help: "Certificate events on this server: issued, renewed, revoked, renewal_failed", labelNames: ["event", "profile_id"], registers: [registry] });
  const http = new Histogram({
    name: "stamp_http_request_duration_seconds",
    help: "HTTP requests by route pattern, method and status class, with their duration",
    labelNames: ["route", "method", "status"],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  const jobRuns = new Counter({ name: "stamp_job_runs_total", help: "Background job runs on this server, by job and outcome (ok, failed)", labelNames: ["job", "outcome"], registers: [registry] });
  const jobSeconds = new Histogram({ name: "stamp_job_duration_seconds", help: "Background job run time", labelNames: ["job"], buckets: [0.01, 0.1, 1, 10, 60, 600], registers: [registry] });
  const ocsp = new Counter({ name: "stamp_ocsp_responses_total", help: "OCSP answers by response status (successful, malformedRequest, unauthorized, tryLater, internalError) and whether they came from the responder's cache", labelNames: ["status", "cached"], registers: [registry] });

  const readings = deps.readings;
  new Gauge({
    name: "stamp_certificates_expiring",
    help: "Active certificates expiring within the window (7d, 30d), per profile; auto_renew=false counts those without auto-renewal within 30d",
    labelNames: ["profile", "window", "auto_renew"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await readings.expiringByProfile(deps.clock())) {
        this.set({ profile: r.profile, window: "7d", auto_renew: "any" }, r.within7);
        this.set({ profile: r.profile, window: "30d", auto_renew: "any" }, r.within30);
        this.set({ profile: r.profile, window: "30d", auto_renew: "false" }, r.within30NoAutoRenew);
      }
    },
  });
  // Both CRL gauges come from one query per scrape, read in render() before the registry collects.
  let crls: Awaited<ReturnType<MetricsReadings["crlTimes"]>> = [];
  new Gauge({
    name: "stamp_crl_age_seconds",
    help: "Seconds since the CA's newest full CRL's thisUpdate",
    labelNames: ["ca_id", "ca"],
    registers: [registry],
    collect() {
      this.reset();
      const now = deps.clock().getTime();
      for (const c of crls) this.set({ ca_id: c.ca_id, ca: c.ca_name }, (now - new Date(c.this_update).getTime()) / 1000);
    },
  });
  new Gauge({
    name: "stamp_crl_next_update_seconds",
    help: "Seconds until the CA's newest full CRL's nextUpdate (negative: past it)",
    labelNames: ["ca_id", "ca"],
    registers: [registry],
    collect() {
      this.reset();
      const now = deps.clock().getTime();
      for (const c of crls) this.set({ ca_id: c.ca_id, ca: c.ca_name }, (new Date(c.next_update).getTime() - now) / 1000);
    },
  });
  new Gauge({
    name: "stamp_acme_orders",
    help: "ACME orders by status",
    labelNames: ["status"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const o of await readings.acmeOrdersByStatus()) this.set({ status: o.status }, o.count);
    },
  });
  new Gauge({
    name: "stamp_db_pool_connections",
    help: "PostgreSQL pool connections by state (total, idle, waiting = requests queued for one)",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.reset();
      const p = deps.pool();
      if (!p) return;
      this.set({ state: "total" }, p.total);
      this.set({ state: "idle" }, p.idle);
      this.set({ state: "waiting" }, p.waiting);
    },
  });

  return {
    /** The text exposition format, and its content type. */
    async render(): Promise<{ body: string; contentType: string }> {
      crls = await readings.crlTimes();
      return { body: await registry.metrics(), contentType: registry.contentType };
    },
    certificateEvent(type: string, profileId: string | null | undefined) {
      certificates.inc({ event: type, profile_id: profileId ?? "none" });
    },
    httpRequest(route: string, method: string, status: number, seconds: number) {
      http.observe({ route, method, status: `${Math.floor(status / 100)}xx` }, seconds);
    },
    ocspAnswer(status: string, cached: boolean) {
      ocsp.inc({ status, cached: String(cached) });
    },
    /** Wraps a job's run: counts it, times it, and rethrows its failure for the scheduler to log. */
    async timeJob(job: string, run: () => Promise<unknown>): Promise<unknown> {
      const end = jobSeconds.startTimer({ job });
      try {
        const r = await run();
        jobRuns.inc({ job, outcome: "ok" });
        return r;
      } catch (e) {
        jobRuns.inc({ job, outcome: "failed" });
        throw e;
      } finally {
        end();
      }
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
