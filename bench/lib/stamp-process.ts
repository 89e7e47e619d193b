/**
 * Starts Stamp as its own process (`node --import tsx src/server/main.ts`, plain HTTP on
 * 127.0.0.1, a random port) over a fresh PGlite dir or PostgreSQL database, and logs the admin in,
 * so its CPU and memory can be read from /proc apart from the benchmark's.
 */
import { spawnServer, type SpawnedServer } from "../../test/helpers/spawned-server.js";
import type { Api } from "./hierarchy.js";
import { killTree, treePids } from "./proc.js";
import { freshStore, type Reply, type StoreKind } from "./server.js";

const EMAIL = "bench@example.com";
const PASSWORD = "bench bench bench bench";

/** A running Stamp process with an admin token. */
export interface StampProcess {
  url: string;
  pid: number;
  store: StoreKind;
  /** The PostgreSQL database name (null on PGlite), to find its backends in /proc. */
  dbName: string | null;
  token: string;
  projectId: string;
  api: Api;
  stop(): Promise<void>;
}

/** Spawns Stamp on a fresh `store` (database `stamp_bench_<tag><pid>`), bootstraps and logs in the admin. */
export async function startStampProcess(store: StoreKind, tag: string): Promise<StampProcess> {
  const st = await freshStore(store, tag);
  let server: SpawnedServer | undefined;
  const stop = async () => {
    if (server) {
      const pids = treePids(server.child.pid!);
      killTree(server.child.pid!, "SIGTERM");
      await server.stop();
      // Descendants left behind (a cluster's workers) are reparented once the parent exits.
      for (const pid of pids.slice(1)) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          /* gone */
        }
      }
    }
    await st.drop();
  };
  try {
    const args = ["--data-dir", st.dataDir, "--public-url", "http://127.0.0.1:1", ...(st.databaseUrl ? ["--database-url", st.databaseUrl] : [])];
    server = await spawnServer(args, {
      waitMs: 120_000,
      env: {
        STAMP_BOOTSTRAP_EMAIL: EMAIL,
        STAMP_BOOTSTRAP_PASSWORD: PASSWORD,
        ...(process.env.STAMP_EMBEDDED_DURABILITY ? { STAMP_EMBEDDED_DURABILITY: process.env.STAMP_EMBEDDED_DURABILITY } : {}),
        // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server under the bench's load.
        ...(process.env.STAMP_BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.STAMP_BENCH_NODE_OPTIONS } : {}),
      },
    });
    const url = server.url;
    let token = "";
    const api = async (method: string, p: string, body?: unknown): Promise<Reply> => {
      const headers: Record<string, string> = {};
      if (token) headers.authorization = `Bearer ${token}`;
      if (body !== undefined) headers["content-type"] = "application/json";
      const r = await fetch(url + p, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(60_000) });
      const text = await r.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        /* not JSON */
      }
      return { status: r.status, body: parsed };
    };
    const login = await api("POST", "/api/v1/auth/login", { email: EMAIL, password: PASSWORD });
    if (login.status !== 200) throw new Error(`admin login failed: ${login.status} ${JSON.stringify(login.body)}`);
    token = login.body.accessToken;
    const projects = await api("GET", "/api/v1/projects");
    const projectId = projects.body.projects.find((p: { name: string }) => p.name === "default").id as string;
    const dbName = st.databaseUrl ? new URL(st.databaseUrl).pathname.slice(1) : null;
    return { url, pid: server.child.pid!, store, dbName, token, projectId, api, stop };
  } catch (e) {
    await stop().catch(() => {});
    throw e;
  }
}
