import { StampApiError, StampConnectionError } from "../client/errors.js";

/** A mistake in how the command was called: exit 2, with a pointer to --help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A failure the CLI detected itself, with its exit code. */
export class CliError extends Error {
  constructor(
    readonly exitCode: number,
    message: string,
  ) {
    super(message);
    this.name = "CliError";
  }
}

/** Exit codes (docs/cli.md). */
export const EXIT = { ok: 0, refused: 1, usage: 2, unauthenticated: 3, notFound: 4, unreachable: 5, serverError: 6, tampered: 7 } as const;

/** The exit code for an HTTP error status. */
export function exitCodeForStatus(status: number): number {
  if (status === 401) return EXIT.unauthenticated;
  if (status === 404) return EXIT.notFound;
  if (status >= 500) return EXIT.serverError;
  return EXIT.refused;
}

/** A violation's value as it is shown: strings bare, anything else as JSON, clipped. */
function showValue(v: unknown): string {
  const s = typeof v === "string" ? v : JSON.stringify(v) ?? "";
  return s.length > 120 ? `${s.slice(0, 120)}…` : s;
}

/**
 * Turns any error into one line on stderr (plus one line per violation) and an exit code.
 * Never a stack trace: an unexpected error is reported by its message alone.
 */
export function reportError(e: unknown, err: (line: string) => void, o: { command?: string; help?: string } = {}): number {
  if (e instanceof UsageError) {
    err(`stamp: ${e.message}`);
    err(`Run 'stamp ${o.command ? `${o.command} ` : ""}--help' for usage.`);
    return EXIT.usage;
  }
  if (e instanceof CliError) {
    err(`stamp: ${e.message}`);
    return e.exitCode;
  }
  if (e instanceof StampApiError) {
    const code = exitCodeForStatus(e.status);
    let line = `stamp: ${e.problem.detail || e.problem.title} (HTTP ${e.status})`;
    if (code === EXIT.unauthenticated && o.command !== "login") line += "; run 'stamp login' again";
    err(line);
    for (const v of e.problem.violations ?? []) err(`${v.field}: ${v.message}${v.value === undefined ? "" : ` (${showValue(v.value)})`}`);
    return code;
  }
  if (e instanceof StampConnectionError) {
    err(`stamp: ${e.message}`);
    return EXIT.unreachable;
  }
  const ne = e as NodeJS.ErrnoException;
  err(`stamp: ${ne?.message ?? String(e)}`);
  return EXIT.refused;
}
