import { AsyncLocalStorage } from "node:async_hooks";
import http from "node:http";
import https from "node:https";
import * as acme from "acme-client";
import { egressRefusedError, type Egress } from "../egress.js";

// acme-client sends every request through one shared axios instance. Each external CA has its own
// trust bundle and every call must go through the egress policy, so the connection settings of
// the CA being talked to ride along in an AsyncLocalStorage and a request interceptor applies
// them; a request made outside `withCaConnection` is refused rather than sent unpoliced.

/** How requests to one external CA connect: its trust bundle, through the egress policy. */
interface CaConnection {
  egress: Egress;
  httpsAgent: https.Agent;
  httpAgent: http.Agent;
  timeoutMs: number;
}

const current = new AsyncLocalStorage<CaConnection>();
let installed = false;

function install() {
  if (installed) return;
  installed = true;
  // Bounded: one retry after a second, not acme-client's five with growing delays (a refused
  // configuration is reported at creation, while the caller waits).
  const settings = (acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number; retryDefaultDelay: number } }).acmeSettings;
  settings.retryMaxAttempts = 1;
  settings.retryDefaultDelay = 1;
  acme.axios.interceptors.request.use((config) => {
    const c = current.getStore();
    if (!c) throw new Error("An ACME request was made outside an external CA's connection settings.");
    const host = new URL(config.url ?? "", config.baseURL).hostname.replace(/^\[|\]$/g, "");
    // Literal addresses skip `lookup`, so they are vetted here; names are vetted by the agents' lookup.
    const refusal = c.egress.hostRefusal(host);
    if (refusal) throw egressRefusedError(refusal);
    config.httpsAgent = c.httpsAgent;
    config.httpAgent = c.httpAgent;
    config.timeout = c.timeoutMs;
    config.maxRedirects = 0;
    config.proxy = false;
    return config;
  });
}

/** Runs `fn` with ACME requests going to a CA trusted by `trustBundle` (PEM; null: system roots), through `egress`. */
export async function withCaConnection<T>(o: { egress: Egress; trustBundle: string | null; timeoutMs: number }, fn: () => Promise<T>): Promise<T> {
  install();
  const httpsAgent = new https.Agent({ lookup: o.egress.lookup, ...(o.trustBundle ? { ca: o.trustBundle } : {}) });
  const httpAgent = new http.Agent({ lookup: o.egress.lookup });
  try {
    return await current.run({ egress: o.egress, httpsAgent, httpAgent, timeoutMs: o.timeoutMs }, fn);
  } finally {
    httpsAgent.destroy();
    httpAgent.destroy();
  }
}

/**
 * GETs the directory with the current CA's connection settings and checks it is an ACME
 * directory (RFC 8555 §7.1.1); resolves to null, or rejects with the connection's own error
 * (acme-client hides it behind its retry logic).
 */
export function probeDirectory(url: string): Promise<null> {
  const c = current.getStore();
  if (!c) return Promise.reject(new Error("No external CA connection settings."));
  const u = new URL(url);
  const refusal = c.egress.hostRefusal(u.hostname.replace(/^\[|\]$/g, ""));
  if (refusal) return Promise.reject(egressRefusedError(refusal));
  const mod = u.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.get(u, { agent: u.protocol === "https:" ? c.httpsAgent : c.httpAgent, timeout: c.timeoutMs }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
        if (body.length > 65536) req.destroy(new Error("The directory answer is too large."));
      });
      res.on("end", () => {
        let dir: { newAccount?: unknown } | null = null;
        try {
          dir = JSON.parse(body) as { newAccount?: unknown };
        } catch {
          dir = null;
        }
        if (res.statusCode !== 200 || !dir || typeof dir.newAccount !== "string") reject(Object.assign(new Error(`${url} answered ${res.statusCode} without an ACME directory (RFC 8555 §7.1.1).`), { code: "NOT_ACME" }));
        else resolve(null);
      });
    });
    req.on("timeout", () => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })));
    req.on("error", reject);
  });
}
