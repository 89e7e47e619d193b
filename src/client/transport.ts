import http from "node:http";
import https from "node:https";
import { StampConnectionError } from "./errors.js";

/** One HTTP exchange, reduced to what the client needs. */
export interface RawRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
}
export interface RawResponse {
  status: number;
  contentType: string;
  body: Buffer;
  /** The Retry-After header (seconds), when the server sent one. */
  retryAfter?: string;
}
export type Transport = (req: RawRequest) => Promise<RawResponse>;

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)|ALTNAME|TLS|SSL|EPROTO/;

/** Turns a socket-level error into a one-line StampConnectionError. */
function connectionError(err: NodeJS.ErrnoException, url: URL): StampConnectionError {
  const code = err.code ?? "ECONNECTION";
  const where = url.host;
  if (code === "ETIMEDOUT") return new StampConnectionError(`${where} did not answer in time`, code, err);
  if (TLS_CODES.test(code)) return new StampConnectionError(`TLS to ${where} failed (${code}: ${err.message}); pass --ca-file with the CA that issued the server's certificate`, code, err);
  if (code === "ECONNREFUSED") return new StampConnectionError(`cannot reach ${where}: connection refused`, code, err);
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return new StampConnectionError(`cannot resolve ${url.hostname}`, code, err);
  return new StampConnectionError(`cannot reach ${where}: ${err.message}`, code, err);
}

/**
 * The default transport: node:http, or node:https trusting `ca` (PEM) in addition to nothing
 * else when given — Node's global fetch cannot take a custom CA without undici's Agent.
 * The timeout covers the whole exchange, not just socket idleness.
 */
export function nodeTransport(ca?: string): Transport {
  return (r) =>
    new Promise<RawResponse>((resolve, reject) => {
      const url = new URL(r.url);
      const mod = url.protocol === "https:" ? https : http;
      const headers: Record<string, string | number> = { ...r.headers };
      if (r.body !== undefined) headers["content-length"] = Buffer.byteLength(r.body);
      const req = mod.request(url, { method: r.method, headers, ...(url.protocol === "https:" && ca ? { ca } : {}) }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("error", (e) => fail(e));
        res.on("end", () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), body: Buffer.concat(chunks), retryAfter: res.headers["retry-after"] });
        });
      });
      const fail = (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(connectionError(e, url));
      };
      const timer = setTimeout(() => req.destroy(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" })), r.timeoutMs);
      req.on("error", fail);
      req.end(r.body);
    });
}

/** A transport over a fetch function (browsers, tests, or a fetch with its own dispatcher). */
export function fetchTransport(fetchFn: typeof fetch): Transport {
  return async (r) => {
    const url = new URL(r.url);
    let res: Response;
    try {
      res = await fetchFn(r.url, { method: r.method, headers: r.headers, body: r.body, signal: AbortSignal.timeout(r.timeoutMs) });
      return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: Buffer.from(await res.arrayBuffer()), retryAfter: res.headers.get("retry-after") ?? undefined };
    } catch (e) {
      const err = e as Error & { cause?: NodeJS.ErrnoException; code?: string };
      if (err.name === "TimeoutError") throw connectionError(Object.assign(new Error("timeout"), { code: "ETIMEDOUT" }), url);
      throw connectionError(err.cause ?? (err as NodeJS.ErrnoException), url);
    }
  };
}
