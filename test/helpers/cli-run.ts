import { spawn } from "node:child_process";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** What one `stamp …` run printed and how it exited. */
export interface StampRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the CLI as a real process (`node --import tsx src/cli/main.ts …`). Asynchronous on
 * purpose: the server under test lives in this process and must keep answering.
 */
export function runStamp(args: string[], o: { config: string; stdin?: string; env?: Record<string, string>; cwd?: string; timeoutMs?: number }): Promise<StampRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "src/cli/main.ts"), ...args], {
      cwd: o.cwd ?? ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", STAMP_CONFIG: o.config, ...o.env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), o.timeoutMs ?? 45_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(o.stdin ?? "");
  });
}
