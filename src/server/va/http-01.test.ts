import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createVa } from "./va.js";

// A challenge responder on 127.0.0.1: each test installs the handler for its path.
const TOKEN = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
const KEY_AUTH = `${TOKEN}.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI`;
const PATH = `/.well-known/acme-challenge/${TOKEN}`;
let server: http.Server;
let port: number;
let handler: (req: http.IncomingMessage, res: http.ServerResponse) => void;
let requests: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests.push(req.url ?? "");
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  requests = [];
});

const ip = { type: "ip", value: "127.0.0.1" } as const;
const lab = (extra: Record<string, unknown> = {}) => createVa({ http01Port: port, allowPrivateAddresses: true, timeoutMs: 2000, retries: 0, ...extra });
const reply = (status: number, body: string, headers: Record<string, string> = {}) => (_: http.IncomingMessage, res: http.ServerResponse) => {
  res.writeHead(status, headers);
  res.end(body);
};

describe("http-01 (RFC 8555 §8.3)", () => {
  it("ok/ the key authorization is served", async () => {
    handler = reply(200, KEY_AUTH);
    const r = await lab().http01(ip, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: true, record: { url: `http://127.0.0.1:${port}${PATH}` } });
    expect(requests).toEqual([PATH]);
  });

  it("ok/ a DNS identifier is resolved and sent as Host", async () => {
    let host = "";
    handler = (req, res) => {
      host = req.headers.host ?? "";
      reply(200, KEY_AUTH)(req, res);
    };
    const r = await lab({ resolveHost: async () => ["127.0.0.1"] }).http01({ type: "dns", value: "www.example.test" }, TOKEN, KEY_AUTH);
    expect(r.ok).toBe(true);
    expect(host).toBe(`www.example.test:${port}`);
    expect(r.ok && r.record.hops).toEqual([expect.objectContaining({ hostname: "www.example.test", addressesResolved: ["127.0.0.1"], addressUsed: "127.0.0.1" })]);
  });

  it("ok/ trailing whitespace is ignored", async () => {
    handler = reply(200, `${KEY_AUTH}\r\n \n`);
    expect((await lab().http01(ip, TOKEN, KEY_AUTH)).ok).toBe(true);
  });

  it("fail/ a wrong body is incorrectResponse", async () => {
    handler = reply(200, "something else");
    const r = await lab().http01(ip, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: false, problem: { type: "incorrectResponse" } });
    expect(!r.ok && r.problem.detail).toContain('got "something else"');
  });

  it("fail/ leading whitespace is not ignored", async () => {
    handler = reply(200, ` ${KEY_AUTH}`);
    expect(await lab().http01(ip, TOKEN, KEY_AUTH)).toMatchObject({ ok: false, problem: { type: "incorrectResponse" } });
  });

  it("fail/ 404 is unauthorized with the status", async () => {
    handler = reply(404, "not here");
    const r = await lab().http01(ip, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: false, problem: { type: "unauthorized" } });
    expect(!r.ok && r.problem.detail).toContain("HTTP 404");
  });

  it("ok/ a redirect to the same host and port is followed", async () => {
    handler = (req, res) => (req.url === PATH ? reply(302, "", { Location: "/elsewhere" }) : reply(200, KEY_AUTH))(req, res);
    const r = await lab().http01(ip, TOKEN, KEY_AUTH);
    expect(r.ok).toBe(true);
    expect(requests).toEqual([PATH, "/elsewhere"]);
    expect(r.ok && (r.record.hops as unknown[]).length).toBe(2);
  });

  it("fail/ a redirect to a disallowed port is refused without contacting it", async () => {
    const other = http.createServer((_, res) => res.end(KEY_AUTH));
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", r));
    const otherPort = (other.address() as AddressInfo).port;
    let hits = 0;
    other.on("request", () => hits++);
    handler = reply(301, "", { Location: `http://127.0.0.1:${otherPort}/x` });
    const r = await lab().http01(ip, TOKEN, KEY_AUTH);
    other.close();
    expect(r).toMatchObject({ ok: false, problem: { type: "connection" } });
    expect(!r.ok && r.problem.detail).toContain(`port ${otherPort} is not allowed`);
    expect(hits).toBe(0);
  });

  it("fail/ a redirect to another scheme is refused", async () => {
    handler = reply(302, "", { Location: "ftp://127.0.0.1/x" });
    const r = await lab().http01(ip, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: false, problem: { type: "connection" } });
    expect(!r.ok && r.problem.detail).toContain("only http and https");
  });

  it("fail/ a redirect loop is cut after 10 redirects", async () => {
    let n = 0;
    handler = (req, res) => reply(302, "", { Location: `/loop/${++n}` })(req, res);
    const r = await lab().http01(ip, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: false, problem: { type: "connection" } });
    expect(!r.ok && r.problem.detail).toContain("Too many redirects");
    expect(requests).toHaveLength(11);
  });

  it("ok/ 10 redirects are still followed", async () => {
    let n = 0;
    handler = (req, res) => (n++ < 10 ? reply(307, "", { Location: `/hop/${n}` }) : reply(200, KEY_AUTH))(req, res);
    expect((await lab().http01(ip, TOKEN, KEY_AUTH)).ok).toBe(true);
    expect(requests).toHaveLength(11);
  });

  it("fail/ a 1 MB body is incorrectResponse (streamed, no Content-Length)", async () => {
    handler = (_, res) => {
      res.writeHead(200);
      res.end(Buffer.alloc(1 << 20, 0x61));
    };
    const r = await lab().http01(ip, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: false, problem: { type: "incorrectResponse" } });
    expect(!r.ok && r.problem.detail).toContain("larger than 8192 bytes");
  });

  it("fail/ a body just over 8 KiB with Content-Length is incorrectResponse", async () => {
    handler = reply(200, "a".repeat(8193));
    expect(await lab().http01(ip, TOKEN, KEY_AUTH)).toMatchObject({ ok: false, problem: { type: "incorrectResponse" } });
  });

  it("fail/ a server that never answers is a connection problem within the timeout", async () => {
    handler = () => {}; // accept, never respond
    const t0 = performance.now();
    const r = await lab({ timeoutMs: 300 }).http01(ip, TOKEN, KEY_AUTH);
    const elapsed = performance.now() - t0;
    expect(r).toMatchObject({ ok: false, problem: { type: "connection" } });
    expect(!r.ok && r.problem.detail).toContain("Timed out after 300 ms");
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(1500);
  });

  it("fail/ timeouts are retried with backoff, then reported", async () => {
    handler = () => {};
    const sleeps: number[] = [];
    const r = await lab({ timeoutMs: 150, retries: 2, sleep: async (ms: number) => void sleeps.push(ms) }).http01(ip, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: false, problem: { type: "connection" } });
    expect(requests).toHaveLength(3);
    expect(sleeps).toEqual([250, 500]);
  });

  it("ok/ a transient failure followed by success", async () => {
    let n = 0;
    handler = (req, res) => (n++ === 0 ? req.socket.destroy() : reply(200, KEY_AUTH)(req, res));
    const r = await lab({ retries: 2, sleep: async () => {} }).http01(ip, TOKEN, KEY_AUTH);
    expect(r.ok).toBe(true);
    expect(requests).toHaveLength(2);
  });

  it("fail/ a refused connection is a connection problem", async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const r = await createVa({ http01Port: closedPort, allowPrivateAddresses: true, retries: 0 }).http01(ip, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: false, problem: { type: "connection" } });
    expect(!r.ok && r.problem.detail).toContain("ECONNREFUSED");
  });

  it("fail/ loopback is refused before connecting when private addresses are not allowed", async () => {
    handler = reply(200, KEY_AUTH);
    const va = createVa({ http01Port: port, timeoutMs: 2000, retries: 0, resolveHost: async () => ["127.0.0.1"] });
    const byIp = await va.http01(ip, TOKEN, KEY_AUTH);
    expect(byIp).toMatchObject({ ok: false, problem: { type: "rejectedIdentifier" } });
    const byName = await va.http01({ type: "dns", value: "www.example.test" }, TOKEN, KEY_AUTH);
    expect(byName).toMatchObject({ ok: false, problem: { type: "connection" } });
    expect(!byName.ok && byName.problem.detail).toContain("resolves to 127.0.0.1, a loopback");
    expect(requests).toEqual([]);
  });

  it("fail/ a name with one public and one private address is refused", async () => {
    const va = createVa({ http01Port: port, retries: 0, resolveHost: async () => ["93.184.216.34", "169.254.169.254"] });
    const r = await va.http01({ type: "dns", value: "www.example.test" }, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: false, problem: { type: "connection" } });
    expect(!r.ok && r.problem.detail).toContain("169.254.169.254");
  });

  it("fail/ DNS resolution failure is a dns problem", async () => {
    const err = Object.assign(new Error("nope"), { code: "ENOTFOUND" });
    const va = createVa({ http01Port: port, retries: 0, resolveHost: async () => Promise.reject(err) });
    const r = await va.http01({ type: "dns", value: "missing.example.test" }, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: false, problem: { type: "dns" } });
  });

  it("fail/ malformed tokens and wildcard identifiers", async () => {
    expect(await lab().http01(ip, "../../etc/passwd", KEY_AUTH)).toMatchObject({ ok: false, problem: { type: "malformed" } });
    expect(await lab().http01({ type: "dns", value: "*.example.test" }, TOKEN, KEY_AUTH)).toMatchObject({ ok: false, problem: { type: "malformed" } });
    expect(requests).toEqual([]);
  });
});
