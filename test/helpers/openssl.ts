import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Runs openssl with files written to a temp dir; returns stdout+stderr and the exit status. */
export function openssl(args: (dir: string) => string[], files: Record<string, string>): { ok: boolean; out: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-openssl-"));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
    const r = spawnSync("openssl", args(dir), { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
    return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `openssl verify -x509_strict` of `cert` against root `ca` with `untrusted` intermediates. */
export function verifyChain(root: string, untrusted: string, cert: string, extra: string[] = []) {
  return openssl(
    () => ["verify", "-x509_strict", ...extra, "-CAfile", "root.pem", ...(untrusted ? ["-untrusted", "untrusted.pem"] : []), "cert.pem"],
    { "root.pem": root, "untrusted.pem": untrusted || "", "cert.pem": cert },
  );
}

/** `openssl x509 -noout -text`. */
export function x509Text(cert: string) {
  return openssl(() => ["x509", "-noout", "-text", "-in", "c.pem"], { "c.pem": cert }).out;
}

/** Like `openssl` but without blocking the event loop: for commands that talk to the in-process server. */
export async function opensslAsync(args: (dir: string) => string[], files: Record<string, string>): Promise<{ ok: boolean; out: string }> {
  const { execFile } = await import("node:child_process");
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-openssl-"));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
    return await new Promise((resolve) => {
      execFile("openssl", args(dir), { cwd: dir, encoding: "utf8", timeout: 30_000 }, (err, stdout, stderr) => resolve({ ok: !err, out: `${stdout ?? ""}${stderr ?? ""}` }));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
