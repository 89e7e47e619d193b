import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { Duplex } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVa } from "./va.js";

// One port serving both http and https (sniffing the TLS record type, 0x16), so a redirect to
// https stays on the configured lab port; the certificate is self-signed and must not be verified.
const TOKEN = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
const KEY_AUTH = `${TOKEN}.thumbprint`;
let dir: string;
let port: number;
let v6Port: number | undefined;
const seen: string[] = [];
const closers: (() => void)[] = [];

async function dualServer(host: string): Promise<number> {
  const plain = http.createServer((req, res) => {
    seen.push(`http ${req.url}`);
    res.writeHead(302, { Location: `https://${req.headers.host}/secure` });
    res.end();
  });
  const secure = https.createServer({ key: readFileSync(path.join(dir, "k.pem")), cert: readFileSync(path.join(dir, "c.pem")) }, (req, res) => {
    seen.push(`https ${req.url}`);
    res.end(KEY_AUTH);
  });
  const front = net.createServer((sock) => {
    sock.once("data", (first) => {
      sock.pause();
      if (first[0] !== 0x16) {
        sock.unshift(first);
        plain.emit("connection", sock);
        sock.resume();
        return;
      }
      // TLS reads the socket's handle directly, past JS-level unshift: hand it a JS stream instead.
      const relay = new Duplex({
        read: () => void sock.resume(),
        write: (chunk, enc, cb) => void sock.write(chunk, enc, cb),
        final: (cb) => void sock.end(cb),
        destroy: (err, cb) => {
          sock.destroy();
          cb(err);
        },
      });
      sock.on("data", (d) => relay.push(d) || sock.pause());
      sock.on("end", () => relay.push(null));
      sock.on("error", () => relay.destroy());
      relay.push(first);
      secure.emit("connection", relay);
    });
  });
  await new Promise<void>((r, j) => front.once("error", j).listen(0, host, r));
  closers.push(() => front.close());
  return (front.address() as AddressInfo).port;
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "stamp-va-https-"));
  execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(dir, "k.pem"), "-out", path.join(dir, "c.pem"), "-days", "1", "-subj", "/CN=untrusted"], { stdio: "ignore" });
  port = await dualServer("127.0.0.1");
  v6Port = await dualServer("::1").catch(() => undefined);
});
afterAll(() => {
  closers.forEach((c) => c());
  rmSync(dir, { recursive: true, force: true });
});

describe("http-01 redirects to https (RFC 8555 §8.3)", () => {
  it("ok/ an https redirect is followed without verifying the certificate", async () => {
    seen.length = 0;
    const va = createVa({ http01Port: port, allowPrivateAddresses: true, retries: 0, timeoutMs: 2000 });
    const r = await va.http01({ type: "ip", value: "127.0.0.1" }, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: true });
    expect(seen).toEqual([`http /.well-known/acme-challenge/${TOKEN}`, "https /secure"]);
    expect(r.ok && (r.record.hops as { url: string }[]).map((h) => h.url)).toEqual([
      `http://127.0.0.1:${port}/.well-known/acme-challenge/${TOKEN}`,
      `https://127.0.0.1:${port}/secure`,
    ]);
  });

  it("ok/ an IPv6 identifier is put in brackets (RFC 8738 §4)", async (ctx) => {
    if (v6Port === undefined) return ctx.skip();
    seen.length = 0;
    const va = createVa({ http01Port: v6Port, allowPrivateAddresses: true, retries: 0, timeoutMs: 2000 });
    const r = await va.http01({ type: "ip", value: "::1" }, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: true, record: { url: `http://[::1]:${v6Port}/.well-known/acme-challenge/${TOKEN}` } });
    expect(seen).toHaveLength(2);
  });

  it("fail/ IPv6 loopback is refused when private addresses are not allowed", async () => {
    const r = await createVa({ http01Port: v6Port ?? port, retries: 0 }).http01({ type: "ip", value: "::1" }, TOKEN, KEY_AUTH);
    expect(r).toMatchObject({ ok: false, problem: { type: "rejectedIdentifier" } });
  });
});
