import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createClient, StampApiError, StampConnectionError } from "../src/client/client.js";
import { runStamp, type StampRun } from "./helpers/cli-run.js";
import { ADMIN_EMAIL, ADMIN_PASSWORD, startServer } from "./helpers/harness.js";
import { openssl } from "./helpers/openssl.js";
import { startTlsProxy } from "./helpers/tls-proxy.js";

// The `stamp` CLI as a real process against a real server. Later tests build on earlier ones
// (one server, one session file). Logins from 127.0.0.1 are limited to 10 per 5 minutes per
// account: this file makes four for the admin (harness, wrong password, login, TLS login).

const s = await startServer();
const dir = await mkdtemp(path.join(os.tmpdir(), "stamp-cli-"));
const config = path.join(dir, "session.json");
afterAll(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});


const stamp = (args: string[], o: { stdin?: string; env?: Record<string, string>; config?: string } = {}) => runStamp(args, { config: o.config ?? config, stdin: o.stdin, env: o.env });
const show = (r: StampRun) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
const lines = (t: string) => t.split("\n").filter((l) => l.trim() !== "");
/** An error is one `stamp: …` line (then violations), never a stack trace. */
function expectCleanError(r: StampRun) {
  expect(r.stderr, show(r)).toMatch(/^stamp: /);
  expect(r.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
}
const closedPort = () =>
  new Promise<number>((resolve) => {
    const srv = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });

describe("login", () => {
  it("fail/ a wrong password exits 3 with one line", async () => {
    const r = await stamp(["login", "--server", s.url, "--email", ADMIN_EMAIL, "--password-stdin"], { stdin: "not the password\n" });
    expect(r.code, show(r)).toBe(3);
    expect(lines(r.stderr)).toHaveLength(1);
    expectCleanError(r);
    await expect(stat(config)).rejects.toThrow();
  });

  it("fail/ before login every command exits 3 and says how to log in", async () => {
    const r = await stamp(["ca", "list"]);
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toContain("stamp login");
  });

  it("fail/ no password given is a usage error (2)", async () => {
    const r = await stamp(["login", "--server", s.url, "--email", ADMIN_EMAIL]);
    expect(r.code, show(r)).toBe(2);
    expectCleanError(r);
  });

  it("ok/ logs in with --password-stdin and saves the session 0600", async () => {
    const r = await stamp(["login", "--server", s.url, "--email", ADMIN_EMAIL, "--password-stdin"], { stdin: `${ADMIN_PASSWORD}\n` });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain(ADMIN_EMAIL);
    expect((await stat(config)).mode & 0o777).toBe(0o600);
    const saved = JSON.parse(await readFile(config, "utf8"));
    expect(saved.server).toBe(s.url);
    expect(Date.parse(saved.expiresAt)).toBeGreaterThan(Date.now());
  });

  it("ok/ a machine identity logs in with --client-id and STAMP_CLIENT_SECRET", async () => {
    const ident = await s.api("POST", "/api/v1/identities", { token: s.adminToken, body: { projectId: s.defaultProjectId, name: "cli-bot", role: "viewer" } });
    expect(ident.status, JSON.stringify(ident.body)).toBe(200);
    const sec = await s.api("POST", `/api/v1/identities/${ident.body.identity.id}/universal-auth/client-secrets`, { token: s.adminToken, body: {} });
    const botConfig = path.join(dir, "bot.json");
    const r = await stamp(["login", "--server", s.url, "--client-id", ident.body.identity.clientId], { config: botConfig, env: { STAMP_CLIENT_SECRET: sec.body.clientSecret } });
    expect(r.code, show(r)).toBe(0);
    const list = await stamp(["ca", "list", "--json"], { config: botConfig });
    expect(list.code, show(list)).toBe(0);
    expect(JSON.parse(list.stdout)).toEqual([]);
  });

  it("ok/ over https it trusts --ca-file, and without it fails with exit 5", async () => {
    const proxy = await startTlsProxy(s.url);
    try {
      const caFile = path.join(dir, "proxy-ca.pem");
      await writeFile(caFile, proxy.caPem);
      const tlsConfig = path.join(dir, "tls.json");
      const untrusted = await stamp(["login", "--server", proxy.url, "--email", ADMIN_EMAIL], { config: tlsConfig, env: { STAMP_PASSWORD: ADMIN_PASSWORD } });
      expect(untrusted.code, show(untrusted)).toBe(5);
      expect(untrusted.stderr).toMatch(/TLS/);
      expectCleanError(untrusted);
      const ok = await stamp(["login", "--server", proxy.url, "--ca-file", caFile, "--email", ADMIN_EMAIL], { config: tlsConfig, env: { STAMP_PASSWORD: ADMIN_PASSWORD } });
      expect(ok.code, show(ok)).toBe(0);
      const list = await stamp(["ca", "list", "--json"], { config: tlsConfig });
      expect(list.code, show(list)).toBe(0);
    } finally {
      await proxy.close();
    }
  });
});

describe("CAs", () => {
  let rootId = "";
  it("ok/ creates a root and an intermediate signed by it (parent by name)", async () => {
    const root = await stamp(["ca", "create", "--name", "root", "--cn", "Acme Root", "--org", "Acme", "--country", "US", "--key-algorithm", "EC_secp384r1", "--max-path-length", "1", "--json"]);
    expect(root.code, show(root)).toBe(0);
    const rootCa = JSON.parse(root.stdout);
    rootId = rootCa.id;
    expect(rootCa.configuration).toMatchObject({ type: "root", commonName: "Acme Root", maxPathLength: 1, keyAlgorithm: "EC_secp384r1" });

    const int = await stamp(["ca", "create", "--name", "issuing", "--cn", "Acme Issuing", "--org", "Acme", "--parent", "root"]);
    expect(int.code, show(int)).toBe(0);
    expect(int.stdout).toMatch(/type:\s+intermediate/);
    expect(int.stdout).toMatch(/status:\s+active/);
  });

  it("ok/ ca list --json parses; the table names the parent", async () => {
    const r = await stamp(["ca", "list", "--json"]);
    expect(r.code, show(r)).toBe(0);
    const cas = JSON.parse(r.stdout) as { name: string; configuration: { parentCaId: string | null } }[];
    expect(cas.map((c) => c.name).sort()).toEqual(["issuing", "root"]);
    expect(cas.find((c) => c.name === "issuing")!.configuration.parentCaId).toBe(rootId);
    const t = await stamp(["ca", "list"]);
    expect(t.stdout).toMatch(/^ID\s+NAME\s+TYPE/);
    expect(t.stdout).toMatch(/issuing\s+intermediate\s+active\s+Acme Issuing\s+EC_prime256v1\s+root/);
  });

  it("ok/ ca get by name and id; --pem prints the certificate and chain", async () => {
    const byName = await stamp(["ca", "get", "issuing", "--json"]);
    expect(byName.code, show(byName)).toBe(0);
    const ca = JSON.parse(byName.stdout);
    const byId = await stamp(["ca", "get", ca.id]);
    expect(byId.stdout).toContain("CN=Acme Issuing");
    const pem = await stamp(["ca", "get", "issuing", "--pem"]);
    expect(pem.stdout.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    const rootPem = await stamp(["ca", "get", "root", "--pem"]);
    const v = openssl(() => ["verify", "-x509_strict", "-CAfile", "root.pem", "int.pem"], { "root.pem": rootPem.stdout, "int.pem": pem.stdout });
    expect(v.out).toContain("int.pem: OK");
  });

  it("fail/ the server's violations print one per line as field: message (value), exit 1", async () => {
    const r = await stamp(["ca", "create", "--name", "bad", "--cn", "Bad", "--country", "USA"]);
    expect(r.code, show(r)).toBe(1);
    expectCleanError(r);
    expect(r.stderr).toMatch(/^configuration\.country: .+ \(USA\)$/m);
  });

  it("fail/ an unknown CA exits 4", async () => {
    const byId = await stamp(["ca", "get", randomUUID()]);
    expect(byId.code, show(byId)).toBe(4);
    expectCleanError(byId);
    const byName = await stamp(["ca", "get", "no-such-ca"]);
    expect(byName.code, show(byName)).toBe(4);
  });
});

describe("usage and transport errors", () => {
  it("fail/ usage errors exit 2 with a pointer to --help", async () => {
    for (const args of [
      ["ca", "create", "--name", "x"], // no --cn
      ["ca", "create", "--name", "x", "--cn", "x", "--colour", "blue"], // unknown flag
      ["ca", "create", "--name", "x", "--cn", "x", "--key-algorithm", "DSA_1024"],
      ["ca", "get"], // missing CA
      ["ca", "get", "a", "b"],
      ["cert", "revoke", randomUUID(), "--reason", "bored"],
      ["cert", "revoke", randomUUID(), "--reason", "key-compromise", "--invalidity-date", "0001-01-01T00:00:00Z"], // before 1950: no CRL can carry it
      ["cert", "revoke", randomUUID(), "--reason", "key-compromise", "--invalidity-date", "yesterday"],
      ["cert", "issue", "--profile", "web", "--cn", "x"], // neither --csr nor --key-out
      ["cert", "issue", "--profile", "web", "--san", "www.acme.com", "--key-out", "k"], // SAN without a type
      ["ca"],
    ]) {
      const r = await stamp(args);
      expect(r.code, `${args.join(" ")}\n${show(r)}`).toBe(2);
      expect(r.stderr).toMatch(/^stamp: /);
    }
  });

  it("fail/ an unknown command exits 2 with a hint", async () => {
    const r = await stamp(["cert", "isue"]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain("Did you mean 'stamp cert issue'?");
    const none = await stamp(["frobnicate"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("stamp --help");
  });

  it("ok/ --help on every command prints usage and examples, exit 0", async () => {
    const all = await stamp(["--help"]);
    expect(all.code).toBe(0);
    const names = [...all.stdout.matchAll(/^ {2}([a-z]+(?: [a-z]+)?) {2,}/gm)].map((m) => m[1]);
    expect(names.length).toBeGreaterThanOrEqual(11);
    for (const n of names) {
      const r = await stamp([...n.split(" "), "--help"]);
      expect(r.code, `${n}: ${show(r)}`).toBe(0);
      expect(r.stdout).toMatch(/^Usage: stamp /);
      expect(r.stdout).toContain("Examples:");
    }
    // One CLI process per command (24 now): a loaded 2-core box needs more than the default 60 s.
  }, 180_000);

  it("ok/ bin/stamp is an executable launcher for the same CLI", async () => {
    const r = await new Promise<{ code: number | null; out: string }>((resolve, reject) => {
      const c = spawn(path.resolve(import.meta.dirname, "../bin/stamp"), ["ca", "list"], { env: { PATH: process.env.PATH ?? "", STAMP_CONFIG: config }, stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      c.stdout.on("data", (d: Buffer) => (out += d.toString()));
      c.on("error", reject);
      c.on("close", (code) => resolve({ code, out }));
    });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^ID\s+NAME/);
  });

  it("fail/ a server that is down exits 5", async () => {
    const port = await closedPort();
    const r = await stamp(["login", "--server", `http://127.0.0.1:${port}`, "--email", ADMIN_EMAIL], { config: path.join(dir, "down.json"), env: { STAMP_PASSWORD: ADMIN_PASSWORD } });
    expect(r.code, show(r)).toBe(5);
    expectCleanError(r);
    expect(r.stderr).toContain("connection refused");
    const downConfig = path.join(dir, "down2.json");
    await writeFile(downConfig, JSON.stringify({ server: `http://127.0.0.1:${port}`, token: "x", expiresAt: new Date(Date.now() + 3600_000).toISOString() }));
    const list = await stamp(["ca", "list"], { config: downConfig });
    expect(list.code, show(list)).toBe(5);
  });

  it("fail/ a token the server refuses exits 3; an expired session exits 3 without a request", async () => {
    const bad = path.join(dir, "bad.json");
    await writeFile(bad, JSON.stringify({ server: s.url, token: "not-a-token", expiresAt: new Date(Date.now() + 3600_000).toISOString() }));
    const r = await stamp(["ca", "list"], { config: bad });
    expect(r.code, show(r)).toBe(3);
    expect(r.stderr).toContain("stamp login");
    await writeFile(bad, JSON.stringify({ server: s.url, token: "x", expiresAt: new Date(Date.now() - 1000).toISOString() }));
    const expired = await stamp(["ca", "list"], { config: bad });
    expect(expired.code, show(expired)).toBe(3);
    expect(expired.stderr).toContain("expired");
  });
});

describe("templates, profiles and certificates (seed walk)", () => {
  const pem = (name: string) => path.join(dir, name);
  let rootPem = "";
  let issuedId = "";
  let csrCertId = "";
  let renewedId = "";

  it("ok/ template from --preset tls-server allowing *.acme.com for 1y, then a profile", async () => {
    const t = await stamp(["template", "create", "--preset", "tls-server", "--name", "web", "--allow-cn", "*.acme.com", "--allow-san", "dns:*.acme.com", "--max-validity", "1y", "--json"]);
    expect(t.code, show(t)).toBe(0);
    const tpl = JSON.parse(t.stdout).certificateTemplate;
    expect(tpl.validity.max).toBe("1y");
    expect(tpl.subject.find((x: { type: string }) => x.type === "common_name").allowed).toEqual(["*.acme.com"]);
    // The flags narrow the preset: its email and URI bans stay; the still-open IP SANs are warned about.
    expect(tpl.sans).toEqual(expect.arrayContaining([{ type: "email", allowed: [] }, { type: "uri", allowed: [] }]));
    expect(t.stderr, show(t)).toMatch(/^warning: .*SANs of type ip_address may be anything/m);
    const p = await stamp(["profile", "create", "--slug", "web", "--template", "web", "--ca", "issuing", "--ttl", "90d"]);
    expect(p.code, show(p)).toBe(0);
    expect(p.stdout).toMatch(/slug:\s+web/);
    rootPem = (await stamp(["ca", "get", "root", "--pem"])).stdout;
  });

  it("fail/ template create: a CN-only template warns on stderr; a flag that widens the preset is refused", async () => {
    const cnOnly = await stamp(["template", "create", "--name", "cn-only", "--allow-cn", "*.acme.com"]);
    expect(cnOnly.code, show(cnOnly)).toBe(0);
    expect(cnOnly.stderr).toMatch(/^warning: The common name is restricted, but SANs of type dns_name, ip_address, email, uri may be anything/m);
    const wide = await stamp(["template", "create", "--preset", "tls-server", "--name", "wide", "--allow-san", "email:*@acme.com"]);
    expect(wide.code, show(wide)).not.toBe(0);
    expectCleanError(wide);
    expect(wide.stderr).toMatch(/widen the preset tls-server/);
    expect(wide.stderr).toMatch(/forbids email/);
  });

  it("ok/ cert issue with a CSR made by openssl req; openssl verify -purpose sslserver accepts it", async () => {
    const req = openssl(() => ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(dir, "web.key"), "-subj", "/CN=www.acme.com", "-out", path.join(dir, "web.csr")], {});
    expect(req.ok, req.out).toBe(true);
    const r = await stamp(["cert", "issue", "--profile", "web", "--csr", pem("web.csr"), "--cn", "www.acme.com", "--san", "dns:www.acme.com", "--ttl", "90d", "--out", pem("web.pem"), "--chain-out", pem("web-chain.pem")]);
    expect(r.code, show(r)).toBe(0);
    csrCertId = /Certificate (\S+) issued/.exec(r.stdout)![1];
    const v = openssl(() => ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "root.pem", "-untrusted", pem("web-chain.pem"), pem("web.pem")], { "root.pem": rootPem });
    expect(v.out).toContain(": OK");
  });

  it("ok/ cert issue without a CSR writes the server-made key 0600 and keeps it out of --json", async () => {
    const r = await stamp(["cert", "issue", "--profile", "web", "--cn", "api.acme.com", "--san", "dns:api.acme.com", "--key-out", pem("api.key"), "--out", pem("api.pem"), "--chain-out", pem("api-chain.pem"), "--json"]);
    expect(r.code, show(r)).toBe(0);
    const res = JSON.parse(r.stdout);
    issuedId = res.certificate.certificateId;
    expect(res.certificate.privateKey).toBeUndefined();
    expect((await stat(pem("api.key"))).mode & 0o777).toBe(0o600);
    const keyPub = openssl(() => ["pkey", "-in", pem("api.key"), "-pubout"], {}).out;
    const certPub = openssl(() => ["x509", "-in", pem("api.pem"), "-noout", "-pubkey"], {}).out;
    expect(certPub).toBe(keyPub);
    const v = openssl(() => ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "root.pem", "-untrusted", pem("api-chain.pem"), pem("api.pem")], { "root.pem": rootPem });
    expect(v.out).toContain(": OK");
  });

  it("fail/ a name outside the template is refused with its violations (exit 1)", async () => {
    const r = await stamp(["cert", "issue", "--profile", "web", "--cn", "www.evil.com", "--san", "dns:www.evil.com", "--key-out", pem("evil.key")]);
    expect(r.code, show(r)).toBe(1);
    expectCleanError(r);
    expect(r.stderr).toMatch(/^\S+: .+\(www\.evil\.com\)$/m);
    await expect(stat(pem("evil.key"))).rejects.toThrow();
  });

  it("ok/ cert renew writes a new key; the renewed certificate verifies; the old one says renewed", async () => {
    const r = await stamp(["cert", "renew", issuedId, "--key-out", pem("api2.key"), "--out", pem("api2.pem"), "--chain-out", pem("api2-chain.pem")]);
    expect(r.code, show(r)).toBe(0);
    renewedId = /Certificate (\S+) renewed/.exec(r.stdout)![1];
    expect(renewedId).not.toBe(issuedId);
    expect((await stat(pem("api2.key"))).mode & 0o777).toBe(0o600);
    const v = openssl(() => ["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", "root.pem", "-untrusted", pem("api2-chain.pem"), pem("api2.pem")], { "root.pem": rootPem });
    expect(v.out).toContain(": OK");
    const old = await stamp(["cert", "get", issuedId, "--json"]);
    expect(JSON.parse(old.stdout).certificate.lifecycleStatus).toBe("renewed");
  });

  it("ok/ cert revoke --reason superseded (kebab) and KEY_COMPROMISE (Infisical's spelling)", async () => {
    const r = await stamp(["cert", "revoke", renewedId, "--reason", "superseded", "--json"]);
    expect(r.code, show(r)).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ message: "Successfully revoked certificate", certificate: { status: "revoked", revocationReason: 4, revocationReasonName: "SUPERSEDED" } });
    const k = await stamp(["cert", "revoke", csrCertId, "--reason", "KEY_COMPROMISE"]);
    expect(k.code, show(k)).toBe(0);
    expect(k.stdout).toMatch(/reason:\s+key-compromise/);
  });

  it("ok/ cert list and cert get show the walk", async () => {
    const all = await stamp(["cert", "list", "--all", "--json"]);
    expect(all.code, show(all)).toBe(0);
    expect(JSON.parse(all.stdout).certificates.map((c: { id: string }) => c.id).sort()).toEqual([csrCertId, issuedId, renewedId].sort());
    const revoked = await stamp(["cert", "list", "--status", "revoked"]);
    expect(revoked.stdout).toMatch(/^ID\s+COMMON NAME\s+STATUS/);
    expect(lines(revoked.stdout)).toHaveLength(3);
    // --expiring: active certificates ending within the window; the walk's three are renewed or revoked.
    const issued = await stamp(["cert", "issue", "--profile", "web", "--cn", "soon.acme.com", "--san", "dns:soon.acme.com", "--ttl", "10d", "--key-out", pem("soon.key"), "--out", pem("soon.pem")]);
    expect(issued.code, show(issued)).toBe(0);
    const soonId = /Certificate (\S+) issued/.exec(issued.stdout)![1];
    const soon = await stamp(["cert", "list", "--expiring", "30d", "--json"]);
    expect(soon.code, show(soon)).toBe(0);
    expect(JSON.parse(soon.stdout).certificates.map((c: { id: string }) => c.id)).toEqual([soonId]);
    const none = await stamp(["cert", "list", "--expiring", "5d"]);
    expect(none.code, show(none)).toBe(0);
    expect(none.stdout.trim()).toBe("No certificates match.");
    const bad = await stamp(["cert", "list", "--expiring", "30m"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--expiring: "30m" is ambiguous');
    const both = await stamp(["cert", "list", "--expiring", "30d", "--status", "revoked"]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("--expiring lists active certificates");
    const one = await stamp(["cert", "get", renewedId]);
    expect(one.stdout).toMatch(/status:\s+revoked/);
    const p = await stamp(["cert", "get", renewedId, "--pem"]);
    expect(p.stdout).toContain("BEGIN CERTIFICATE");
    expect(p.stdout).not.toContain("PRIVATE KEY");
  });
});

describe("the typed client beyond what the CLI uses", () => {
  it("ok/ presets, preview, bundle, pem, private key and PKCS#12", async () => {
    const c = createClient({ baseUrl: s.url, token: s.adminToken });
    const { presets } = await c.templates.presets();
    expect(presets.map((p) => p.preset)).toContain("tls-server");
    const { certificateProfiles } = await c.profiles.list(s.defaultProjectId);
    const web = certificateProfiles.find((p) => p.slug === "web")!;
    const preview = await c.certificates.preview({ profileId: web.id, attributes: { commonName: "p.acme.com", altNames: [{ type: "dns_name", value: "p.acme.com" }] } });
    expect(preview.preview.tbsCertificate.length).toBeGreaterThan(100);
    const issued = await c.certificates.issue({ profileId: web.id, attributes: { commonName: "q.acme.com", altNames: [{ type: "dns_name", value: "q.acme.com" }] } });
    const certId = issued.certificate!.certificateId;
    expect((await c.certificates.pem(certId)).trim()).toBe(issued.certificate!.certificate.trim());
    expect((await c.certificates.bundle(certId)).certificateChain).toBe(issued.certificate!.certificateChain);
    expect((await c.certificates.privateKey(certId)).privateKey).toBe(issued.certificate!.privateKey);
    const p12 = await c.certificates.pkcs12(certId, "p12 password");
    const p12File = path.join(dir, "q.p12");
    await writeFile(p12File, p12);
    const info = openssl(() => ["pkcs12", "-in", p12File, "-passin", "pass:p12 password", "-nodes"], {});
    expect(info.out, info.out).toContain("BEGIN CERTIFICATE");
    expect(info.out).toContain("PRIVATE KEY");
  });

  it("fail/ errors carry the problem document; a dead port is a StampConnectionError", async () => {
    const c = createClient({ baseUrl: s.url, token: s.adminToken });
    const e = await c.cas.get(randomUUID()).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(StampApiError);
    expect((e as StampApiError).problem).toMatchObject({ status: 404, title: "Not found" });
    const down = createClient({ baseUrl: `http://127.0.0.1:${await closedPort()}` });
    const d = await down.me().catch((x: unknown) => x);
    expect(d).toBeInstanceOf(StampConnectionError);
    expect((d as StampConnectionError).code).toBe("ECONNREFUSED");
  });
});
