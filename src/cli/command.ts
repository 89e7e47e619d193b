import { parseArgs, type ParseArgsConfig } from "node:util";
import type { StampClient } from "../client/client.js";
import { UsageError } from "./errors.js";
import type { Session } from "./session.js";

export { CliError, UsageError } from "./errors.js";

/** The parsed flags of one command. */
export type Values = Record<string, string | boolean | string[] | undefined>;
export type OptionSpecs = NonNullable<ParseArgsConfig["options"]>;

/** The environment variables the CLI reads; only main.ts touches process.env. */
export interface CliEnv {
  STAMP_CONFIG?: string;
  STAMP_PASSWORD?: string;
  /** The new password for `stamp passwd`. */
  STAMP_NEW_PASSWORD?: string;
  STAMP_CLIENT_SECRET?: string;
  XDG_CONFIG_HOME?: string;
  /** Any other variable a command is configured to read (the agent's clientSecretEnv). */
  lookup?: (name: string) => string | undefined;
}

/** What a command gets: output streams, stdin, the session and a client built from it. */
export interface Ctx {
  env: CliEnv;
  out(line: string): void;
  err(line: string): void;
  readStdin(): Promise<string>;
  configPath: string;
  json: boolean;
  /** Prints a value as indented JSON on stdout. */
  printJson(v: unknown): void;
  /** The saved session, or exit 3. */
  session(): Promise<Session>;
  /** A client with the saved session's server, token and CA file, or exit 3. */
  client(): Promise<StampClient>;
}

/** One sub-command: its flags, help and behaviour. Each lives in its own file. */
export interface Command {
  /** e.g. "ca create". */
  name: string;
  summary: string;
  /** Full help: usage line, flags, examples. */
  help: string;
  options: OptionSpecs;
  /** Names of positional arguments, in order; all required. */
  positionals?: string[];
  run(ctx: Ctx, values: Values, positionals: string[]): Promise<number | void>;
}

/** Flags every command takes. */
export const COMMON_OPTIONS: OptionSpecs = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  config: { type: "string" },
};

/** Parses argv for `cmd` strictly: unknown flags and missing values are usage errors. */
export function parseCommandArgs(cmd: Command, argv: string[]): { values: Values; positionals: string[] } {
  try {
    const r = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...cmd.options }, allowPositionals: true, strict: true });
    return { values: r.values as Values, positionals: r.positionals };
  } catch (e) {
    const raw = (e as Error).message.replace(/\s+/g, " ");
    const ambiguous = /Option '(--[\w-]+)' argument is ambiguous/.exec(raw);
    const unknown = /Unknown option '([^']+)'/.exec(raw);
    const msg = ambiguous
      ? `${ambiguous[1]} needs a value (for a value that starts with a dash, write ${ambiguous[1]}=VALUE)`
      : unknown
        ? `unknown option '${unknown[1]}'`
        : raw;
    throw new UsageError(msg);
  }
}

/** A string flag, or undefined. */
export function str(v: Values, name: string): string | undefined {
  const x = v[name];
  return typeof x === "string" ? x : undefined;
}
/** A required string flag. */
export function need(v: Values, name: string): string {
  const x = str(v, name);
  if (x === undefined || x.trim() === "") throw new UsageError(`--${name} is required`);
  return x;
}
/** A repeatable flag's values. */
export function list(v: Values, name: string): string[] {
  const x = v[name];
  return Array.isArray(x) ? x : typeof x === "string" ? [x] : [];
}
/** A boolean flag. */
export function flag(v: Values, name: string): boolean {
  return v[name] === true;
}
/** An integer flag, or undefined. */
export function int(v: Values, name: string, min: number, max: number): number | undefined {
  const x = str(v, name);
  if (x === undefined) return undefined;
  if (!/^-?\d+$/.test(x) || Number(x) < min || Number(x) > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max} (got ${JSON.stringify(x)})`);
  return Number(x);
}
/** Matches `value` against a closed list, ignoring case and -/_ differences. */
export function oneOf<T extends string>(name: string, value: string, allowed: readonly T[]): T {
  const norm = (s: string) => s.toLowerCase().replace(/[-_]/g, "");
  const hit = allowed.find((a) => norm(a) === norm(value));
  if (!hit) throw new UsageError(`--${name} ${JSON.stringify(value)} is not one of: ${allowed.join(", ")}`);
  return hit;
}
