import path from "node:path";
import type { Violation } from "../errors.js";
import { createEgress, parseEgressAllow, refusalMessage } from "./va/egress.js";
import { passwordViolations } from "./ra/auth/password-rules.js";

/** The server's whole configuration, parsed from flags and environment. */
export interface Config {
  host: string;
  port: number;
  dataDir: string;
  rootKeyFile: string;
  databaseUrl: string | null;
  /** Embedded store: flush every commit to disk (`fsync`), or leave it to the OS (`relaxed`). */
  embeddedDurability: "fsync" | "relaxed";
  /** Server processes sharing the listeners (node:cluster): a number, or `auto` (one per core on PostgreSQL, one on the embedded store). */
  workers: number | "auto";
  /** Seconds to wait at start for a database that does not answer yet. */
  databaseWaitSeconds: number;
  /** A role that owns the schema, used only to run migrations (docs/security.md: the app role cannot alter audit_log). */
  migrationDatabaseUrl: string | null;
  publicUrl: string;
  /** The plain-HTTP listener serving only CRLs, OCSP and CA certificates (null: none). */
  http: { host: string; port: number; publicUrl: string } | null;
  /** Base of every CRL, OCSP and caIssuers URL put in certificates: the HTTP public URL, else the public URL. */
  revocationUrl: string;
  tls: { mode: "off" } | { mode: "auto" } | { mode: "files"; certFile: string; keyFile: string };
  bootstrap: { email: string | null; password: string | null };
  pkcs11: { modulePath: string; tokenLabel: string; pin: string } | null;
  accessTokenTtlSeconds: number;
  /** Who may create projects: server admins only (default) or every user. */
  projectCreation: "admins" | "users";
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "silent";
  /** How log lines look: `auto` is text on a terminal and JSON elsewhere (main.ts decides). */
  logFormat: "auto" | "text" | "json";
  bodyLimitBytes: number;
  /** Client time bounds and connections per address (issue 14, finding 10). */
  clientLimits: { headersTimeoutSeconds: number; requestTimeoutSeconds: number; keepAliveTimeoutSeconds: number; maxConnectionsPerAddress: number };
  backdateSeconds: number;
  crlIntervalSeconds: number;
  ocspValiditySeconds: number;
  ocspResponderLifetimeSeconds: number;
  renewalIntervalSeconds: number;
  /** Crash reconciliation: seconds between passes, and how old an unfinished signing must be before it counts as abandoned. */
  reconcile: { intervalSeconds: number; graceSeconds: number };
  /** Alerts: seconds between delivery passes (expiry scans run every 10th), and the SMTP server for email rules. */
  alerts: { intervalSeconds: number; smtp: { url: string; from: string; caFile?: string } | null };
  /** The egress policy's allow-list (--egress-allow): CIDRs, addresses, host names and `*.suffix` reached even when private. */
  egressAllow: string[];
  /** ACME external CAs: the operator's DNS-01 hook commands by name, and the request lease. */
  externalCa: { dnsHooks: Map<string, string>; leaseSeconds: number };
  acme: {
    va: { http01Port: number; tlsAlpn01Port: number; dnsServer?: { host: string; port: number }; allowPrivateAddresses: boolean };
    limits: { requestsPerMinutePerIp: number; ordersPerHourPerAccount: number };
  };
}

interface OptionSpec { flag: string; env: string; help: string; default?: string }

/** Every option, once: the flag, its environment variable, and a line of help. */
export const OPTIONS: OptionSpec[] = [
  { flag: "listen", env: "STAMP_LISTEN", default: "127.0.0.1:8443", help: "host:port to listen on" },
  { flag: "data-dir", env: "STAMP_DATA_DIR", default: "./data", help: "directory for the embedded database and the root key" },
  { flag: "root-key-file", env: "STAMP_ROOT_KEY_FILE", help: "file holding the root encryption key (created 0600 on first start); servers sharing a database must share it (default <data-dir>/root.key)" },
  { flag: "database-url", env: "DATABASE_URL", help: "postgres://… to use PostgreSQL instead of the embedded PGlite" },
  { flag: "embedded-durability", env: "STAMP_EMBEDDED_DURABILITY", default: "fsync", help: "embedded database only: 'fsync' flushes every commit to disk before it is acknowledged; 'relaxed' leaves flushing to the OS (faster; a power cut or kernel crash can lose recent commits or corrupt the store)" },
  { flag: "workers", env: "STAMP_WORKERS", default: "auto", help: "server processes sharing the listeners, 1 to 64, or 'auto': one per core with PostgreSQL, 1 with the embedded database (which allows only one process); more than 1 runs a primary that restarts a worker that dies" },
  { flag: "database-wait", env: "STAMP_DATABASE_WAIT", default: "60", help: "seconds to wait at start for a database that is not reachable yet (0 to 3600), retrying with backoff" },
  { flag: "migration-database-url", env: "STAMP_MIGRATION_DATABASE_URL", help: "postgres://… of the role that owns the schema: migrations run with it, then the server works with --database-url (a role without DDL rights)" },
  { flag: "public-url", env: "STAMP_PUBLIC_URL", help: "base URL clients reach this server at (used in AIA and CRL URLs); default from --listen and --tls" },
  { flag: "http-listen", env: "STAMP_HTTP_LISTEN", help: "host:port of a plain-HTTP listener serving only CRLs, OCSP and CA certificates, whose URLs go into certificates (RFC 5280 wants http:// there), or 'off' (default: the --listen host, port 8080, when TLS is on; off with --tls off)" },
  { flag: "http-public-url", env: "STAMP_HTTP_PUBLIC_URL", help: "base URL clients reach the --http-listen listener at (used in CRL, OCSP and caIssuers URLs); default http://<public-url host>:<http port>" },
  { flag: "tls", env: "STAMP_TLS", default: "auto", help: "'auto' (Stamp issues its own server certificate), 'off' (plain HTTP), or 'files' with --tls-cert/--tls-key" },
  { flag: "tls-cert", env: "STAMP_TLS_CERT", help: "PEM certificate chain file for HTTPS (implies --tls files)" },
  { flag: "tls-key", env: "STAMP_TLS_KEY", help: "PEM private key file for HTTPS (implies --tls files)" },
  { flag: "bootstrap-email", env: "STAMP_BOOTSTRAP_EMAIL", help: "email of the first admin, created on first start" },
  { flag: "bootstrap-password", env: "STAMP_BOOTSTRAP_PASSWORD", help: "password of the first admin (at least 12 characters)" },
  { flag: "pkcs11-module", env: "STAMP_PKCS11_MODULE", help: "path of a PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so) to keep CA keys in a token" },
  { flag: "pkcs11-token-label", env: "STAMP_PKCS11_TOKEN_LABEL", help: "label of the PKCS#11 token" },
  { flag: "pkcs11-pin", env: "STAMP_PKCS11_PIN", help: "user PIN of the PKCS#11 token" },
  { flag: "project-creation", env: "STAMP_PROJECT_CREATION", default: "admins", help: "who may create projects: 'admins' (server admins only) or 'users' (every user; machine identities never)" },
  { flag: "access-token-ttl", env: "STAMP_ACCESS_TOKEN_TTL", default: "3600", help: "lifetime of access tokens, in seconds (60 to 86400)" },
  { flag: "backdate", env: "STAMP_BACKDATE", default: "60", help: "seconds certificates are backdated against clock skew (0 to 3600)" },
  { flag: "crl-interval", env: "STAMP_CRL_INTERVAL", default: "30", help: "seconds between CRL publishing passes (5 to 3600); revocations also trigger one within a second" },
  { flag: "ocsp-validity", env: "STAMP_OCSP_VALIDITY", default: "3600", help: "seconds an OCSP answer is valid (60 to 604800); cached answers are re-signed at half-life" },
  { flag: "ocsp-responder-lifetime", env: "STAMP_OCSP_RESPONDER_LIFETIME", default: "259200", help: "lifetime in seconds of delegated OCSP responder certificates (3600 to 2592000), rotated at half-life" },
  { flag: "acme-http01-port", env: "STAMP_ACME_HTTP01_PORT", default: "80", help: "port ACME http-01 validation connects to (labs and tests use a high port)" },
  { flag: "acme-tls-alpn01-port", env: "STAMP_ACME_TLS_ALPN01_PORT", default: "443", help: "port ACME tls-alpn-01 validation connects to" },
  { flag: "acme-dns-resolver", env: "STAMP_ACME_DNS_RESOLVER", help: "host:port of the DNS server dns-01 validation asks (default: the system resolver)" },
  { flag: "acme-allow-private-addresses", env: "STAMP_ACME_ALLOW_PRIVATE_ADDRESSES", default: "false", help: "true lets ACME validation reach loopback, link-local and private addresses (labs and tests only)" },
  { flag: "acme-requests-per-minute", env: "STAMP_ACME_REQUESTS_PER_MINUTE", default: "1200", help: "ACME requests allowed per client address per minute" },
  { flag: "acme-orders-per-hour", env: "STAMP_ACME_ORDERS_PER_HOUR", default: "300", help: "ACME orders allowed per account per hour" },
  { flag: "renewal-interval", env: "STAMP_RENEWAL_INTERVAL", default: "300", help: "seconds between server-driven renewal passes (10 to 86400)" },
  { flag: "reconcile-interval", env: "STAMP_RECONCILE_INTERVAL", default: "60", help: "seconds between crash-reconciliation passes (1 to 86400); one also runs at start" },
  { flag: "reconcile-grace", env: "STAMP_RECONCILE_GRACE", default: "60", help: "seconds an unfinished signing is left alone before reconciliation calls it abandoned (1 to 3600)" },
  { flag: "alert-interval", env: "STAMP_ALERT_INTERVAL", default: "30", help: "seconds between alert delivery passes (5 to 3600); expiration scans run every 10 passes; new events are sent within a second or so" },
  { flag: "smtp-url", env: "STAMP_SMTP_URL", help: "SMTP server for email alerts: smtp://[user:password@]host:port (STARTTLS when offered, required with a user) or smtps://… (TLS from the start); pass credentials in STAMP_SMTP_URL, not on the command line" },
  { flag: "smtp-ca-file", env: "STAMP_SMTP_CA_FILE", help: "PEM file of CAs trusted for the SMTP server's certificate (default: the system's)" },
  { flag: "smtp-from", env: "STAMP_SMTP_FROM", help: "sender address of email alerts (needed with --smtp-url)" },
  { flag: "egress-allow", env: "STAMP_EGRESS_ALLOW", help: "comma-separated CIDRs, addresses, host names and *.suffix names that webhooks, SMTP and ACME validation may reach although private or loopback (docs/egress.md)" },
  { flag: "dns-hook", env: "STAMP_DNS_HOOKS", help: "comma-separated name=/absolute/path of commands ACME external CAs may use as DNS-01 hooks (run as: path present|cleanup <record> <value>); only the operator can register one (docs/external-ca.md)" },
  { flag: "external-ca-lease", env: "STAMP_EXTERNAL_CA_LEASE", default: "600", help: "seconds a server holds a certificate request it is ordering from an external CA before another server may take it over (30 to 86400)" },
  { flag: "headers-timeout", env: "STAMP_HEADERS_TIMEOUT", default: "10", help: "seconds a client has to send a request's headers (and finish the TLS handshake) before the connection is closed (1 to 300)" },
  { flag: "request-timeout", env: "STAMP_REQUEST_TIMEOUT", default: "60", help: "seconds a client has to send a whole request (1 to 3600; not less than --headers-timeout)" },
  { flag: "keep-alive-timeout", env: "STAMP_KEEP_ALIVE_TIMEOUT", default: "72", help: "seconds an idle keep-alive connection stays open (1 to 600; keep it above the idle timeout of any load balancer in front, often 60)" },
  { flag: "max-connections-per-address", env: "STAMP_MAX_CONNECTIONS_PER_ADDRESS", default: "100", help: "open connections one client address may hold; more are closed at once (1 to 100000; behind a proxy, count the proxy's)" },
  { flag: "log-level", env: "STAMP_LOG_LEVEL", default: "info", help: "fatal, error, warn, info, debug or silent" },
  { flag: "log-format", env: "STAMP_LOG_FORMAT", default: "auto", help: "text (one readable line per request), json (one JSON object per line), or auto: text on a terminal, json elsewhere" },
];

/** Reads argv (after the script) and env into a Config, or every problem found. */
export function parseConfig(argv: string[], env: Record<string, string | undefined>): { config: Config } | { violations: Violation[]; help?: true } {
  const given = new Map<string, string>();
  const violations: Violation[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--help" || a === "-h") return { violations: [], help: true };
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(a);
    const spec = m && OPTIONS.find((o) => o.flag === m[1]);
    if (!m || !spec) {
      violations.push({ field: a, code: "unknown_option", message: `Unknown option ${a}; run with --help to list the options.` });
      continue;
    }
    const value = m[2] ?? argv[++i];
    if (value === undefined) violations.push({ field: `--${spec.flag}`, code: "missing_value", message: `--${spec.flag} needs a value.` });
    else given.set(spec.flag, value);
  }
  const get = (flag: string): string | undefined => {
    const spec = OPTIONS.find((o) => o.flag === flag)!;
    const v = given.get(flag) ?? env[spec.env];
    return v === undefined || v === "" ? spec.default : v;
  };

  const listen = get("listen")!;
  const lm = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(listen);
  let host = "127.0.0.1";
  let port = 8443;
  if (!lm || Number(lm[2]) > 65535) {
    violations.push({ field: "--listen", code: "invalid", message: "--listen must be host:port, e.g. 127.0.0.1:8443.", value: listen });
  } else {
    host = lm[1].replace(/^\[|\]$/g, "");
    port = Number(lm[2]);
  }

  const certFile = get("tls-cert");
  const keyFile = get("tls-key");
  let tlsMode = get("tls")!;
  if ((certFile || keyFile) && tlsMode === "auto" && !given.has("tls") && !env.STAMP_TLS) tlsMode = "files";
  let tls: Config["tls"] = { mode: "off" };
  if (tlsMode === "auto") tls = { mode: "auto" };
  else if (tlsMode === "off") tls = { mode: "off" };
  else if (tlsMode === "files") {
    if (!certFile || !keyFile) violations.push({ field: "--tls", code: "missing_files", message: "--tls files needs both --tls-cert and --tls-key." });
    else tls = { mode: "files", certFile: path.resolve(certFile), keyFile: path.resolve(keyFile) };
  } else violations.push({ field: "--tls", code: "invalid", message: "--tls must be auto, off or files.", value: tlsMode });

  const databaseUrl = get("database-url") ?? null;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    violations.push({ field: "--database-url", code: "invalid", message: "--database-url must start with postgres:// or postgresql://." });
  }
  const migrationDatabaseUrl = get("migration-database-url") ?? null;
  if (migrationDatabaseUrl && (!databaseUrl || !/^postgres(ql)?:\/\//.test(migrationDatabaseUrl))) {
    violations.push({ field: "--migration-database-url", code: "invalid", message: "--migration-database-url must be a postgres:// URL, and needs --database-url for the server's own role." });
  }

  const scheme = tls.mode === "off" ? "http" : "https";
  const urlHost = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
  let publicUrl = get("public-url") ?? `${scheme}://${urlHost}:${port}`;
  try {
    const u = new URL(publicUrl);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
    publicUrl = publicUrl.replace(/\/+$/, "");
  } catch {
    violations.push({ field: "--public-url", code: "invalid", message: "--public-url must be an http(s) URL such as https://ca.example.com.", value: publicUrl });
  }

  const http = parseHttpListener(get("http-listen"), get("http-public-url"), tls.mode !== "off", host, publicUrl, violations);

  const email = get("bootstrap-email") ?? null;
  const password = get("bootstrap-password") ?? null;
  if ((email === null) !== (password === null)) {
    violations.push({ field: "STAMP_BOOTSTRAP_EMAIL", code: "incomplete", message: "Set both STAMP_BOOTSTRAP_EMAIL and STAMP_BOOTSTRAP_PASSWORD, or neither." });
  }
  if (password !== null && password.length < 12) {
    violations.push({ field: "STAMP_BOOTSTRAP_PASSWORD", code: "too_short", message: "The bootstrap password must have at least 12 characters." });
  }

  if (email !== null && password !== null) violations.push(...passwordViolations(email, password, "STAMP_BOOTSTRAP_PASSWORD"));
  const projectCreation = get("project-creation")!;
  if (projectCreation !== "admins" && projectCreation !== "users") violations.push({ field: "--project-creation", code: "invalid", message: "--project-creation must be admins (server admins only) or users (every user).", value: projectCreation });

  const p11 = [get("pkcs11-module"), get("pkcs11-token-label"), get("pkcs11-pin")];
  let pkcs11: Config["pkcs11"] = null;
  if (p11.some(Boolean)) {
    if (!p11.every(Boolean)) violations.push({ field: "--pkcs11-module", code: "incomplete", message: "PKCS#11 needs the module, the token label and the PIN." });
    else pkcs11 = { modulePath: p11[0]!, tokenLabel: p11[1]!, pin: p11[2]! };
  }

  const ttl = Number(get("access-token-ttl"));
  if (!Number.isInteger(ttl) || ttl < 60 || ttl > 86400) {
    violations.push({ field: "--access-token-ttl", code: "out_of_range", message: "--access-token-ttl must be a whole number of seconds from 60 to 86400." });
  }
  const backdate = Number(get("backdate"));
  if (!Number.isInteger(backdate) || backdate < 0 || backdate > 3600) {
    violations.push({ field: "--backdate", code: "out_of_range", message: "--backdate must be a whole number of seconds from 0 to 3600." });
  }
  const crlInterval = Number(get("crl-interval"));
  if (!Number.isInteger(crlInterval) || crlInterval < 5 || crlInterval > 3600) {
    violations.push({ field: "--crl-interval", code: "out_of_range", message: "--crl-interval must be a whole number of seconds from 5 to 3600." });
  }
  const ocspValidity = Number(get("ocsp-validity"));
  if (!Number.isInteger(ocspValidity) || ocspValidity < 60 || ocspValidity > 604800) {
    violations.push({ field: "--ocsp-validity", code: "out_of_range", message: "--ocsp-validity must be a whole number of seconds from 60 to 604800." });
  }
  const responderLifetime = Number(get("ocsp-responder-lifetime"));
  if (!Number.isInteger(responderLifetime) || responderLifetime < 3600 || responderLifetime > 2592000) {
    violations.push({ field: "--ocsp-responder-lifetime", code: "out_of_range", message: "--ocsp-responder-lifetime must be a whole number of seconds from 3600 to 2592000." });
  }
  const intIn = (flag: string, min: number, max: number) => {
    const n = Number(get(flag));
    if (!Number.isInteger(n) || n < min || n > max) violations.push({ field: `--${flag}`, code: "out_of_range", message: `--${flag} must be a whole number from ${min} to ${max}.` });
    return n;
  };
  const renewalInterval = intIn("renewal-interval", 10, 86400);
  const reconcileInterval = intIn("reconcile-interval", 1, 86400);
  const reconcileGrace = intIn("reconcile-grace", 1, 3600);
  const databaseWait = intIn("database-wait", 0, 3600);
  const workersValue = get("workers")!;
  let workers: Config["workers"] = "auto";
  if (workersValue !== "auto") {
    workers = Number(workersValue);
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) violations.push({ field: "--workers", code: "out_of_range", message: "--workers must be a whole number from 1 to 64, or auto.", value: workersValue });
    else if (workers > 1 && !databaseUrl) violations.push({ field: "--workers", code: "needs_postgres", message: `--workers ${workers} needs PostgreSQL (--database-url): the embedded database is opened by one process only. Use --workers 1 (or auto) with it.`, value: workersValue });
  }
  const durability = get("embedded-durability");
  if (durability !== "fsync" && durability !== "relaxed") violations.push({ field: "--embedded-durability", code: "invalid", message: "--embedded-durability must be fsync or relaxed.", value: durability });
  const http01Port = intIn("acme-http01-port", 1, 65535);
  const tlsAlpn01Port = intIn("acme-tls-alpn01-port", 1, 65535);
  const acmeRpm = intIn("acme-requests-per-minute", 10, 1_000_000);
  const acmeOph = intIn("acme-orders-per-hour", 1, 1_000_000);
  const resolver = get("acme-dns-resolver");
  let dnsServer: { host: string; port: number } | undefined;
  if (resolver) {
    const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(resolver);
    if (!m) violations.push({ field: "--acme-dns-resolver", code: "invalid", message: "--acme-dns-resolver must be host:port, e.g. 127.0.0.1:8053.", value: resolver });
    else dnsServer = { host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
  }
  const allowPrivate = get("acme-allow-private-addresses");
  if (allowPrivate !== "true" && allowPrivate !== "false") violations.push({ field: "--acme-allow-private-addresses", code: "invalid", message: "--acme-allow-private-addresses must be true or false." });
  const alertInterval = intIn("alert-interval", 5, 3600);
  const smtpUrl = get("smtp-url");
  const smtpFrom = get("smtp-from");
  let smtp: Config["alerts"]["smtp"] = null;
  if (smtpUrl || smtpFrom) {
    let urlOk = false;
    try {
      const u = smtpUrl ? new URL(smtpUrl) : null;
      urlOk = !!u && (u.protocol === "smtp:" || u.protocol === "smtps:") && !!u.hostname && (!u.port || Number(u.port) <= 65535);
    } catch {
      urlOk = false;
    }
    if (!urlOk) violations.push({ field: "--smtp-url", code: "invalid", message: "--smtp-url must be smtp://[user:password@]host:port or smtps://… (and is needed with --smtp-from).", value: smtpUrl && redactUrlPassword(smtpUrl) });
    if (!smtpFrom || !/^[^\s@<>]{1,64}@[^\s@<>]{1,253}$/.test(smtpFrom)) violations.push({ field: "--smtp-from", code: "invalid", message: "--smtp-from must be an email address such as stamp@example.com (and is needed with --smtp-url).", value: smtpFrom });
    const caFile = get("smtp-ca-file");
    if (urlOk && smtpFrom) smtp = { url: smtpUrl!, from: smtpFrom, ...(caFile ? { caFile: path.resolve(caFile) } : {}) };
  }
  const dnsHooks = new Map<string, string>();
  for (const entry of (get("dns-hook") ?? "").split(",").map((x) => x.trim()).filter(Boolean)) {
    const m = /^([A-Za-z0-9_-]{1,64})=(\/.+)$/.exec(entry);
    if (!m) violations.push({ field: "--dns-hook", code: "invalid", message: "--dns-hook entries are name=/absolute/path.", value: entry });
    else dnsHooks.set(m[1], m[2]);
  }
  const externalCaLease = intIn("external-ca-lease", 30, 86400);
  const allowParsed = parseEgressAllow(get("egress-allow") ?? "");
  const egressAllow = "entries" in allowParsed ? allowParsed.entries : [];
  if ("errors" in allowParsed) for (const e of allowParsed.errors) violations.push({ field: "--egress-allow", code: "invalid", message: `--egress-allow: ${e}.` });
  // The SMTP relay goes through the egress policy too: a refused literal is caught now, not at the first alert.
  const smtpRefusal = smtp && createEgress({ allow: egressAllow }).hostRefusal(new URL(smtp.url).hostname);
  if (smtpRefusal) violations.push({ field: "--smtp-url", code: "egress_refused", message: `--smtp-url: ${refusalMessage(smtpRefusal)}`, value: redactUrlPassword(smtp!.url) });
  const headersTimeout = intIn("headers-timeout", 1, 300);
  const requestTimeout = intIn("request-timeout", 1, 3600);
  if (requestTimeout < headersTimeout) violations.push({ field: "--request-timeout", code: "out_of_range", message: "--request-timeout must not be less than --headers-timeout: the headers are part of the request." });
  const keepAliveTimeout = intIn("keep-alive-timeout", 1, 600);
  const maxConnections = intIn("max-connections-per-address", 1, 100_000);
  const logLevel = get("log-level") as Config["logLevel"];
  if (!["fatal", "error", "warn", "info", "debug", "silent"].includes(logLevel)) {
    violations.push({ field: "--log-level", code: "invalid", message: "--log-level must be fatal, error, warn, info, debug or silent." });
  }
  const logFormat = get("log-format") as Config["logFormat"];
  if (!["auto", "text", "json"].includes(logFormat)) violations.push({ field: "--log-format", code: "invalid", message: "--log-format must be auto, text or json." });
  if (violations.length) return { violations };
  return {
    config: {
      host,
      port,
      dataDir: path.resolve(get("data-dir")!),
      rootKeyFile: path.resolve(get("root-key-file") ?? path.join(get("data-dir")!, "root.key")),
      databaseUrl,
      databaseWaitSeconds: databaseWait,
      workers,
      embeddedDurability: durability === "relaxed" ? "relaxed" : "fsync",
      migrationDatabaseUrl,
      publicUrl,
      http,
      revocationUrl: http?.publicUrl ?? publicUrl,
      tls,
      bootstrap: { email, password },
      pkcs11,
      accessTokenTtlSeconds: ttl,
      projectCreation: projectCreation as Config["projectCreation"],
      logLevel,
      logFormat,
      bodyLimitBytes: 1024 * 1024,
      clientLimits: { headersTimeoutSeconds: headersTimeout, requestTimeoutSeconds: requestTimeout, keepAliveTimeoutSeconds: keepAliveTimeout, maxConnectionsPerAddress: maxConnections },
      backdateSeconds: backdate,
      crlIntervalSeconds: crlInterval,
      ocspValiditySeconds: ocspValidity,
      ocspResponderLifetimeSeconds: responderLifetime,
      renewalIntervalSeconds: renewalInterval,
      reconcile: { intervalSeconds: reconcileInterval, graceSeconds: reconcileGrace },
      alerts: { intervalSeconds: alertInterval, smtp },
      egressAllow,
      externalCa: { dnsHooks, leaseSeconds: externalCaLease },
      acme: {
        va: { http01Port, tlsAlpn01Port, dnsServer, allowPrivateAddresses: allowPrivate === "true" },
        limits: { requestsPerMinutePerIp: acmeRpm, ordersPerHourPerAccount: acmeOph },
      },
    },
  };
}

/** --http-listen and --http-public-url: the plain-HTTP revocation listener, on by default when the main one is HTTPS. */
function parseHttpListener(listen: string | undefined, url: string | undefined, tlsOn: boolean, mainHost: string, publicUrl: string, violations: Violation[]): Config["http"] {
  const value = listen ?? (tlsOn ? `${mainHost.includes(":") ? `[${mainHost}]` : mainHost}:8080` : "off");
  if (value === "off") {
    if (url) violations.push({ field: "--http-public-url", code: "without_listener", message: "--http-public-url needs the plain-HTTP listener; remove --http-listen off or the URL.", value: url });
    return null;
  }
  const m = /^(\[[0-9a-fA-F:]+\]|[^:]+):(\d{1,5})$/.exec(value);
  if (!m || Number(m[2]) > 65535) {
    violations.push({ field: "--http-listen", code: "invalid", message: "--http-listen must be host:port (e.g. 0.0.0.0:80) or off.", value });
    return null;
  }
  const host = m[1].replace(/^\[|\]$/g, "");
  const port = Number(m[2]);
  let base = url;
  if (!base) {
    let name = host === "0.0.0.0" || host === "::" ? "localhost" : host.includes(":") ? `[${host}]` : host;
    try {
      name = new URL(publicUrl).host.replace(/:\d+$/, "");
    } catch {
      /* --public-url is reported already */
    }
    base = `http://${name}${port === 80 ? "" : `:${port}`}`;
  }
  try {
    const u = new URL(base);
    if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("scheme");
  } catch {
    violations.push({ field: "--http-public-url", code: "invalid", message: "--http-public-url must be a URL such as http://ca.example.com.", value: base });
    return null;
  }
  return { host, port, publicUrl: base.replace(/\/+$/, "") };
}

/** Notices for URLs whose scheme differs from the listener behind them (a TLS proxy in front is fine; otherwise clients fail). */
export function schemeNotices(config: Config): string[] {
  const out: string[] = [];
  const mainScheme = config.tls.mode === "off" ? "http:" : "https:";
  const pub = new URL(config.publicUrl).protocol;
  if (pub !== mainScheme) out.push(`Warning: --public-url ${config.publicUrl} is ${pub.slice(0, -1)} but the server listens with ${mainScheme.slice(0, -1)}; that works only behind a proxy that changes the scheme.`);
  if (config.http && new URL(config.http.publicUrl).protocol !== "http:") out.push(`Warning: --http-public-url ${config.http.publicUrl} is not http:// but its listener is plain HTTP; revocation clients (OpenSSL, GnuTLS, nginx stapling) need http:// CRL and OCSP URLs (RFC 5280 §4.2.1.13).`);
  if (new URL(config.revocationUrl).protocol === "https:") out.push(`Warning: CRL, OCSP and caIssuers URLs in certificates are https:// (${config.revocationUrl}); OpenSSL, GnuTLS and nginx refuse them. Turn on --http-listen.`);
  return out;
}

/** How many server processes to run: `auto` is one per core on PostgreSQL, and always one on the embedded store. */
export function workerCount(config: Pick<Config, "workers" | "databaseUrl">, cores: number): number {
  if (config.workers !== "auto") return config.workers;
  return config.databaseUrl ? Math.max(1, Math.min(64, cores)) : 1;
}

/** The --help text, built from OPTIONS. */
export function helpText(): string {
  const lines = ["Usage: stamp-server [options]", "", "Every option can also be set by its environment variable.", ""];
  for (const o of OPTIONS) {
    lines.push(`  --${o.flag.padEnd(22)} ${o.env.padEnd(26)} ${o.help}${o.default ? ` (default ${o.default})` : ""}`);
  }
  return lines.join("\n");
}

/** A URL as it may be shown in an error: any password replaced by "***". */
function redactUrlPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]*@/i, "$1:***@");
}
