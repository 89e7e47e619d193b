import { spawn } from "node:child_process";

/** What a child process did: exit code (null when killed), and the tail of its output. */
export interface CommandResult {
  code: number | null;
  output: string;
}

const SAFE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Runs `cmd args` with `stdin`, killed after `timeoutMs`; never rejects for a non-zero exit. */
export function runCommand(cmd: string, args: string[], o: { stdin?: string; timeoutMs: number; env?: Record<string, string> }): Promise<CommandResult> {
  return new Promise((resolve) => {
    // A fixed PATH, not the server's environment: hooks are registered by absolute path, and a child
    // inherits nothing else of the server (no secrets from its environment).
    const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"], env: { PATH: SAFE_PATH, ...o.env } });
    let output = "";
    const keep = (b: Buffer) => {
      output = (output + b.toString("utf8")).slice(-2000);
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => {
      output += `\n(killed after ${Math.round(o.timeoutMs / 1000)} s)`;
      child.kill("SIGKILL");
    }, o.timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: null, output: e.message });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output: output.trim() });
    });
    child.stdin.on("error", () => {});
    child.stdin.end(o.stdin ?? "");
  });
}
