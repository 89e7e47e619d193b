/** Starts Stamp in-process for a benchmark: plain HTTP on 127.0.0.1:0, over PGlite or a temporary PostgreSQL database. */
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { compose, type Composed } from "../../src/server/compose.js";
import { parseConfig } from "../../src/server/config.js";

export type StoreKind = "pglite" | "postgres";

export const ADMIN_EMAIL = "bench@example.com";
export const ADMIN_PASSWORD = "bench bench bench bench";
const PG_ADMIN_URL = process.env.STAMP_BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A JSON reply. */
export interface Reply<T = any> {
  status: number;
  body: T;
}

/** A running server with an admin token and a keep-alive client. */
export interface BenchServer {
  url: string;
  token: string;
  projectId: string;
  /** The composed server (its database's query observers, its caches). */
  server: Composed;
  /** The PostgreSQL database's URL (null on PGlite), for a bench that opens connections of its own. */
  databaseUrl: string | null;
  /** One JSON request over the shared keep-alive agent. */
  api<T = any>(method: string, p: string, body?: unknown): Promise<Reply<T>>;
  close(): Promise<void>;
}

/** A fresh store: a PGlite data dir, or a `stamp_bench_<tag><pid>` database dropped on close. */
export async function freshStore(kind: StoreKind, tag = ""): Promise<{ dataDir: string; databaseUrl: string | null; drop(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), `stamp-bench-${tag}`));
  if (kind === "pglite") return { dataDir, databaseUrl: null, drop: () => rm(dataDir, { recursive: true, force: true }) };
  const name = `stamp_bench_${tag.replace(/[^a-z0-9_]/g, "")}${process.pid}`;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  await admin(`drop database if exists ${name} with (force)`);
  await admin(`create database ${name}`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    dataDir,
    databaseUrl: url.toString(),
    async drop() {
      await admin(`drop database if exists ${name} with (force)`);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** Composes and starts Stamp on `kind` (the same steps as test/helpers/harness.ts), then logs the admin in. */
export async function startBenchServer(kind: StoreKind, maxSockets: number): Promise<BenchServer> {
  const store = await freshStore(kind);
  let server: Composed | undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets });
  try {
    const env: Record<string, string | undefined> = {
      STAMP_LISTEN: "127.0.0.1:0",
      STAMP_DATA_DIR: store.dataDir,
      STAMP_TLS: "off",
      STAMP_PUBLIC_URL: "http://127.0.0.1:1",
      STAMP_LOG_LEVEL: "silent",
      // fsync (the default) or relaxed: docs/adr/0003 compares the two.
      STAMP_EMBEDDED_DURABILITY: process.env.STAMP_EMBEDDED_DURABILITY,
      // A bench whose single request runs long (crl.ts at 1M on PGlite) raises the 60 s default.
      STAMP_REQUEST_TIMEOUT: process.env.STAMP_REQUEST_TIMEOUT,
      ...(store.databaseUrl ? { DATABASE_URL: store.databaseUrl } : {}),
    };
    const parsed = parseConfig([], env);
    if ("violations" in parsed) throw new Error(JSON.stringify(parsed.violations));
    server = await compose(parsed.config, { logger: false });
    await server.users.bootstrap(ADMIN_EMAIL, ADMIN_PASSWORD);
    await server.app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = server.app.server.address() as { port: number };
    let token = "";

    const api = <T>(method: string, p: string, body?: unknown) =>
      new Promise<Reply<T>>((resolve, reject) => {
        const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
        const headers: Record<string, string | number> = {};
        if (token) headers.authorization = `Bearer ${token}`;
        if (data) {
          headers["content-type"] = "application/json";
          headers["content-length"] = data.length;
        }
        const req = http.request({ host: "127.0.0.1", port, method, path: p, agent, headers, timeout: 60_000 }, (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsedBody: unknown = text;
            try {
              parsedBody = text ? JSON.parse(text) : null;
            } catch {
              /* not JSON */
            }
            resolve({ status: res.statusCode ?? 0, body: parsedBody as T });
          });
          res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`${method} ${p}: timed out`)));
        req.on("error", reject);
        req.end(data);
      });

    const login = await api<any>("POST", "/api/v1/auth/login", { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    if (login.status !== 200) throw new Error(`admin login failed: ${JSON.stringify(login.body)}`);
    token = login.body.accessToken;
    const projects = await api<any>("GET", "/api/v1/projects");
    const projectId = projects.body.projects.find((p: { name: string }) => p.name === "default").id as string;
    const s = server;
    return {
      url: `http://127.0.0.1:${port}`,
      token,
      projectId,
      server: s,
      databaseUrl: store.databaseUrl,
      api,
      async close() {
        agent.destroy();
        await s.close();
        await store.drop();
      },
    };
  } catch (e) {
    agent.destroy();
    await server?.close().catch(() => {});
    await store.drop().catch(() => {});
    throw e;
  }
}
