import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentFixture, agentYaml, type AgentFixture } from "./helpers/agent-setup.js";
import { runStamp } from "./helpers/cli-run.js";
import { freePort, startServer, type TestServer } from "./helpers/harness.js";
import { openssl, verifyChain, x509Text } from "./helpers/openssl.js";

// `stamp agent` against a real server: issue (local key) → nothing to do → renew → config
// change → revocation → server-made keys → bad configs → server down.

let s: TestServer;
let fx: AgentFixture;
let out: string;
beforeAll(async () => {
  s = await startServer();
  fx = await agentFixture(s);
  out = path.join(fx.dir, "out");
  mkdirSync(out);
});
afterAll(async () => {
  await s?.close();
  if (fx) rmSync(fx.dir, { recursive: true, force: true });
});

const cfgPath = (name: string) => path.join(fx.dir, name);
function writeCfg(name: string, o: Parameters<typeof agentYaml>[0] extends infer P ? Omit<P, "fx" | "server"> & { server?: string } : never): string {
  const file = cfgPath(name);
  writeFileSync(file, agentYaml({ server: s.url, fx, ...o }));
  return file;
}
const agent = (file: string) => runStamp(["agent", "--config", file, "--once"], { config: path.join(fx.dir, "session.json"), timeoutMs: 45_000 });
const events = (stdout: string) => stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l) as { event: string; [k: string]: unknown });
const serialOf = (pem: string) => openssl(() => ["x509", "-noout", "-serial", "-in", "c.pem"], { "c.pem": pem }).out.trim();
const file = (n: string) => readFileSync(path.join(out, n), "utf8");
const pubOfKey = (key: string) => openssl(() => ["pkey", "-in", "k.pem", "-pubout"], { "k.pem": key }).out;
const pubOfCert = (cert: string) => openssl(() => ["x509", "-in", "c.pem", "-pubkey", "-noout"], { "c.pem": cert }).out;
const mode = (n: string) => statSync(path.join(out, n)).mode & 0o777;

describe("ok/ stamp agent --once", () => {
  let firstSerial = "";
  it("issues with a key made on the host: key 0600, cert matches key, verifies with the chain", async () => {
    const cfg = writeCfg("agent.yaml", {});
    const r = await agent(cfg);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const ev = events(r.stdout);
    expect(ev.map((e) => e.event)).toContain("issued");
    expect(r.stdout).not.toContain(readFileSync(fx.secretFile, "utf8").trim());
    expect(mode("web.key")).toBe(0o600);
    expect(mode("web.pem")).toBe(0o644);
    expect(pubOfKey(file("web.key"))).toBe(pubOfCert(file("web.pem")));
    expect(verifyChain(fx.rootPem, file("chain.pem"), file("web.pem"), ["-purpose", "sslserver"]).out).toContain("cert.pem: OK");
    expect(file("fullchain.pem").startsWith(file("web.pem"))).toBe(true);
    expect(x509Text(file("web.pem"))).toContain("DNS:web.acme.test");
    firstSerial = serialOf(file("web.pem"));
    const state = JSON.parse(readFileSync(cfgPath("agent.state.json"), "utf8"));
    expect(state.certificates.web.certificateId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("a second run has nothing to do", async () => {
    const r = await agent(cfgPath("agent.yaml"));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(events(r.stdout).map((e) => e.event)).toEqual(expect.arrayContaining(["unchanged"]));
    expect(r.stdout).not.toMatch(/"event":"(issued|renewed)"/);
    expect(serialOf(file("web.pem"))).toBe(firstSerial);
  });

  it("renews inside the window (renewBefore 100%) with a new key; afterRenew runs with the STAMP_* environment", async () => {
    const marker = path.join(fx.dir, "renew-marker");
    const oldKey = file("web.key");
    const cfg = writeCfg("agent.yaml", { cert: { renewBefore: "100%", hooks: { afterRenew: { command: ["sh", "-c", `echo "$STAMP_EVENT $STAMP_CERT_NAME $STAMP_SERIAL $STAMP_KEY_FILE" > ${marker}`], timeoutSeconds: 10 } } } });
    const r = await agent(cfg);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(events(r.stdout).map((e) => e.event)).toEqual(expect.arrayContaining(["renewing", "renewed", "hook_ok"]));
    const serial = serialOf(file("web.pem"));
    expect(serial).not.toBe(firstSerial);
    expect(file("web.key")).not.toBe(oldKey);
    expect(pubOfKey(file("web.key"))).toBe(pubOfCert(file("web.pem")));
    const m = readFileSync(marker, "utf8").trim().split(" ");
    expect(m[0]).toBe("renewed");
    expect(m[1]).toBe("web");
    expect(serial.toLowerCase()).toContain(m[2].toLowerCase().replace(/^0+/, ""));
    expect(m[3]).toBe(path.join(out, "web.key"));
  });

  it("a config change (another altName) replaces the certificate", async () => {
    const before = serialOf(file("web.pem"));
    const cfg = writeCfg("agent.yaml", { cert: { altNames: ["dns:web.acme.test", "dns:www.acme.test", "ip:127.0.0.1"] } });
    const r = await agent(cfg);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/does not match the config/);
    expect(serialOf(file("web.pem"))).not.toBe(before);
    const text = x509Text(file("web.pem"));
    expect(text).toContain("DNS:www.acme.test");
    expect(text).toContain("IP Address:127.0.0.1");
  });

  it("a certificate revoked on the server is replaced", async () => {
    const state = JSON.parse(readFileSync(cfgPath("agent.state.json"), "utf8"));
    const before = serialOf(file("web.pem"));
    const rev = await s.api("POST", `/api/v1/cert-manager/certificates/${state.certificates.web.certificateId}/revoke`, { token: s.adminToken, body: { revocationReason: "KEY_COMPROMISE" } });
    expect(rev.status, JSON.stringify(rev.body)).toBe(200);
    const r = await agent(cfgPath("agent.yaml"));
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/revoked/);
    expect(serialOf(file("web.pem"))).not.toBe(before);
    expect(pubOfKey(file("web.key"))).toBe(pubOfCert(file("web.pem")));
  });

  it("server mode: the server makes the key; issue then renew", async () => {
    mkdirSync(path.join(fx.dir, "srv"));
    const files = { certificate: "srv/api.pem", chain: "srv/chain.pem", privateKey: "srv/api.key", pkcs12: { path: "srv/api.p12", password: "changeit" } };
    const base = { name: "api", commonName: "api.acme.test", altNames: ["dns:api.acme.test"], keyMode: "server", keyAlgorithm: "EC_secp384r1", ttl: "7d", files };
    const r1 = await agent(writeCfg("server-mode.yaml", { cert: base }));
    expect(r1.code, r1.stderr + r1.stdout).toBe(0);
    expect(r1.stdout).toContain('"event":"issued"');
    const rd = (n: string) => readFileSync(path.join(fx.dir, "srv", n), "utf8");
    expect(statSync(path.join(fx.dir, "srv", "api.key")).mode & 0o777).toBe(0o600);
    expect(pubOfKey(rd("api.key"))).toBe(pubOfCert(rd("api.pem")));
    expect(x509Text(rd("api.pem"))).toContain("ASN1 OID: secp384r1");
    expect(verifyChain(fx.rootPem, rd("chain.pem"), rd("api.pem")).out).toContain("cert.pem: OK");
    const key1 = rd("api.key");
    const r2 = await agent(writeCfg("server-mode.yaml", { cert: { ...base, renewBefore: "100%" } }));
    expect(r2.code, r2.stderr + r2.stdout).toBe(0);
    expect(r2.stdout).toContain('"event":"renewed"');
    expect(rd("api.key")).not.toBe(key1);
    expect(pubOfKey(rd("api.key"))).toBe(pubOfCert(rd("api.pem")));
    // PKCS#12: openssl opens it with the password and finds the renewed certificate (no client is talking to the server now).
    const p12 = spawnSync("openssl", ["pkcs12", "-in", path.join(fx.dir, "srv", "api.p12"), "-passin", "pass:changeit", "-nokeys", "-clcerts"], { encoding: "utf8", timeout: 20_000 });
    expect(p12.status, p12.stderr).toBe(0);
    expect(serialOf(p12.stdout)).toBe(serialOf(rd("api.pem")));
  });
});

describe("fail/ stamp agent --once", () => {
  const cases: [string, () => Record<string, unknown>, string][] = [
    ["unknown profile", () => ({ cert: { profile: "no-such-profile", files: { certificate: "bad/x.pem", privateKey: "bad/x.key" } } }), "certificates[0].profile"],
    ["unreadable secret file", () => ({ top: { auth: { clientId: fx.clientId, clientSecretFile: path.join(fx.dir, "missing-secret") } } }), "auth.clientSecretFile"],
    ["missing output directory", () => ({ cert: { files: { certificate: "nope/x.pem", privateKey: "nope/x.key" } } }), "certificates[0].files.certificate"],
    ["invalid duration", () => ({ cert: { renewBefore: "10x" } }), "certificates[0].renewBefore"],
  ];
  for (const [what, cfg, field] of cases) {
    it(`${what} → exit 2, one line naming ${field}`, async () => {
      mkdirSync(path.join(fx.dir, "bad"), { recursive: true });
      const r = await agent(writeCfg("bad.yaml", cfg() as never));
      expect(r.code, r.stderr + r.stdout).toBe(2);
      const lines = r.stderr.trim().split("\n");
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(field);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }

  it("server down → exit 5, the files stay as they were", async () => {
    const port = await freePort();
    const before = ["web.pem", "web.key", "chain.pem", "fullchain.pem"].map((n) => [n, file(n), statSync(path.join(out, n)).mtimeMs] as const);
    const cfg = writeCfg("down.yaml", { server: `http://127.0.0.1:${port}`, cert: { renewBefore: "100%", altNames: ["dns:web.acme.test", "dns:www.acme.test", "ip:127.0.0.1"] } });
    const r = await agent(cfg);
    expect(r.code, r.stderr + r.stdout).toBe(5);
    expect(r.stdout).toContain('"event":"server_unreachable"');
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    for (const [n, text, mtime] of before) {
      expect(file(n)).toBe(text);
      expect(statSync(path.join(out, n)).mtimeMs).toBe(mtime);
    }
  });
});
