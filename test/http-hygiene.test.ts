import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "./helpers/acme-env.js";
import { startServer, type TestServer } from "./helpers/harness.js";

const CERTS = "/api/v1/cert-manager/certificates";
const CA = "/api/v1/cert-manager/ca/internal";

/** The headers every answer carries; `tls` adds HSTS. */
function expectBase(h: Headers, what: string, tls: boolean) {
  expect(h.get("x-content-type-options"), what).toBe("nosniff");
  if (tls) expect(h.get("strict-transport-security"), what).toBe("max-age=31536000");
  else expect(h.get("strict-transport-security"), what).toBeNull();
}
/** An answer that carries a key, a token or a secret: never stored by a cache. */
function expectNoStore(r: { status: number; headers: Headers; body: unknown }, what: string) {
  expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(200);
  expect(r.headers.get("cache-control"), what).toBe("no-store");
  expectBase(r.headers, what, true);
}

describe("security headers over TLS", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ tls: true });
  });
  afterAll(async () => s?.close());

  it("ok/ every answer that carries a token, key or secret is no-store, with nosniff and HSTS", async () => {
    const t = s.adminToken;
    const p = s.defaultProjectId;
    expectNoStore(await s.api("POST", "/api/v1/auth/login", { body: { email: "admin@example.com", password: "correct horse battery staple" } }), "login");
    expectNoStore(await s.api("GET", "/api/v1/auth/me", { token: t }), "me");

    const id = await s.api("POST", "/api/v1/identities", { token: t, body: { projectId: p, name: "ci", role: "member" } });
    const secret = await s.api("POST", `/api/v1/identities/${id.body.identity.id}/universal-auth/client-secrets`, { token: t, body: { description: "once" } });
    expectNoStore(secret, "client secret");
    expectNoStore(await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: id.body.identity.clientId, clientSecret: secret.body.clientSecret } }), "identity login");

    const ca = await s.api("POST", CA, { token: t, body: { projectId: p, name: "hdr-root", configuration: { type: "root", commonName: "Headers Root", keyAlgorithm: "EC_prime256v1" } } });
    const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: "hdr-tpl", preset: "tls-server" } });
    const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug: "hdr", templateId: tpl.body.certificateTemplate.id, caId: ca.body.id, enrollmentMethods: ["api", "acme"], acmeConfig: { eabRequired: true } } });
    expect(prof.status, JSON.stringify(prof.body)).toBe(200);
    const profileId = prof.body.certificateProfile.id;
    const issued = await s.api("POST", CERTS, { token: t, body: { profileId, attributes: { commonName: "web.hdr.test", altNames: [{ type: "dns_name", value: "web.hdr.test" }], ttl: "30d" } } });
    expectNoStore(issued, "issue with a server-made key");
    expect(issued.body.certificate.privateKey).toMatch(/PRIVATE KEY/);
    const certId = issued.body.certificate.certificateId;
    expectNoStore(await s.api("POST", `${CERTS}/${certId}/renew`, { token: t, body: {} }), "renew with a server-made key");
    expectNoStore(await s.api("GET", `${CERTS}/${certId}/private-key`, { token: t }), "private key");
    expectNoStore(await s.api("GET", `${CERTS}/${certId}/bundle`, { token: t }), "bundle");
    expectNoStore(await s.api("POST", `${CERTS}/${certId}/pkcs12`, { token: t, body: { password: "a long password" } }), "PKCS#12");
    expectNoStore(await s.api("POST", `/api/v1/cert-manager/certificate-profiles/${profileId}/acme/eab-keys`, { token: t, body: { description: "hdr" } }), "EAB key");
    expectNoStore(await s.api("POST", `/api/v1/projects/${p}/alert-rules`, { token: t, body: { name: "hdr", events: ["issued"], channel: "webhook", webhookUrl: "https://hooks.example.com/hook" } }), "webhook secret");

    // Errors too, and the unauthenticated 401.
    const missing = await s.api("GET", `${CERTS}/00000000-0000-0000-0000-000000000000`, { token: t });
    expect(missing.status).toBe(404);
    expect(missing.headers.get("cache-control")).toBe("no-store");
    expectBase(missing.headers, "404", true);
    const anon = await s.api("GET", "/api/v1/auth/me");
    expect(anon.status).toBe(401);
    expectBase(anon.headers, "401", true);

    // Public documents keep their own caching (relying parties and proxies may cache them), with nosniff.
    const versions = await s.api("GET", `${CA}/${ca.body.id}/ca-certificates`, { token: t });
    const der = await s.api("GET", `/api/v1/cert-manager/ca-certificates/${versions.body[0].id}/der`);
    expect(der.status).toBe(200);
    expect(der.headers.get("cache-control")).toBe("public, max-age=86400");
    expectBase(der.headers, "CA certificate", true);
  });

  it("fail/ plain HTTP sent to the HTTPS port gets a plain-text 400 that names the https:// URL, and the server keeps serving TLS", async () => {
    const port = new URL(s.url).port;
    const r = await run("curl", ["-sS", "-i", "--max-time", "10", `http://127.0.0.1:${port}/api/v1/auth/me`]);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(r.out).toContain("content-type: text/plain");
    expect(r.out).toContain(`This port speaks HTTPS, not plain HTTP. Use ${s.config.publicUrl}`);
    expect((await s.api("GET", "/healthz")).status).toBe(200);
  });

  it("ok/ the API docs page has the HTML policy (CSP, frame-ancestors 'none', X-Frame-Options) and every asset it names loads under it", async () => {
    const page = await s.api("GET", "/api/docs/");
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expectBase(page.headers, "docs", true);
    const html = page.body as string;
    // script-src 'self' allows no inline script: every <script> must have a same-origin src.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/src="/);
      expect(body.trim()).toBe("");
    }
    expect(html).not.toMatch(/\son[a-z]+=/i); // no inline event handlers
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(assets.length).toBeGreaterThanOrEqual(4);
    for (const a of assets) {
      const url = new URL(a, `${s.url}/api/docs/`);
      expect(url.origin, a).toBe(s.url); // 'self'
      const r = await s.api("GET", url.pathname);
      expect(r.status, `${url.pathname}: ${r.status}`).toBe(200);
      expect(r.headers.get("x-content-type-options")).toBe("nosniff");
      // nosniff: scripts and styles must be served with their real types.
      if (/\.js$/.test(url.pathname)) expect(r.headers.get("content-type"), url.pathname).toMatch(/javascript/);
      if (/\.css$/.test(url.pathname)) expect(r.headers.get("content-type"), url.pathname).toMatch(/^text\/css/);
    }
    // The initializer fetches the OpenAPI document from this origin (connect-src 'self').
    const init = await s.api("GET", "/api/docs/static/swagger-initializer.js");
    expect(init.body).toMatch(/validatorUrl: null/);
    const spec = await s.api("GET", "/api/docs/json");
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toBe("3.0.3");
  });

  it("ok/ TLS 1.2 offers only ECDHE with AEAD; TLS 1.3 works; CBC, RSA key exchange and TLS 1.1 are refused", async () => {
    const port = new URL(s.url).port;
    const sClient = (args: string[]) => run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", "localhost", ...args], { timeoutMs: 20_000 });
    const aead = await sClient(["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"]);
    expect(aead.code, aead.out).toBe(0);
    expect(aead.out).toMatch(/Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
    const chacha = await sClient(["-tls1_2", "-cipher", "ECDHE-ECDSA-CHACHA20-POLY1305"]);
    expect(chacha.code, chacha.out).toBe(0);
    expect(chacha.out).toMatch(/Cipher is ECDHE-ECDSA-CHACHA20-POLY1305/);
    for (const cbc of ["AES128-SHA256", "ECDHE-ECDSA-AES128-SHA256", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-ECDSA-AES128-SHA"]) {
      const r = await sClient(["-tls1_2", "-cipher", cbc]);
      expect(r.code, `${cbc}: ${r.out}`).not.toBe(0);
      expect(r.out, cbc).not.toMatch(/Cipher is (?!\(NONE\))/);
    }
    const t13 = await sClient(["-tls1_3"]);
    expect(t13.code, t13.out).toBe(0);
    expect(t13.out).toMatch(/TLSv1\.3/);
    const old = await sClient(["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]);
    expect(old.code, old.out).not.toBe(0);
  });
});

/** A raw TCP connection from `localAddress` that sends `data` and then stalls; resolves with when (ms after start) and how it ended. */
function stall(port: number, data: string, localAddress = "127.0.0.1") {
  const started = Date.now();
  const sock = net.connect({ host: "127.0.0.1", port, localAddress });
  let got = "";
  sock.on("connect", () => sock.write(data));
  sock.on("data", (c: Buffer) => (got += c.toString("latin1")));
  sock.on("error", () => {});
  const closed = new Promise<{ ms: number; got: string }>((resolve) => sock.on("close", () => resolve({ ms: Date.now() - started, got })));
  const connected = new Promise<void>((resolve) => sock.once("connect", () => resolve()));
  return { sock, closed, connected };
}
/** Settles `p`, or rejects after `ms`. */
function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: still open after ${ms} ms`)), ms))]);
}
/** GET from a chosen loopback source address on a fresh connection. */
function getFrom(localAddress: string, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { localAddress, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
  });
}

describe("client time bounds", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ args: ["--headers-timeout", "1", "--request-timeout", "2", "--max-connections-per-address", "1000"] });
  });
  afterAll(async () => s?.close());

  it("fail/ 200 slow connections that stall in their headers are closed within the header timeout; the server keeps serving", async () => {
    const port = Number(new URL(s.url).port);
    const slow = Array.from({ length: 200 }, () => stall(port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: a"));
    await within(Promise.all(slow.map((x) => x.connected)), 10_000, "connect");
    expect((await s.api("GET", "/healthz")).status).toBe(200);
    const ends = await within(Promise.all(slow.map((x) => x.closed)), 8_000, "slow connections");
    const ms = ends.map((e) => e.ms);
    expect(Math.min(...ms)).toBeGreaterThanOrEqual(900);
    expect(Math.max(...ms)).toBeLessThan(6_000);
    expect(ends.filter((e) => e.got.startsWith("HTTP/1.1 408")).length).toBeGreaterThan(0);
    expectBase((await s.api("GET", "/healthz")).headers, "plain HTTP", false);
  });

  it("fail/ a request whose body trickles is closed at the request timeout", async () => {
    const port = Number(new URL(s.url).port);
    const body = stall(port, "POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"em");
    const end = await within(body.closed, 8_000, "trickling body");
    expect(end.ms).toBeGreaterThanOrEqual(1_500);
    expect(end.got).toMatch(/^HTTP\/1\.1 408/);
  });
});

describe("connections per client address", () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startServer({ args: ["--max-connections-per-address", "3"] });
  });
  afterAll(async () => s?.close());

  it("fail/ an address over its limit is cut off at once while another address is served; a closed connection frees a place", async () => {
    const port = Number(new URL(s.url).port);
    const held = Array.from({ length: 3 }, () => stall(port, "", "127.0.0.2"));
    await within(Promise.all(held.map((x) => x.connected)), 5_000, "connect");
    await new Promise((r) => setTimeout(r, 100)); // let the server count them
    const extra = stall(port, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", "127.0.0.2");
    const cut = await within(extra.closed, 3_000, "the 4th connection");
    expect(cut.got).toBe("");
    await expect(getFrom("127.0.0.2", `${s.url}/healthz`)).rejects.toThrow();
    expect(await getFrom("127.0.0.3", `${s.url}/healthz`)).toBe(200);
    for (const h of held.map((x) => x)) expect(h.sock.destroyed).toBe(false);

    held[0].sock.destroy();
    await held[0].closed;
    await new Promise((r) => setTimeout(r, 100));
    expect(await getFrom("127.0.0.2", `${s.url}/healthz`)).toBe(200);
    for (const h of held) h.sock.destroy();
  });
});
