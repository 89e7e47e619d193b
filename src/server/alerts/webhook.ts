import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import { candidates, NEXT_ADDRESS, type Egress } from "../va/egress.js";

/** Bound on one webhook request, resolution to last byte. */
const TIMEOUT_MS = 10_000;
/** The most of a response body read (then dropped: bodies are never stored). */
const MAX_BODY = 65_536;

/**
 * POSTs an alert to a webhook URL a project admin configured, through the egress policy: the host
 * is resolved and every address vetted (a refused one rejects with the policy's refusal, before
 * anything is sent), the connection goes to a vetted address, and its remote address is checked
 * again once connected (docs/egress.md). Redirects are not followed (a 3xx is a failed attempt);
 * the response body is read at most 64 KiB and never stored; the whole request is bounded.
 */
export async function postWebhook(egress: Egress, url: string, body: string, headers: Record<string, string>, timeoutMs = TIMEOUT_MS): Promise<{ status: number }> {
  const u = new URL(url);
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error(`Only http and https webhook URLs are supported, not ${u.protocol}`);
  const signal = AbortSignal.timeout(timeoutMs);
  const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
  const addresses = await egress.resolve(host, signal).catch((e: unknown) => {
    throw signal.aborted ? new Error(`Timed out after ${timeoutMs} ms resolving ${host}.`) : e;
  });
  const tryAt = candidates(addresses);
  for (const [i, address] of tryAt.entries()) {
    try {
      return await postOnce(egress, u, address, body, headers, signal);
    } catch (e) {
      if (signal.aborted) throw new Error(`Timed out after ${timeoutMs} ms posting to ${u.host}.`);
      if (i === tryAt.length - 1 || !NEXT_ADDRESS.has((e as { code?: string }).code ?? "")) throw e;
    }
  }
  throw new Error(`No address to post to for ${host}.`);
}

/** One POST to `address`; the Host header and TLS name are the URL's. */
function postOnce(egress: Egress, u: URL, address: string, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<{ status: number }> {
  return new Promise((resolve, reject) => {
    const secure = u.protocol === "https:";
    const port = Number(u.port) || (secure ? 443 : 80);
    const host = u.hostname.replace(/^\[(.*)\]$/, "$1");
    const req = (secure ? https : http).request({
      method: "POST",
      host,
      port,
      path: `${u.pathname}${u.search}`,
      headers: { ...headers, "content-length": String(Buffer.byteLength(body)), connection: "close" },
      signal,
      // No agent: a fresh connection per delivery, to the vetted address, through the policy's checks.
      createConnection: () => egress.connect({ host, address, port, tls: secure ? { servername: isIP(host) ? undefined : host, ALPNProtocols: ["http/1.1"] } : undefined }),
    });
    req.on("error", reject);
    req.on("response", (res) => {
      let seen = 0;
      res.on("data", (c: Buffer) => {
        seen += c.length;
        if (seen > MAX_BODY) res.destroy();
      });
      const done = () => {
        resolve({ status: res.statusCode ?? 0 });
        req.destroy();
      };
      res.on("end", done);
      res.on("close", done);
      res.on("error", done);
    });
    req.end(body);
  });
}
