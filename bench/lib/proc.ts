/**
 * Linux /proc readings for benchmarks that run servers as their own processes: CPU time of a
 * process tree, of a PostgreSQL cluster's processes serving one database, of the whole machine,
 * and the resident set size of a process tree. Every file read here is world-readable.
 */
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";

/** Clock ticks per second (USER_HZ), the unit of utime/stime in /proc/<pid>/stat. */
export const CLK_TCK = (() => {
  try {
    return Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8", timeout: 5_000 }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  pid: number;
  ppid: number;
  comm: string;
  /** utime + stime + cutime + cstime in ticks: a reaped child's time moves into its parent's c-fields, so the sum over a tree never drops. */
  ticks: number;
}

/** /proc/<pid>/stat, or null if the process is gone. */
function readStat(pid: number): Stat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  // comm is in parentheses and may contain spaces or parentheses: split after the last ")".
  const close = text.lastIndexOf(")");
  const comm = text.slice(text.indexOf("(") + 1, close);
  const f = text.slice(close + 2).split(" "); // f[0] is field 3 (state)
  return { pid, ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
}

/** Every live process's stat. */
function allStats(): Stat[] {
  const out: Stat[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const s = readStat(Number(name));
    if (s) out.push(s);
  }
  return out;
}

/** `root` and all its descendants (worker processes of a cluster, children it spawned). */
function treeOf(root: number, stats: Stat[]): Stat[] {
  const kids = new Map<number, Stat[]>();
  for (const s of stats) kids.set(s.ppid, [...(kids.get(s.ppid) ?? []), s]);
  const out: Stat[] = [];
  const todo = stats.filter((s) => s.pid === root);
  while (todo.length) {
    const s = todo.pop()!;
    out.push(s);
    todo.push(...(kids.get(s.pid) ?? []));
  }
  return out;
}

/** The pids of `root`'s process tree, root first. */
export function treePids(root: number): number[] {
  return treeOf(root, allStats()).map((s) => s.pid);
}

/** CPU seconds per process, keyed by pid, for a snapshot: a delta between two snapshots counts a process that started in between from zero. */
export type CpuSnapshot = Map<number, number>;

/** CPU seconds of a set of pids between two snapshots. */
function delta(before: CpuSnapshot, after: CpuSnapshot): number {
  let sum = 0;
  for (const [pid, t] of after) sum += t - (before.get(pid) ?? 0);
  return sum;
}

/**
 * Which PostgreSQL processes work for database `dbName`: "ours" are its backends and autovacuum
 * workers (the title names the database) and parallel workers led by one of them; "shared" are the
 * cluster's auxiliaries (postmaster, WAL writer, checkpointer, background writer, launchers), which
 * also work for every other database; anything else belongs to other databases.
 */
function classifyPostgres(stats: Stat[], dbName: string | null): { ours: Stat[]; shared: Stat[] } {
  const ours: Stat[] = [];
  const shared: Stat[] = [];
  const workers: { s: Stat; leader: number }[] = [];
  if (!dbName) return { ours, shared };
  for (const s of stats) {
    if (s.comm !== "postgres") continue;
    let cmd: string;
    try {
      cmd = readFileSync(`/proc/${s.pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      continue;
    }
    const leader = /parallel worker for PID (\d+)/.exec(cmd);
    if (leader) workers.push({ s, leader: Number(leader[1]) });
    else if (cmd.includes(` ${dbName} `)) ours.push(s); // "postgres: 15/main: postgres <db> 127.0.0.1(45404) idle"
    else if (!/\(\d+\)|\[local\]|autovacuum worker|walsender/.test(cmd)) shared.push(s);
  }
  const mine = new Set(ours.map((s) => s.pid));
  for (const w of workers) if (mine.has(w.leader)) ours.push(w.s);
  return { ours, shared };
}

/** One reading of everything a run is charged for. */
export interface CpuReading {
  at: number;
  server: CpuSnapshot;
  database: CpuSnapshot;
  /** PostgreSQL's shared auxiliaries: partly this database's work (WAL, checkpoints), partly every other's. */
  pgShared: CpuSnapshot;
  load: CpuSnapshot;
  /** Machine busy time, all cores, from /proc/stat (user+nice+system+irq+softirq+steal), in seconds. */
  machine: number;
}

/** Reads the CPU of the server tree, the database's PostgreSQL processes (dbName null: none), the load generator tree, and the machine. */
export function readCpu(serverPid: number, dbName: string | null, loadPid: number | null): CpuReading {
  const stats = allStats();
  const snap = (list: Stat[]) => new Map(list.map((s) => [s.pid, s.ticks / CLK_TCK]));
  const cpuLine = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = cpuLine;
  const pgs = classifyPostgres(stats, dbName);
  return {
    at: performance.now(),
    server: snap(treeOf(serverPid, stats)),
    database: snap(pgs.ours),
    pgShared: snap(pgs.shared),
    load: snap(loadPid === null ? [] : treeOf(loadPid, stats)),
    machine: (user + nice + system + irq + softirq + (steal ?? 0)) / CLK_TCK,
  };
}

/** CPU seconds spent between two readings: server, database (its own processes; PostgreSQL's shared ones apart), load generator, the machine, and the rest (foreign). */
export function cpuBetween(a: CpuReading, b: CpuReading): { wall: number; server: number; database: number; pgShared: number; load: number; machine: number; foreign: number } {
  const server = delta(a.server, b.server);
  const database = delta(a.database, b.database);
  const pgShared = delta(a.pgShared, b.pgShared);
  const load = delta(a.load, b.load);
  const machine = b.machine - a.machine;
  return { wall: (b.at - a.at) / 1000, server, database, pgShared, load, machine, foreign: Math.max(0, machine - server - database - pgShared - load) };
}

/** Resident set size of a process tree, in MiB (sum of VmRSS; shared pages count once per process). */
export function treeRssMiB(root: number): number {
  let kb = 0;
  for (const pid of treePids(root)) {
    try {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
      if (m) kb += Number(m[1]);
    } catch {
      /* exited */
    }
  }
  return kb / 1024;
}

/** Samples a tree's RSS every `ms` until stopped; returns the peak in MiB. */
export function rssSampler(root: number, ms = 250): { stop(): number } {
  let peak = treeRssMiB(root);
  const t = setInterval(() => {
    peak = Math.max(peak, treeRssMiB(root));
  }, ms);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, treeRssMiB(root));
    },
  };
}

/** Sends `signal` to a process and every descendant (children first read, then all signalled). */
export function killTree(root: number, signal: NodeJS.Signals = "SIGTERM"): void {
  for (const pid of treePids(root).reverse()) {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}
