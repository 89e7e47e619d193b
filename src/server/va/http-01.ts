import http from "node:http";
import https from "node:https";
import { isIP } from "node:net";
import type { Egress } from "./egress.js";
import { urlHost } from "./identifier.js";
import { candidates, resolveVetted, vaEgress } from "./resolve.js";
import { fail, type Attempt, type VaConfig } from "./types.js";

// RFC 8555 §8.3: follow redirects, but only a few (Let's Encrypt: 10) and only to http/https
// on the standard ports, so the VA cannot be pointed at arbitrary internal services.
const MAX_REDIRECTS = 10;
// The key authorization is ~87 characters; a generous cap keeps a hostile server from feeding us.
const MAX_BODY = 8192;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const TRANSIENT_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EAI_AGAIN", "ECONNABORTED"]);

type Fetched = { status: number; location?: string; body?: Buffer; tooBig: boolean };
type HopRecord = { url: string; hostname: string; port: number; addressesResolved: string[]; addressUsed?: string };

const clip = (s: string, n = 256) => (s.length > n ? `${s.slice(0, n)}…` : s);

/** One GET of `url` at `address`; reads the body (bounded) only for a 200. */
function fetchOnce(url: URL, address: string, egress: Egress, signal: AbortSignal): Promise<Fetched> {
  return new Promise<Fetched>((resolveOuter, rejectOuter) => {
    // Destroying the request emits errors of its own: only the first outcome counts.
    let settled = false;
    const resolve = (f: Fetched) => {
      if (!settled) (settled = true), resolveOuter(f);
    };
    const reject = (e: unknown) => {
      if (!settled) (settled = true), rejectOuter(e);
    };
    const secure = url.protocol === "https:";
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(url.port) || (secure ? 443 : 80);
    const defaultPort = port === (secure ? 443 : 80);
    // As Let's Encrypt does, an https redirect target's certificate is not verified (RFC 8555 §8.3
    // leaves it open): the key authorization in the body is the proof, not the TLS certificate.
    const tlsOptions = { rejectUnauthorized: false, ...(isIP(hostname) ? {} : { servername: hostname }) };
    const options: https.RequestOptions = {
      method: "GET",
      host: hostname,
      port,
      path: `${url.pathname}${url.search}`,
      // The connection goes to the vetted address only (no second resolution: no DNS rebinding),
      // through the egress policy, which checks the remote address again once connected.
      createConnection: () => egress.connect({ host: hostname, address, port, tls: secure ? tlsOptions : undefined }),
      signal,
      headers: {
        Host: defaultPort ? urlHost(hostname) : `${urlHost(hostname)}:${port}`,
        "User-Agent": "Stamp-VA (RFC 8555 validation)",
        Accept: "*/*",
        Connection: "close",
      },
    };
    let req: http.ClientRequest;
    try {
      req = (secure ? https : http).request(options);
    } catch (e) {
      reject(e);
      return;
    }
    req.on("error", reject);
    req.on("response", (res) => {
      const status = res.statusCode ?? 0;
      const done = (f: Fetched) => {
        resolve(f);
        res.destroy();
        req.destroy();
      };
      if (status !== 200) return done({ status, location: res.headers.location, tooBig: false });
      if (Number(res.headers["content-length"] ?? 0) > MAX_BODY) return done({ status, tooBig: true });
      const chunks: Buffer[] = [];
      let size = 0;
      res.on("data", (c: Buffer) => {
        if (settled) return;
        size += c.length;
        if (size > MAX_BODY) return done({ status, tooBig: true });
        chunks.push(c);
      });
      res.on("end", () => done({ status, body: Buffer.concat(chunks), tooBig: false }));
      res.on("error", reject);
      res.on("aborted", () => reject(Object.assign(new Error("response aborted"), { code: "ECONNRESET" })));
    });
    req.end();
  });
}

/** Why a redirect target may not be followed, or null (RFC 8555 §8.3; ports 80/443, plus the lab port). */
function redirectRefusal(next: URL, labPort: number | null): string | null {
  if (next.protocol !== "http:" && next.protocol !== "https:") return `only http and https URLs are followed, not ${clip(next.protocol, 16)}`;
  const port = Number(next.port) || (next.protocol === "https:" ? 443 : 80);
  if (port !== 80 && port !== 443 && port !== labPort) return `port ${port} is not allowed (only 80 and 443${labPort ? ` and the configured ${labPort}` : ""})`;
  return null;
}

/** One http-01 attempt (RFC 8555 §8.3, RFC 8738 §4 for IP identifiers), bounded by `cfg.timeoutMs`. */
export async function http01Attempt(
  host: string,
  token: string,
  expected: string,
  cfg: Pick<VaConfig, "http01Port" | "timeoutMs" | "allowPrivateAddresses" | "resolveHost" | "egressAllow">,
): Promise<Attempt> {
  // RFC 8555 §8.1: a token is base64url; anything else could rewrite the path.
  if (!/^[A-Za-z0-9_-]{1,256}$/.test(token)) return fail("malformed", "The challenge token is not base64url.");
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new Error("timeout")), cfg.timeoutMs);
  try {
    return await follow(host, token, expected, cfg, ac.signal);
  } catch (e) {
    return fail("connection", ac.signal.aborted ? `Timed out after ${cfg.timeoutMs} ms.` : `Validation failed: ${clip(String((e as Error)?.message ?? e), 128)}`, true);
  } finally {
    clearTimeout(timer);
  }
}

async function follow(host: string, token: string, expected: string, cfg: Parameters<typeof http01Attempt>[3], signal: AbortSignal): Promise<Attempt> {
  const labPort = cfg.http01Port !== 80 ? cfg.http01Port : null;
  const first = `http://${urlHost(host)}${cfg.http01Port === 80 ? "" : `:${cfg.http01Port}`}/.well-known/acme-challenge/${token}`;
  let url = new URL(first);
  const hops: HopRecord[] = [];
  for (let hop = 0; ; hop++) {
    const hostname = url.hostname.replace(/^\[|\]$/g, "");
    const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
    const vetted = await resolveVetted(hostname, cfg, signal, hop === 0);
    if (!vetted.ok) return vetted;
    const record: HopRecord = { url: url.href, hostname, port, addressesResolved: vetted.addresses };
    hops.push(record);

    let got: Fetched | undefined;
    let lastErr: unknown;
    for (const address of candidates(vetted.addresses)) {
      record.addressUsed = address;
      try {
        got = await fetchOnce(url, address, vaEgress(cfg), signal);
        break;
      } catch (e) {
        lastErr = e;
        if (signal.aborted) break;
      }
    }
    if (!got) {
      if (signal.aborted) return fail("connection", `Timed out after ${cfg.timeoutMs} ms fetching ${clip(url.href)} (${record.addressUsed}).`, true);
      const code = (lastErr as { code?: string })?.code ?? "";
      const what = code || clip(String((lastErr as Error)?.message ?? lastErr), 128);
      const type = code.startsWith("ERR_SSL") || /SSL|TLS/.test(what) ? "tls" : "connection";
      return fail(type, `Could not fetch ${clip(url.href)} (${record.addressUsed}): ${what}.`, TRANSIENT_CODES.has(code));
    }

    if (REDIRECT_STATUSES.has(got.status) && got.location !== undefined) {
      let next: URL;
      try {
        next = new URL(got.location, url);
      } catch {
        return fail("connection", `Invalid redirect from ${clip(url.href)}: ${JSON.stringify(clip(got.location, 128))}.`);
      }
      if (hop >= MAX_REDIRECTS) return fail("connection", `Too many redirects: more than ${MAX_REDIRECTS}, the last to ${clip(next.href)}.`);
      const refusal = redirectRefusal(next, labPort);
      if (refusal) return fail("connection", `Redirect from ${clip(url.href)} to ${clip(next.href)} refused: ${refusal}.`);
      url = next;
      continue;
    }
    if (got.status !== 200) return fail("unauthorized", `Invalid response from ${clip(url.href)}: HTTP ${got.status}.`);
    if (got.tooBig) return fail("incorrectResponse", `The response from ${clip(url.href)} is larger than ${MAX_BODY} bytes.`);
    // RFC 8555 §8.3: "The server SHOULD ignore whitespace characters at the end of the body."
    const body = (got.body ?? Buffer.alloc(0)).toString("utf8").replace(/[ \t\r\n]+$/, "");
    if (body !== expected) {
      return fail("incorrectResponse", `The key authorization from ${clip(url.href)} does not match: expected ${JSON.stringify(expected)}, got ${JSON.stringify(clip(body, 128))}.`);
    }
    return { ok: true, record: { url: first, hops } };
  }
}
