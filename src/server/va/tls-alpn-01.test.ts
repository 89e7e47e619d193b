import { execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import tls from "node:tls";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tlsAlpn01Check } from "../../pki/acme-crypto.js";
import { createVa } from "./va.js";

// Self-signed validation certificates made by OpenSSL, with the critical acmeIdentifier
// extension (RFC 8737 §3, OID 1.3.6.1.5.5.7.1.31) holding a SHA-256-sized OCTET STRING.
const KEY_AUTH = "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA.9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI";
const HEX = createHash("sha256").update(KEY_AUTH).digest("hex");
let dir: string;
const certs: Record<string, { key: Buffer; cert: Buffer; der: Uint8Array }> = {};
const servers: net.Server[] = [];
const sniSeen: string[] = [];
let connections = 0;

function makeCert(name: string, san: string) {
  const key = path.join(dir, `${name}.key`);
  const crt = path.join(dir, `${name}.crt`);
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", crt,
    "-days", "1", "-subj", `/CN=${name}`, "-addext", `subjectAltName=${san}`,
    "-addext", `1.3.6.1.5.5.7.1.31=critical,DER:04:20:${HEX.match(/../g)!.join(":")}`,
  ], { stdio: "ignore" });
  const cert = readFileSync(crt);
  certs[name] = { key: readFileSync(key), cert, der: new Uint8Array(new X509Certificate(cert).raw) };
}

async function listen(s: net.Server): Promise<number> {
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  return (s.address() as AddressInfo).port;
}

let acmePort: number;
let noAlpnPort: number;
let otherAlpnPort: number;
let silentPort: number;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "stamp-va-"));
  makeCert("example.test", "DNS:example.test");
  makeCert("127.0.0.1", "IP:127.0.0.1");
  const contexts = Object.fromEntries(Object.entries(certs).map(([n, c]) => [n, tls.createSecureContext({ key: c.key, cert: c.cert })]));
  const byIp: Record<string, string> = { "1.0.0.127.in-addr.arpa": "127.0.0.1" };
  const acme = tls.createServer({
    ...certs["example.test"],
    ALPNProtocols: ["acme-tls/1"],
    // Recorded here, during the handshake: with TLS 1.3 the client may finish before the server's secureConnection.
    SNICallback: (sni, cb) => {
      sniSeen.push(sni);
      cb(null, contexts[byIp[sni] ?? sni] ?? contexts["example.test"]);
    },
  });
  acme.on("connection", () => connections++);
  acmePort = await listen(acme);
  noAlpnPort = await listen(tls.createServer({ ...certs["example.test"] }));
  otherAlpnPort = await listen(tls.createServer({ ...certs["example.test"], ALPNProtocols: ["http/1.1"] }));
  silentPort = await listen(net.createServer(() => {}));
});
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

const local = async () => ["127.0.0.1"];
const va = (port: number, extra: Record<string, unknown> = {}) =>
  createVa({ tlsAlpn01Port: port, allowPrivateAddresses: true, resolveHost: local, timeoutMs: 2000, retries: 0, ...extra });
const sameDer = (want: Uint8Array) => (der: Uint8Array) => (Buffer.from(der).equals(Buffer.from(want)) ? null : "not the certificate served");

describe("tls-alpn-01 (RFC 8737 §3)", () => {
  it("ok/ the validation certificate is passed to check as DER", async () => {
    sniSeen.length = 0;
    const r = await va(acmePort).tlsAlpn01({ type: "dns", value: "example.test" }, sameDer(certs["example.test"].der));
    expect(r).toMatchObject({ ok: true, record: { hostname: "example.test", sni: "example.test", alpn: "acme-tls/1", addressUsed: "127.0.0.1" } });
    expect(sniSeen).toEqual(["example.test"]);
  });

  it("ok/ an IP identifier uses its reverse-DNS name as SNI (RFC 8738 §6)", async () => {
    sniSeen.length = 0;
    const r = await va(acmePort).tlsAlpn01({ type: "ip", value: "127.0.0.1" }, sameDer(certs["127.0.0.1"].der));
    expect(r).toMatchObject({ ok: true, record: { sni: "1.0.0.127.in-addr.arpa" } });
    expect(sniSeen).toEqual(["1.0.0.127.in-addr.arpa"]);
  });

  it("ok/ with pki's tlsAlpn01Check, as ra/acme wires it", async () => {
    for (const id of [{ type: "dns", value: "example.test" }, { type: "ip", value: "127.0.0.1" }] as const) {
      expect(await va(acmePort).tlsAlpn01(id, (der) => tlsAlpn01Check(der, id, KEY_AUTH))).toMatchObject({ ok: true });
    }
    const other = { type: "dns", value: "other.example.test" } as const; // served the example.test certificate
    const r = await va(acmePort).tlsAlpn01(other, (der) => tlsAlpn01Check(der, other, KEY_AUTH));
    expect(r).toMatchObject({ ok: false, problem: { type: "incorrectResponse" } });
    expect(!r.ok && r.problem.detail).toContain("subjectAltName does not match");
  });

  it("fail/ check's reason becomes incorrectResponse", async () => {
    const r = await va(acmePort).tlsAlpn01({ type: "dns", value: "example.test" }, () => "acmeIdentifier does not match");
    expect(r).toMatchObject({ ok: false, problem: { type: "incorrectResponse" } });
    expect(!r.ok && r.problem.detail).toContain("acmeIdentifier does not match");
  });

  it("fail/ a check that throws is incorrectResponse, not an exception", async () => {
    const r = await va(acmePort).tlsAlpn01({ type: "dns", value: "example.test" }, () => {
      throw new Error("boom");
    });
    expect(r).toMatchObject({ ok: false, problem: { type: "incorrectResponse" } });
  });

  it("fail/ a server without ALPN is a tls problem", async () => {
    const r = await va(noAlpnPort).tlsAlpn01({ type: "dns", value: "example.test" }, () => null);
    expect(r).toMatchObject({ ok: false, problem: { type: "tls" } });
    expect(!r.ok && r.problem.detail).toContain("acme-tls/1");
  });

  it("fail/ a server with only other ALPN protocols is a tls problem", async () => {
    expect(await va(otherAlpnPort).tlsAlpn01({ type: "dns", value: "example.test" }, () => null)).toMatchObject({ ok: false, problem: { type: "tls" } });
  });

  it("fail/ a server that never completes the handshake is a connection problem within the timeout", async () => {
    const t0 = performance.now();
    const r = await va(silentPort, { timeoutMs: 300 }).tlsAlpn01({ type: "dns", value: "example.test" }, () => null);
    expect(r).toMatchObject({ ok: false, problem: { type: "connection" } });
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it("fail/ loopback is refused before connecting when private addresses are not allowed", async () => {
    const before = connections;
    const strict = va(acmePort, { allowPrivateAddresses: false });
    expect(await strict.tlsAlpn01({ type: "ip", value: "127.0.0.1" }, () => null)).toMatchObject({ ok: false, problem: { type: "rejectedIdentifier" } });
    expect(await strict.tlsAlpn01({ type: "dns", value: "example.test" }, () => null)).toMatchObject({ ok: false, problem: { type: "connection" } });
    expect(connections).toBe(before);
  });

  it("fail/ wildcard identifiers are malformed (RFC 8555 §7.1.3)", async () => {
    expect(await va(acmePort).tlsAlpn01({ type: "dns", value: "*.example.test" }, () => null)).toMatchObject({ ok: false, problem: { type: "malformed" } });
  });
});
