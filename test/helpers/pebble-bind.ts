import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, writeFileSync, chmodSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./harness.js";

/** A BIND9 primary for `zone` on a loopback port, taking TSIG-signed updates, and pebble resolving through it. */
export interface PebbleBind {
  dir: string;
  zone: string;
  bindPort: number;
  tsig: { keyName: string; algorithm: string; secret: string };
  directoryUrl: string;
  mgmtUrl: string;
  /** PEM of the CA that signed pebble's TLS certificate (the external CA's trust bundle). */
  pebbleTlsCa: string;
  /**
   * A second pebble requiring EAB (`eab` is its one key). Its DNS lookups go to pebble-challtestsrv,
   * not to the BIND: it sees another view of the zone than Stamp (split horizon), so it refuses a
   * challenge whose record Stamp put up on the BIND, and `eabDnsTxt` sets what it sees instead.
   */
  eabDirectoryUrl: string;
  eab: { kid: string; hmacKey: string };
  eabDnsTxt(host: string, value: string): Promise<void>;
  /** GET on pebble's management interface (roots, cert status). */
  mgmt(path: string, base?: string): Promise<{ status: number; text: string }>;
  /** TXT values of `name` on the BIND (dig). */
  txt(name: string): string[];
  close(): Promise<void>;
}

/** How long pebble's certificates live (so renewal windows and expiry alerts reach them at once). */
export const VALIDITY_DAYS = 20;

async function waitFor(check: () => boolean | Promise<boolean>, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await Promise.resolve(check()).catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not start`);
}

/** Starts BIND9 and two pebbles (EAB off and on), all on 127.0.0.1 ports chosen free. */
export async function startPebbleBind(zone = "example.test"): Promise<PebbleBind> {
  const dir = mkdtempSync(join(tmpdir(), "extca-"));
  const procs: ChildProcess[] = [];
  const bindPort = await freePort();
  const tsig = { keyName: "stamp-key", algorithm: "hmac-sha256", secret: randomBytes(32).toString("base64") };
  writeFileSync(join(dir, `${zone}.zone`), `$TTL 60\n@ IN SOA ns1.${zone}. admin.${zone}. 1 60 60 600 60\n@ IN NS ns1.${zone}.\nns1 IN A 127.0.0.1\n`);
  writeFileSync(
    join(dir, "named.conf"),
    `options { directory "${dir}"; pid-file "${dir}/named.pid"; session-keyfile "${dir}/session.key"; listen-on port ${bindPort} { 127.0.0.1; }; listen-on-v6 { none; }; recursion no; dnssec-validation no; allow-query { any; }; };
key "${tsig.keyName}" { algorithm ${tsig.algorithm}; secret "${tsig.secret}"; };
controls { };
zone "${zone}" { type primary; file "${dir}/${zone}.zone"; allow-update { key "${tsig.keyName}"; }; };
`,
  );
  const named = spawn("/usr/sbin/named", ["-g", "-c", join(dir, "named.conf")], { stdio: ["ignore", "ignore", "pipe"] });
  let namedLog = "";
  named.stderr!.on("data", (b: Buffer) => (namedLog += b.toString()));
  procs.push(named);
  await waitFor(() => namedLog.includes("running"), `named (${namedLog.slice(-500)})`);

  // pebble's TLS: a throwaway CA and a 127.0.0.1 certificate, trusted by the external CA's bundle only.
  const ossl = (...a: string[]) => execFileSync("openssl", a, { cwd: dir, stdio: "pipe" });
  ossl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tlsca.key", "-out", "tlsca.pem", "-subj", "/CN=pebble TLS test CA", "-days", "2");
  ossl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "tls.key", "-out", "tls.csr", "-subj", "/CN=127.0.0.1");
  writeFileSync(join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  ossl("x509", "-req", "-in", "tls.csr", "-CA", "tlsca.pem", "-CAkey", "tlsca.key", "-CAcreateserial", "-out", "tls.pem", "-days", "2", "-extfile", "ext.cnf");
  const pebbleTlsCa = execFileSync("cat", [join(dir, "tlsca.pem")]).toString();

  const eab = { kid: "kid-1", hmacKey: randomBytes(32).toString("base64url") };
  const [mockDnsPort, mockMgmtPort] = [await freePort(), await freePort()];
  const challtest = spawn("pebble-challtestsrv", ["-dns01", `127.0.0.1:${mockDnsPort}`, "-management", `127.0.0.1:${mockMgmtPort}`, "-http01", "", "-https01", "", "-tlsalpn01", ""], { stdio: ["ignore", "pipe", "pipe"] });
  let challtestLog = "";
  for (const st of [challtest.stdout!, challtest.stderr!]) st.on("data", (b: Buffer) => (challtestLog += b.toString()));
  procs.push(challtest);
  await waitFor(() => challtestLog.includes("Starting management server"), `pebble-challtestsrv (${challtestLog.slice(-500)})`);
  const startPebble = async (name: string, eabOn: boolean, dnsPort: number) => {
    const [acmePort, mgmtPort, httpPort, tlsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const cfg = { pebble: { listenAddress: `127.0.0.1:${acmePort}`, managementListenAddress: `127.0.0.1:${mgmtPort}`, certificate: join(dir, "tls.pem"), privateKey: join(dir, "tls.key"), httpPort, tlsPort, ocspResponderURL: "", certificateValidityPeriod: VALIDITY_DAYS * 86400, externalAccountBindingRequired: eabOn, ...(eabOn ? { externalAccountMACKeys: { [eab.kid]: eab.hmacKey } } : {}) } };
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(cfg));
    const p = spawn("pebble", ["-config", join(dir, `${name}.json`), "-dnsserver", `127.0.0.1:${dnsPort}`], { env: { ...process.env, PEBBLE_VA_NOSLEEP: "1", PEBBLE_WFE_NONCEREJECT: "0", PEBBLE_AUTHZREUSE: "0" }, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    p.stdout!.on("data", (b: Buffer) => (log += b.toString()));
    p.stderr!.on("data", (b: Buffer) => (log += b.toString()));
    procs.push(p);
    await waitFor(() => log.includes("Listening on"), `pebble (${log.slice(-500)})`);
    return { directoryUrl: `https://127.0.0.1:${acmePort}/dir`, mgmtUrl: `https://127.0.0.1:${mgmtPort}` };
  };
  const plain = await startPebble("pebble", false, bindPort);
  const withEab = await startPebble("pebble-eab", true, mockDnsPort);

  const mgmt = (path: string, base = plain.mgmtUrl) =>
    new Promise<{ status: number; text: string }>((resolve, reject) => {
      https.get(base + path, { ca: pebbleTlsCa, timeout: 10_000 }, (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      }).on("error", reject);
    });
  const txt = (name: string) =>
    execFileSync("dig", ["+short", "-p", String(bindPort), "@127.0.0.1", name, "TXT"]).toString().split("\n").filter(Boolean).map((l) => l.replace(/^"|"$/g, ""));
  const eabDnsTxt = async (host: string, value: string) => {
    const r = await fetch(`http://127.0.0.1:${mockMgmtPort}/set-txt`, { method: "POST", body: JSON.stringify({ host: `${host}.`, value }), signal: AbortSignal.timeout(5000) });
    if (!r.ok) throw new Error(`set-txt: ${r.status}`);
  };
  return {
    dir, zone, bindPort, tsig, directoryUrl: plain.directoryUrl, mgmtUrl: plain.mgmtUrl, pebbleTlsCa, eabDirectoryUrl: withEab.directoryUrl, eab, eabDnsTxt, mgmt, txt,
    async close() {
      for (const p of procs) p.kill("SIGTERM");
      await Promise.all(procs.map((p) => (p.exitCode === null ? new Promise((r) => p.once("exit", r)) : null)));
    },
  };
}

/**
 * Writes an executable hook script in `dir` that calls nsupdate against the BIND with `secret`, or
 * exits 1 (`fail`). With `gate`, it first logs `present <record> <server pid>` to `gate.log` and
 * waits (at most 25 s) while the file `gate.file` exists; then, if the server that ran it is gone
 * (killed), it exits 1 without touching DNS, as a hook whose caller died would be abandoned.
 */
export function writeHook(env: PebbleBind, name: string, opts: { fail?: boolean; gate?: { file: string; log: string } } = {}): string {
  const path = join(env.dir, `${name}.sh`);
  const key = join(env.dir, `${name}.key`);
  writeFileSync(key, `key "${env.tsig.keyName}" { algorithm ${env.tsig.algorithm}; secret "${env.tsig.secret}"; };\n`, { mode: 0o600 });
  const gate = opts.gate
    ? `if [ "$1" = present ]; then\n  echo "present $2 $PPID" >> ${opts.gate.log}\n  i=0; while [ -e ${opts.gate.file} ] && [ $i -lt 250 ]; do sleep 0.1; i=$((i+1)); done\n  kill -0 $PPID 2>/dev/null || exit 1\nfi\n`
    : "";
  const body = opts.fail
    ? `#!/bin/sh\necho "hook refuses $1 $2" >&2\nexit 1\n`
    : `#!/bin/sh\nset -e\n${gate}if [ "$1" = present ]; then verb=add; else verb=delete; fi\nprintf 'server 127.0.0.1 ${env.bindPort}\\nzone ${env.zone}\\nupdate %s %s. 60 IN TXT "%s"\\nsend\\n' "$verb" "$2" "$3" | nsupdate -k ${key}\n`;
  writeFileSync(path, body);
  chmodSync(path, 0o755);
  return path;
}
