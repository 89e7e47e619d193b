import { execFileSync, spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "./harness.js";

const BIN = "/usr/lib/postgresql/15/bin";

/** A PostgreSQL cluster of a test's own (never the shared one on 5432), which it may restart and kill. */
export interface PrivatePg {
  url: string;
  port: number;
  /** `pg_ctl restart -m fast`. */
  restart(): void;
  /** kill -9 of the postmaster, then a start (crash recovery). */
  crash(): void;
  stop(): void;
  /** Starts it unless it runs. */
  start(): void;
  destroy(): void;
}

/** True when this machine can run a private cluster (PostgreSQL 15 binaries and a postgres user). */
export function canRunPrivatePg(): boolean {
  return spawnSync(`${BIN}/initdb`, ["--version"]).status === 0 && spawnSync("id", ["postgres"]).status === 0;
}

function asPostgres(args: string[], opts: { allowFail?: boolean } = {}): void {
  // initdb and pg_ctl refuse to run as root: run them as the postgres user.
  const r = spawnSync("runuser", ["-u", "postgres", "--", ...args], { encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${args.join(" ")} failed: ${r.stderr || r.stdout}`);
}

/** How many processes run with `dir` as their working directory (PostgreSQL's run in their data dir). */
function processesIn(dir: string): number {
  let n = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      if (readlinkSync(`/proc/${pid}/cwd`) === dir) n++;
    } catch {
      /* gone, or not ours to read */
    }
  }
  return n;
}

/** initdb into a temporary directory and start on a free loopback port, trust auth. */
export async function startPrivatePg(): Promise<PrivatePg> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-pg-"));
  chownSync(dir, Number(execFileSync("id", ["-u", "postgres"]).toString().trim()), Number(execFileSync("id", ["-g", "postgres"]).toString().trim()));
  const data = path.join(dir, "data");
  asPostgres([`${BIN}/initdb`, "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"]);
  const opts = `-c port=${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=${dir} -c fsync=off -c max_connections=60`;
  const running = () => spawnSync("runuser", ["-u", "postgres", "--", `${BIN}/pg_ctl`, "-D", data, "status"]).status === 0;
  const start = () => {
    if (!running()) asPostgres([`${BIN}/pg_ctl`, "-D", data, "-o", opts, "-l", path.join(dir, "log"), "-w", "-t", "30", "start"]);
  };
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    restart: () => asPostgres([`${BIN}/pg_ctl`, "-D", data, "-o", opts, "-l", path.join(dir, "log"), "-m", "fast", "-w", "-t", "30", "restart"]),
    crash() {
      const pid = Number(readFileSync(path.join(data, "postmaster.pid"), "utf8").split("\n")[0]);
      process.kill(pid, "SIGKILL");
      // The backends notice the postmaster is gone; wait for them before starting again.
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline && processesIn(data) > 0) spawnSync("sleep", ["0.2"]);
      rmSync(path.join(data, "postmaster.pid"), { force: true });
      rmSync(path.join(dir, `.s.PGSQL.${port}.lock`), { force: true });
      start();
    },
    stop: () => asPostgres([`${BIN}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "-t", "30", "stop"], { allowFail: true }),
    start,
    destroy() {
      asPostgres([`${BIN}/pg_ctl`, "-D", data, "-m", "immediate", "-w", "-t", "30", "stop"], { allowFail: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
