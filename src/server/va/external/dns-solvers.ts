import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isIP } from "node:net";
import type { Egress } from "../egress.js";
import { refusalMessage, refusalOf } from "../egress.js";
import { runCommand } from "./run-command.js";

/** An RFC 2136 solver's settings with its TSIG secret opened. */
export interface Rfc2136Settings {
  server: string;
  port: number;
  zone: string;
  keyName: string;
  /** hmac-sha256, hmac-sha512… (RFC 8945 §6). */
  algorithm: string;
  secret: string;
}

/** Puts up or takes down one TXT record (RFC 8555 §8.4); rejects with a message for the caller. */
export type TxtAction = (action: "present" | "cleanup", name: string, value: string) => Promise<void>;

const COMMAND_MS = 30_000;

/** The first vetted address of the RFC 2136 server (nsupdate then connects to exactly that address). */
async function vettedServer(egress: Egress, host: string): Promise<string> {
  if (isIP(host)) {
    const r = egress.addressRefusal(host);
    if (r) throw new Error(refusalMessage(r));
    return host;
  }
  try {
    return (await egress.resolve(host))[0];
  } catch (e) {
    const r = refusalOf(e);
    throw new Error(r ? refusalMessage(r) : `The DNS server ${host} could not be resolved: ${(e as Error).message}`);
  }
}

/**
 * RFC 2136 dynamic update signed with TSIG (RFC 8945), sent by BIND's `nsupdate` to the vetted
 * address. The key is written to a 0600 file in a private temporary directory (never on the
 * command line, where `ps` would show it) and removed afterwards.
 */
export function rfc2136Solver(egress: Egress, s: Rfc2136Settings): TxtAction {
  return async (action, name, value) => {
    const address = await vettedServer(egress, s.server);
    const dir = await mkdtemp(join(tmpdir(), "stamp-tsig-"));
    try {
      const keyFile = join(dir, "key.conf");
      await writeFile(keyFile, `key "${s.keyName}" {\n  algorithm ${s.algorithm};\n  secret "${s.secret}";\n};\n`, { mode: 0o600 });
      const verb = action === "present" ? `update add ${name}. 60 IN TXT "${value}"` : `update delete ${name}. 60 IN TXT "${value}"`;
      const script = `server ${address} ${s.port}\nzone ${s.zone}\n${verb}\nsend\n`;
      const r = await runCommand("nsupdate", ["-t", "10", "-k", keyFile], { stdin: script, timeoutMs: COMMAND_MS });
      if (r.code !== 0) throw new Error(`The RFC 2136 update of ${name} at ${s.server}:${s.port} failed: ${r.output || `nsupdate exited with ${r.code}`}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  };
}

/** A hook command the operator registered (--dns-hook name=/path): run as `path present|cleanup <name> <value>`. */
export function hookSolver(name: string, path: string): TxtAction {
  return async (action, record, value) => {
    const r = await runCommand(path, [action, record, value], { timeoutMs: COMMAND_MS, env: { STAMP_DNS_ACTION: action, STAMP_DNS_RECORD: record, STAMP_DNS_VALUE: value } });
    if (r.code !== 0) throw new Error(`The DNS hook ${name} (${action} ${record}) ${r.code === null ? "did not finish" : `exited with ${r.code}`}${r.output ? `: ${r.output.slice(-300)}` : ""}`);
  };
}
