import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { parseConfig, type Config } from "../../src/server/config.js";
import { compose, type Composed } from "../../src/server/compose.js";
import type { Runtime } from "../../src/server/ra/context.js";
import { copyPgliteTemplate, postgresTemplate } from "./template-db.js";

export const ADMIN_EMAIL = "admin@example.com";
export const ADMIN_PASSWORD = "correct horse battery staple";
const PG_ADMIN_URL = process.env.STAMP_TEST_PG_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** Which store the suite runs on: the vitest project sets STAMP_TEST_DB. */
export const dbKind = (process.env.STAMP_TEST_DB ?? "pglite") as "pglite" | "postgres";

/**
 * A fresh database for one test file: a PGlite dir or a PostgreSQL database, already migrated
 * (a copy of a template, see template-db.ts) unless `blank` asks for an empty one.
 */
export async function freshDatabase(opts: { blank?: boolean } = {}): Promise<{ dataDir: string; databaseUrl: string | null; drop(): Promise<void> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), "stamp-test-"));
  if (dbKind === "pglite") {
    if (!opts.blank) await copyPgliteTemplate(path.join(dataDir, "db"));
    return { dataDir, databaseUrl: null, drop: () => rm(dataDir, { recursive: true, force: true }) };
  }
  const name = `stamp_test_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const template = opts.blank ? null : await postgresTemplate(PG_ADMIN_URL);
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(template ? `create database ${name} template ${template}` : `create database ${name}`);
  await admin.end();
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    dataDir,
    databaseUrl: url.toString(),
    async drop() {
      const a = new pg.Client({ connectionString: PG_ADMIN_URL });
      await a.connect();
      await a.query(`drop database if exists ${name} with (force)`);
      await a.end();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A running Stamp server on 127.0.0.1 with an admin logged in. */
export interface TestServer {
  url: string;
  /** The plain-HTTP revocation listener's URL (with `httpListener`). */
  httpUrl: string | null;
  /** PEM of Stamp's TLS CA (with `tls`). */
  tlsCaFile: string;
  server: Composed;
  config: Config;
  adminToken: string;
  defaultProjectId: string;
  api<T = any>(method: string, path: string, opts?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<{ status: number; body: T; headers: Headers }>;
  close(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (for servers whose public URL must name their port up front). */
export async function freePort(): Promise<number> {
  const net = await import("node:net");
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

/** One HTTPS request trusting only `ca` (Node's fetch cannot take a CA). */
async function httpsRequest(url: string, init: { method: string; headers: Record<string, string>; body?: string }, ca: string): Promise<{ status: number; text: string; headers: Headers }> {
  const https = await import("node:https");
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: init.method, headers: init.headers, ca, timeout: 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(", ") : String(v));
        resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString("utf8"), headers: h });
      });
    });
    req.on("error", reject);
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.end(init.body);
  });
}

/**
 * Starts a server over `db` (a fresh one when omitted): plain HTTP, or with `tls` HTTPS from
 * Stamp's own TLS CA on a fixed port whose URL is also the public URL (ACME clients need both).
 */
export async function startServer(opts: { db?: Awaited<ReturnType<typeof freshDatabase>>; rt?: Partial<Runtime>; args?: string[]; env?: Record<string, string>; tls?: boolean; httpListener?: boolean } = {}): Promise<TestServer> {
  const db = opts.db ?? (await freshDatabase());
  const tlsPort = opts.tls ? await freePort() : 0;
  const httpPort = opts.httpListener ? await freePort() : 0;
  const env: Record<string, string | undefined> = {
    STAMP_LISTEN: `127.0.0.1:${tlsPort}`,
    STAMP_DATA_DIR: db.dataDir,
    STAMP_TLS: opts.tls ? "auto" : "off",
    STAMP_PUBLIC_URL: opts.tls ? `https://127.0.0.1:${tlsPort}` : "http://127.0.0.1:1",
    // Throwaway stores: flushing each commit only slows the suite (test/durability.test.ts covers it).
    STAMP_EMBEDDED_DURABILITY: "relaxed",
    // Many servers run at once: no plain-HTTP revocation listener unless a test asks (httpListener).
    STAMP_HTTP_LISTEN: "off",
    // In-process servers are one process anyway; said so the configuration matches spawned ones.
    STAMP_WORKERS: "1",
    ...(db.databaseUrl ? { DATABASE_URL: db.databaseUrl } : {}),
    ...(opts.httpListener ? { STAMP_HTTP_LISTEN: `127.0.0.1:${httpPort}`, STAMP_HTTP_PUBLIC_URL: `http://127.0.0.1:${httpPort}` } : {}),
    ...opts.env,
  };
  const parsed = parseConfig(opts.args ?? [], env);
  if ("violations" in parsed) throw new Error(JSON.stringify(parsed.violations));
  const config = parsed.config;
  const server = await compose(config, { logger: false, rt: opts.rt });
  await server.users.bootstrap(ADMIN_EMAIL, ADMIN_PASSWORD);
  await server.app.listen({ host: "127.0.0.1", port: tlsPort });
  if (server.httpApp && config.http) await server.httpApp.listen({ host: "127.0.0.1", port: config.http.port });
  const addr = server.app.server.address() as { port: number };
  const scheme = config.tls.mode === "off" ? "http" : "https";
  const url = `${scheme}://127.0.0.1:${addr.port}`;

  const api: TestServer["api"] = async (method, p, o = {}) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
      headers["content-type"] ??= "application/json";
    }
    let res: { status: number; headers: Headers };
    let text: string;
    if (scheme === "https") {
      const { readFileSync } = await import("node:fs");
      const r = await httpsRequest(url + p, { method, headers, body }, readFileSync(`${db.dataDir}/tls-ca.pem`, "utf8"));
      res = r;
      text = r.text;
    } else {
      const r = await fetch(url + p, { method, headers, body, signal: AbortSignal.timeout(60_000) });
      res = r;
      text = await r.text();
    }
    let parsedBody: unknown = text;
    try {
      parsedBody = text ? JSON.parse(text) : null;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsedBody as any, headers: res.headers };
  };
  const login = await api("POST", "/api/v1/auth/login", { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  if (login.status !== 200) throw new Error(`admin login failed: ${JSON.stringify(login.body)}`);
  const adminToken = login.body.accessToken as string;
  const projects = await api("GET", "/api/v1/projects", { token: adminToken });
  const defaultProjectId = projects.body.projects.find((p: { name: string }) => p.name === "default").id;
  return {
    url,
    httpUrl: config.http?.publicUrl ?? null,
    tlsCaFile: `${db.dataDir}/tls-ca.pem`,
    server,
    config,
    adminToken,
    defaultProjectId,
    api,
    async close() {
      await server.close();
      if (!opts.db) await db.drop();
    },
  };
}
