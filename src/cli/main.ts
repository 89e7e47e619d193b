import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createClient } from "../client/client.js";
import { acmeEabCreate, acmeEabList, acmeEabRevoke } from "./acme-eab.js";
import { agentCommand } from "./agent.js";
import { auditList } from "./audit-list.js";
import { auditVerify } from "./audit-verify.js";
import { backup } from "./backup.js";
import { caCreate } from "./ca-create.js";
import { caGet } from "./ca-get.js";
import { caList } from "./ca-list.js";
import { certGet } from "./cert-get.js";
import { certRequestStatus } from "./cert-request-status.js";
import { certIssue } from "./cert-issue.js";
import { certList } from "./cert-list.js";
import { certRenew } from "./cert-renew.js";
import { certRevoke } from "./cert-revoke.js";
import { parseCommandArgs, str, type CliEnv, type Command, type Ctx } from "./command.js";
import { CliError, EXIT, reportError, UsageError } from "./errors.js";
import { login } from "./login.js";
import { logout } from "./logout.js";
import { passwd } from "./passwd.js";
import { profileCreate, profileScepChallenge } from "./profile-create.js";
import { estEnable, estPassphrase } from "./est.js";
import { restore } from "./restore.js";
import { configPath, loadSession } from "./session.js";
import { templateCreate } from "./template-create.js";

/** Every sub-command, in the order `stamp --help` lists them. */
export const COMMANDS: Command[] = [login, logout, passwd, caCreate, caList, caGet, templateCreate, profileCreate, profileScepChallenge, certIssue, certRenew, certRevoke, certGet, certRequestStatus, certList, acmeEabCreate, acmeEabList, acmeEabRevoke, estEnable, estPassphrase, auditList, auditVerify, backup, restore, agentCommand];

const GROUPS = [...new Set(COMMANDS.map((c) => c.name.split(" ")[0]))];

function overview(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return `Usage: stamp COMMAND [options]   (stamp COMMAND --help for a command's options and examples)

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join("\n")}

Every command takes --json (print the API response), --config FILE (the session file;
default ~/.config/stamp/session.json or STAMP_CONFIG) and --help.
Exit codes: 0 ok, 1 refused by the server, 2 usage error, 3 not logged in, 4 not found,
5 server unreachable or TLS failure, 6 server error, 7 audit log not intact.`;
}

/** Edit distance, to suggest a command for a typo. */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
  return d[a.length][b.length];
}

/** Finds the command named by the first one or two words of argv. */
function findCommand(argv: string[]): { cmd: Command; rest: string[] } | { group: string } | { unknown: string } {
  const one = COMMANDS.find((c) => c.name === argv[0]);
  if (one) return { cmd: one, rest: argv.slice(1) };
  const two = COMMANDS.find((c) => c.name === `${argv[0]} ${argv[1]}`);
  if (two) return { cmd: two, rest: argv.slice(2) };
  if (GROUPS.includes(argv[0]) && (argv[1] === undefined || argv[1].startsWith("-"))) return { group: argv[0] };
  const typed = argv[1] !== undefined && !argv[1].startsWith("-") ? `${argv[0]} ${argv[1]}` : argv[0];
  return { unknown: typed };
}

/** What the process provides: argv, the environment subset, and streams. */
export interface Io {
  env: CliEnv;
  stdout(s: string): void;
  stderr(s: string): void;
  readStdin(): Promise<string>;
}

/** Runs the CLI on `argv` (without node and script) and returns the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const out = (l: string): void => void io.stdout(`${l}\n`);
  const err = (l: string): void => void io.stderr(`${l}\n`);
  if (argv.length === 0 || argv[0] === "--help" || argv[0] === "-h" || argv[0] === "help") {
    (argv.length === 0 ? err : out)(overview());
    return argv.length === 0 ? EXIT.usage : EXIT.ok;
  }
  const found = findCommand(argv);
  if ("unknown" in found) {
    const best = COMMANDS.map((c) => ({ c, d: distance(found.unknown, c.name) })).sort((a, b) => a.d - b.d)[0];
    const hint = best && best.d <= Math.max(2, Math.floor(found.unknown.length / 3)) ? ` Did you mean 'stamp ${best.c.name}'?` : "";
    err(`stamp: unknown command '${found.unknown}'.${hint} Run 'stamp --help' for the list.`);
    return EXIT.usage;
  }
  if ("group" in found) {
    const cmds = COMMANDS.filter((c) => c.name.startsWith(`${found.group} `));
    const text = `Usage: stamp ${found.group} (${cmds.map((c) => c.name.split(" ")[1]).join("|")}) [options]\n\n${cmds.map((c) => `  ${c.name}  ${c.summary}`).join("\n")}`;
    if (argv.includes("--help") || argv.includes("-h")) {
      out(text);
      return EXIT.ok;
    }
    err(`stamp: '${found.group}' needs a sub-command.`);
    err(text);
    return EXIT.usage;
  }

  const { cmd, rest } = found;
  try {
    const { values, positionals } = parseCommandArgs(cmd, rest);
    if (values.help) {
      out(cmd.help);
      return EXIT.ok;
    }
    const want = cmd.positionals ?? [];
    if (positionals.length < want.length) throw new UsageError(`missing ${want.slice(positionals.length).join(" ")}`);
    if (positionals.length > want.length) throw new UsageError(`unexpected argument '${positionals[want.length]}'`);

    const file = configPath(str(values, "config"), io.env);
    const session = async () => {
      let s;
      try {
        s = await loadSession(file);
      } catch (e) {
        throw new CliError(EXIT.unauthenticated, `cannot read the session file ${file} (${(e as Error).message}); run 'stamp login'`);
      }
      if (!s) throw new CliError(EXIT.unauthenticated, `not logged in (no session in ${file}); run 'stamp login --server URL …'`);
      if (Date.parse(s.expiresAt) <= Date.now()) throw new CliError(EXIT.unauthenticated, `the session${s.principal ? ` of ${s.principal}` : ""} on ${s.server} expired at ${s.expiresAt}; run 'stamp login' again`);
      return s;
    };
    const ctx: Ctx = {
      env: io.env,
      out,
      err,
      readStdin: io.readStdin,
      configPath: file,
      json: values.json === true,
      printJson: (v) => out(JSON.stringify(v, null, 2)),
      session,
      client: async () => {
        const s = await session();
        return createClient({ baseUrl: s.server, token: s.token, caFile: s.caFile });
      },
    };
    const code = await cmd.run(ctx, values, positionals);
    return typeof code === "number" ? code : EXIT.ok;
  } catch (e) {
    return reportError(e, err, { command: cmd.name });
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The process entry: reads the environment, runs, sets the exit code. The only CLI code touching process.env. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const { STAMP_CONFIG, STAMP_PASSWORD, STAMP_NEW_PASSWORD, STAMP_CLIENT_SECRET, XDG_CONFIG_HOME } = process.env;
  process.exitCode = await runCli(argv, {
    env: { STAMP_CONFIG, STAMP_PASSWORD, STAMP_NEW_PASSWORD, STAMP_CLIENT_SECRET, XDG_CONFIG_HOME, lookup: (name) => process.env[name] },
    stdout: (s) => void process.stdout.write(s),
    stderr: (s) => void process.stderr.write(s),
    readStdin,
  });
}

// Run when started as `node --import tsx src/cli/main.ts`; bin/stamp imports main() instead.
const entry = process.argv[1];
if (entry !== undefined && /main\.ts$/.test(entry) && realpathSync(entry) === fileURLToPath(import.meta.url)) await main();
