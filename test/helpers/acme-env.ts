import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort, startServer, type freshDatabase, type TestServer } from "./harness.js";

/** A Stamp over HTTPS with an ACME profile, EAB, and Debian's pebble-challtestsrv as DNS. */
export interface AcmeEnv {
  s: TestServer;
  directory: string;
  profileId: string;
  rootPem: string;
  ports: { http01: number; tlsAlpn01: number; dns: number; mgmt: number };
  eab(): Promise<{ keyId: string; hmacKey: string }>;
  dir: string;
  close(): Promise<void>;
}

/** Runs a command without blocking the event loop (the server is in this process); bounded by `timeoutMs`. */
export function run(cmd: string, args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (c: Buffer) => (out += c.toString()));
    child.stderr.on("data", (c: Buffer) => (out += c.toString()));
    const t = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 120_000);
    child.on("close", (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

/**
 * Starts the environment: Stamp (HTTPS, lab validation ports), a CA hierarchy, a template and an ACME profile.
 * `env` adds or overrides server variables (e.g. STAMP_ACME_REQUESTS_PER_MINUTE); with `db` the caller owns (and drops) the database.
 */
export async function startAcmeEnv(opts: { eabRequired?: boolean; templateDns?: string[]; env?: Record<string, string>; db?: Awaited<ReturnType<typeof freshDatabase>> } = {}): Promise<AcmeEnv> {
  const ports = { http01: await freePort(), tlsAlpn01: await freePort(), dns: await freePort(), mgmt: await freePort() };
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-acme-"));
  const chall: ChildProcess = spawn("pebble-challtestsrv", ["-dns01", `127.0.0.1:${ports.dns}`, "-http01", "", "-https01", "", "-tlsalpn01", "", "-management", `127.0.0.1:${ports.mgmt}`, "-defaultIPv6", ""], { stdio: "ignore" });
  const s = await startServer({
    db: opts.db,
    tls: true,
    env: {
      STAMP_ACME_HTTP01_PORT: String(ports.http01),
      STAMP_ACME_TLS_ALPN01_PORT: String(ports.tlsAlpn01),
      STAMP_ACME_DNS_RESOLVER: `127.0.0.1:${ports.dns}`,
      STAMP_ACME_ALLOW_PRIVATE_ADDRESSES: "true",
      // Webhook receivers of the alert tests listen on 127.0.0.1 too.
      STAMP_EGRESS_ALLOW: "127.0.0.1",
      ...opts.env,
    },
  });
  const t = s.adminToken;
  const p = s.defaultProjectId;
  const ok = async (r: Promise<{ status: number; body: any }>) => {
    const x = await r;
    if (x.status !== 200) throw new Error(JSON.stringify(x.body));
    return x.body;
  };
  const root = await ok(s.api("POST", "/api/v1/cert-manager/ca/internal", { token: t, body: { projectId: p, name: "acme-root", configuration: { type: "root", commonName: "ACME Root", keyAlgorithm: "EC_prime256v1" } } }));
  const int = await ok(s.api("POST", "/api/v1/cert-manager/ca/internal", { token: t, body: { projectId: p, name: "acme-int", configuration: { type: "intermediate", commonName: "ACME Issuing", keyAlgorithm: "EC_prime256v1", parentCaId: root.id } } }));
  const rootPem = (await ok(s.api("GET", `/api/v1/cert-manager/ca/internal/${root.id}/certificate`, { token: t }))).certificate;
  const tpl = await ok(s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: "acme-tpl", preset: "tls-server", sans: [{ type: "dns_name", allowed: opts.templateDns ?? ["*.stamp.test", "stamp.test"] }, { type: "ip_address", allowed: ["127.0.0.0/8"] }], subject: [{ type: "common_name", allowed: [...(opts.templateDns ?? ["*.stamp.test", "stamp.test"]), "127.0.0.1"] }], validity: { max: "90d" } } }));
  const prof = await ok(s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug: "acme", templateId: tpl.certificateTemplate.id, caId: int.id, enrollmentMethods: ["api", "acme"], defaults: { ttl: "30d" }, acmeConfig: { eabRequired: opts.eabRequired ?? true } } }));
  const profileId = prof.certificateProfile.id;
  // lego's exec DNS provider: present/cleanup TXT records through challtestsrv's management API.
  writeFileSync(
    path.join(dir, "dns-hook.sh"),
    `#!/bin/sh\nset -e\ncase "$1" in\n  present) curl -s -d "{\\"host\\":\\"$2\\",\\"value\\":\\"$3\\"}" http://127.0.0.1:${ports.mgmt}/set-txt ;;\n  cleanup) curl -s -d "{\\"host\\":\\"$2\\"}" http://127.0.0.1:${ports.mgmt}/clear-txt ;;\nesac\n`,
  );
  chmodSync(path.join(dir, "dns-hook.sh"), 0o755);
  return {
    s,
    directory: `${s.url}/api/v1/cert-manager/acme/profiles/${profileId}/directory`,
    profileId,
    rootPem,
    ports,
    dir,
    async eab() {
      const r = await ok(s.api("POST", `/api/v1/cert-manager/certificate-profiles/${profileId}/acme/eab-keys`, { token: t, body: { description: "test" } }));
      return { keyId: r.eabKey.keyId, hmacKey: r.eabKey.hmacKey };
    },
    async close() {
      chall.kill("SIGTERM");
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
