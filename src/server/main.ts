import { existsSync } from "node:fs";
import { writeFile, mkdir } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import path from "node:path";
import { availableParallelism } from "node:os";
import { helpText, parseConfig, workerCount, type Config } from "./config.js";
import { compose } from "./compose.js";
import { PG_POOL_SIZE } from "./store/db.js";
import { isFirstWorker, isWorker, runPrimary, tellPrimaryReady } from "./cluster.js";
import { rotateRootKeyCommand } from "./root-key/command.js";
import { textLogStream } from "./log-text.js";

/**
 * The only file that reads process.env or exits: parse the configuration, compose the
 * server, create the first admin on first start, listen, and stop cleanly on SIGINT/SIGTERM.
 * With more than one worker (--workers), this process becomes the cluster's primary and each
 * forked worker runs this same file as a server.
 */
async function main() {
  if (process.argv[2] === "rotate-root-key") {
    process.exit(await rotateRootKeyCommand(process.argv.slice(3), process.env, { out: (line) => (line.startsWith("stamp:") ? console.error(line) : console.log(line)) }));
  }
  const parsed = parseConfig(process.argv.slice(2), process.env);
  if ("violations" in parsed) {
    if (parsed.help) {
      console.log(helpText());
      console.log('\nCommands:\n  rotate-root-key [--prepare | --finish]   replace the root key and re-wrap every sealed key (docs/operations.md, "Rotating the root key")');
      process.exit(0);
    }
    for (const v of parsed.violations) console.error(`stamp: ${v.message}`);
    process.exit(2);
  }
  const config: Config = parsed.config;
  const workers = workerCount(config, availableParallelism());
  if (workers > 1 && !isWorker()) {
    if (workers * PG_POOL_SIZE > 90) console.log(`stamp: ${workers} worker processes open up to ${PG_POOL_SIZE} PostgreSQL connections each (${workers * PG_POOL_SIZE} in all); PostgreSQL allows 100 by default (max_connections): raise it, or lower --workers`);
    const primary = runPrimary({ workers, log: (line) => console.log(`stamp: ${line}`) });
    process.once("SIGINT", () => primary.stop("SIGINT"));
    process.once("SIGTERM", () => primary.stop("SIGTERM"));
    process.exit(await primary.done);
  }
  await serve(config);
}

/** One server process: compose, first start, listen; in a cluster, the primary prints what it would. */
async function serve(config: Config) {
  // Workers after the first would repeat its startup notices (the same configuration, the same database).
  const quiet = isWorker() && !isFirstWorker();
  // A first start on the embedded store spends several seconds creating the database: say so first.
  if (!quiet && !config.databaseUrl && !existsSync(path.join(config.dataDir, "db", "PG_VERSION"))) {
    console.log(`stamp: first start: creating the embedded database in ${path.join(config.dataDir, "db")} (this takes a few seconds)…`);
  }
  // Text on a terminal (one readable line per request), JSON for log collectors.
  const text = config.logFormat === "text" || (config.logFormat === "auto" && process.stdout.isTTY === true);
  const logger = config.logLevel === "silent" ? false : { level: config.logLevel, redact: ["req.headers.authorization", "req.headers.cookie"], ...(text ? { stream: textLogStream(process.stdout) } : {}) };
  const server = await compose(config, {
    logger,
    onJobError: (msg, err) => console.error(`stamp: ${msg}: ${err instanceof Error ? err.message : String(err)}`),
    onNotice: (msg) => console.error(`stamp: ${msg}`),
  });
  if (!quiet) for (const n of server.notices) console.log(`stamp: ${n}`);
  const firstAdmin = await bootstrap(config, server);

  let stopping = false;
  const stop = async (signal: string) => {
    // A worker hears both the terminal's SIGINT and the primary's SIGTERM: stop once.
    if (stopping) return;
    stopping = true;
    if (!isWorker()) console.log(`stamp: ${signal} received, stopping`);
    await server.close().catch(() => {});
    process.exit(0);
  };
  process.once("SIGINT", () => void stop("SIGINT"));
  process.once("SIGTERM", () => void stop("SIGTERM"));
  const lines: string[] = [];
  await server.app.listen({ host: config.host, port: config.port });
  if (server.httpApp && config.http) {
    await server.httpApp.listen({ host: config.http.host, port: config.http.port }).catch((e: NodeJS.ErrnoException) => {
      throw new Error(`the plain-HTTP revocation listener cannot listen on ${config.http!.host}:${config.http!.port} (${e.code ?? e.message}); choose another --http-listen host:port, or --http-listen off`);
    });
    const a = server.httpApp.server.address();
    const h = config.http.host.includes(":") ? `[${config.http.host}]` : config.http.host;
    lines.push(`CRLs, OCSP and CA certificates also on http://${h}:${typeof a === "object" && a ? a.port : config.http.port} (URLs in certificates: ${config.http.publicUrl})`);
  }
  server.jobs.start();
  const addr = server.app.server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.port;
  const scheme = config.tls.mode === "off" ? "http" : "https";
  const host = config.host.includes(":") ? `[${config.host}]` : config.host;
  lines.push(`listening on ${scheme}://${host}:${port} (public URL ${config.publicUrl}; API docs at ${config.publicUrl}/api/docs)`);
  if (firstAdmin) lines.push(...whatNext(config, firstAdmin));
  if (isWorker()) tellPrimaryReady(lines);
  else for (const line of lines) console.log(`stamp: ${line}`);
}

/** After a first start: where to go, how to log in, what to trust. */
function whatNext(config: Config, admin: { email: string; file: string | null }): string[] {
  const url = config.publicUrl;
  const trust = config.tls.mode === "auto" ? path.join(config.dataDir, "tls-ca.pem") : null;
  const ca = trust ? ` --ca-file ${trust}` : "";
  return [
    "what next:",
    `  web UI      ${url}/ (sign in as ${admin.email})`,
    admin.file ? `  password    in ${admin.file}; change it after the first login (stamp passwd), then delete the file` : "  password    the one you set in STAMP_BOOTSTRAP_PASSWORD",
    ...(trust ? [`  trust       ${trust} (Stamp's own TLS CA: curl --cacert ${trust} ${url}/healthz)`] : []),
    `  CLI         bin/stamp login --server ${url}${ca} --email ${admin.email}`,
    `  API docs    ${url}/api/docs`,
  ];
}

/**
 * First start: the first admin, from the environment or as one-time credentials in a 0600 file.
 * Returns who was made (null when an admin already existed).
 */
async function bootstrap(config: Config, server: Awaited<ReturnType<typeof compose>>): Promise<{ email: string; file: string | null } | null> {
  if (config.bootstrap.email && config.bootstrap.password) {
    const made = await server.users.bootstrap(config.bootstrap.email, config.bootstrap.password);
    if (made) {
      console.log(`stamp: created the first admin ${config.bootstrap.email} and the project "default"`);
      return { email: config.bootstrap.email, file: null };
    }
    // Said once, so a user who set them after the first start knows why the login fails.
    if (!isWorker() || isFirstWorker()) console.log(`stamp: STAMP_BOOTSTRAP_EMAIL and STAMP_BOOTSTRAP_PASSWORD were ignored: this database already has an admin (they apply only to the first start; to add a user, log in as the admin; to start afresh, use a new --data-dir)`);
    return null;
  }
  const email = "admin@stamp.local";
  const password = randomBytes(18).toString("base64url");
  const made = await server.users.bootstrap(email, password);
  if (!made) return null;
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const file = path.join(config.dataDir, "initial-admin.txt");
  await writeFile(file, `email: ${email}\npassword: ${password}\n`, { mode: 0o600 });
  console.log(`stamp: created the first admin; its one-time credentials are in ${file} (mode 0600). Log in, then delete the file.`);
  return { email, file };
}

/** A thrown value as one line: its message, never `[object Object]`. */
function describe(e: unknown): string {
  if (e instanceof Error && e.message) return e.message;
  if (typeof e === "object" && e !== null) {
    const o = e as { message?: unknown; name?: unknown; code?: unknown };
    const text = [o.name, o.code, o.message].filter((x) => typeof x === "string" || typeof x === "number").join(": ");
    if (text) return text;
    try {
      return JSON.stringify(e).slice(0, 300);
    } catch {
      /* fall through */
    }
  }
  return String(e);
}

main().catch((e) => {
  console.error(`stamp: failed to start: ${describe(e)}`);
  process.exit(1);
});
