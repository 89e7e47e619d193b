/** Starts `cfssl serve` (Debian's golang-cfssl) on loopback with a fresh openssl-made CA, for side-by-side benchmarks. */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { opensslCa } from "./openssl.js";

const CFSSL = process.env.CFSSL_BIN ?? "/usr/bin/cfssl";

/** A running cfssl server. */
export interface CfsslServer {
  url: string;
  pid: number;
  /** The CA certificate it signs with (self-signed). */
  caPem: string;
  /** `cfssl version`'s first line. */
  version: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound and released; cfssl cannot be told to pick one). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

/** Stops a child: SIGTERM, SIGKILL after `graceMs`; resolves when it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  child.kill("SIGTERM");
  const t = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(t);
}

/** Starts `cfssl serve` with an EC P-256 or RSA-2048 CA and a default profile for TLS server certificates; waits (≤ 30 s) until it signs `probeCsr`. */
export async function startCfssl(kind: "ec" | "rsa", probeCsr: string): Promise<CfsslServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), `stamp-bench-cfssl-${kind}-`));
  const ca = opensslCa(dir, kind, `CFSSL Bench ${kind.toUpperCase()} CA`);
  writeFileSync(path.join(dir, "config.json"), JSON.stringify({ signing: { default: { expiry: "720h", usages: ["digital signature", "key encipherment", "server auth"] } } }));
  const version = spawnSync(CFSSL, ["version"], { encoding: "utf8", timeout: 10_000 }).stdout?.split("\n")[0] ?? "?";
  const port = await freePort();
  // -loglevel 2 (warnings): like Stamp at --log-level warn, no line per request.
  const child = spawn(CFSSL, ["serve", "-address", "127.0.0.1", "-port", String(port), "-ca", ca.certFile, "-ca-key", ca.keyFile, "-config", path.join(dir, "config.json"), "-loglevel", "2"], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  const keep = (c: Buffer) => {
    log = (log + c.toString()).slice(-8_000);
  };
  child.stdout!.on("data", keep);
  child.stderr!.on("data", keep);
  const url = `http://127.0.0.1:${port}`;
  const cleanup = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`cfssl serve exited with ${child.exitCode}:\n${log}`);
      const r = await fetch(`${url}/api/v1/cfssl/sign`, { method: "POST", body: JSON.stringify({ certificate_request: probeCsr }), signal: AbortSignal.timeout(5_000) }).catch(() => null);
      if (r?.status === 200) break;
      if (Date.now() > deadline) throw new Error(`cfssl serve did not sign within 30 s (last status ${r?.status ?? "none"}):\n${log}`);
      await new Promise((res) => setTimeout(res, 200));
    }
  } catch (e) {
    await cleanup();
    throw e;
  }
  return { url, pid: child.pid!, caPem: ca.certPem, version, stop: cleanup };
}
