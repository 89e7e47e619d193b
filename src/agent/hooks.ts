/** Runs a configured hook command (no shell) with the STAMP_* environment and a timeout. */
import { spawn } from "node:child_process";
import type { Hook } from "./config.js";

/** The outcome of one hook run; output is clipped. */
export interface HookResult {
  ok: boolean;
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  output: string;
  error?: string;
}

const MAX_OUTPUT = 4096;

/** Runs `hook.command` with `env` added to `baseEnv`; kills it (SIGTERM, then SIGKILL) after the timeout. */
export function runHook(hook: Hook, env: Record<string, string>, baseEnv: Record<string, string | undefined>): Promise<HookResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = hook.command;
    let output = "";
    let timedOut = false;
    let settled = false;
    const child = spawn(cmd, args, { env: { ...baseEnv, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    const add = (c: Buffer) => {
      if (output.length < MAX_OUTPUT) output = (output + c.toString("utf8")).slice(0, MAX_OUTPUT);
    };
    child.stdout.on("data", add);
    child.stderr.on("data", add);
    let killer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill("SIGTERM");
      killer = setTimeout(() => child.kill("SIGKILL"), 2_000);
    }, hook.timeoutSeconds * 1000);
    const done = (r: HookResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      resolve(r);
    };
    child.on("error", (e) => done({ ok: false, code: null, signal: null, timedOut, output, error: e.message }));
    child.on("close", (code, signal) => done({ ok: code === 0 && !timedOut, code, signal, timedOut, output: output.trim() }));
  });
}
