import { randomBytes, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import type { FastifyInstance, FastifyServerOptions } from "fastify";
import { schemeNotices, type Config } from "./config.js";
import { diskNearlyFull, openDb, untilDatabaseAnswers, type Db } from "./store/db.js";
import { isTransientDbError } from "./store/resilient-dialect.js";
import { migrate } from "./store/migrations.js";
import { createStore, type Store } from "./store/store.js";
import { createCacheHub, type CacheHub } from "./store/cache.js";
import { withCache } from "./store/cached-store.js";
import { createKeys, createPkcs11Keys, createSoftwareKeys, loadOrCreateRootKey } from "./keys/index.js";
import { loadServerSecret } from "./keys/server-secret.js";
import { createCryptoPool } from "./keys/crypto-pool.js";
import { createCa } from "./ca/ca.js";
import { createSigning } from "./ca/signing.js";
import { createTlsAuto } from "./ca/tls-auto.js";
import { createLeafIssuer } from "./ca/leaf.js";
import { createCrlPublisher } from "./ca/crl.js";
import { createOcspResponder } from "./ca/ocsp.js";
import { createDelegatedCertificates } from "./ca/delegated-certificates.js";
import { createScep } from "./ra/scep/service.js";
import { createOcsp } from "./ra/revocation/ocsp.js";
import { createAcme } from "./ra/acme/service.js";
import { createNonces } from "./ra/acme/nonces.js";
import { createEst } from "./ra/est/service.js";
import { createEstSettings } from "./ra/est/settings.js";
import { createVa } from "./va/va.js";
import { dnsHostResolver } from "./va/dns-host-resolver.js";
import { createEgress } from "./va/egress.js";
import { createSecretBox } from "./keys/secret-box.js";
import { createScheduler, type Scheduler } from "./jobs/scheduler.js";
import { createCrls, type CrlFailure } from "./ra/revocation/crls.js";
import type { Runtime } from "./shared-types.js";
import { createTokenService } from "./ra/auth/tokens.js";
import { loginIdentity, loginUser } from "./ra/auth/login.js";
import { createSessions } from "./ra/auth/sessions.js";
import { createUsers } from "./ra/users.js";
import { createProjects } from "./ra/projects.js";
import { createIdentities } from "./ra/identities.js";
import { createAuditLog } from "./ra/audit-log.js";
import { createCaService } from "./ra/cas/service.js";
import type { CaPort } from "./ra/cas/ports.js";
import type { LeafPort } from "./ra/certs/ports.js";
import { createTemplates } from "./ra/certs/templates.js";
import { createProfiles } from "./ra/certs/profiles.js";
import { createProfileCertificates } from "./ra/certs/profile-certificates.js";
import { createCertificates } from "./ra/certs/certificates.js";
import { createCertificateInventory } from "./ra/certs/inventory.js";
import { createCertificateRequests } from "./ra/certs/certificate-requests.js";
import { createAutoRenewal } from "./ra/certs/auto-renew.js";
import { createAlerts } from "./ra/alerts/service.js";
import { createIdempotency } from "./ra/idempotency.js";
import { createReconciliation } from "./ra/reconcile.js";
import { createAlertSender } from "./alerts/sender.js";
import { createBackup } from "./ra/backup.js";
import { createExternalAcme } from "./va/external/acme-ca.js";
import { subjectCsr } from "./ca/subject-csr.js";
import { createAcmeCas } from "./ra/external/acme-cas.js";
import { createExternalRequests } from "./ra/external/requests.js";
import { buildApp } from "./http/app.js";
import { buildRevocationApp } from "./http/revocation-app.js";
import type { ReadinessCheck } from "./http/services.js";
import { createMetrics } from "./metrics/metrics.js";
import type { CertEvent } from "./ra/certs/issue.js";


/** The AAD namespaces the RA seals under: ACME EAB keys, idempotent answers, alert-rule secrets, external CA secrets. */
const RA_SECRET_NAMESPACES = ["acme-eab:", "stamp-idempotency:", "alert-rule:", "external-ca:"];
/** A composed server, not yet listening. */
export interface Composed {
  app: FastifyInstance;
  /** The plain-HTTP listener for CRLs, OCSP and CA certificates (config.http), not yet listening; main.ts starts it. */
  httpApp: FastifyInstance | null;
  store: Store;
  /** The open database (query observers: round-trip counts in tests and benches). */
  db: Db;
  /** This server's read caches (hit counts; docs/adr/0007-caches.md). */
  cache: CacheHub;
  users: ReturnType<typeof createUsers>;
  /** Background jobs (CRLs, server-driven renewal, alert delivery and expiry scans, nonce pruning); main.ts starts them, tests run them by hand. */
  jobs: Scheduler;
  /** Messages for the operator (root key created, warnings, where the TLS CA is). */
  notices: string[];
  close(): Promise<void>;
}

/** The HTTP front end's client bounds, in the milliseconds Node wants. */
function httpLimits(config: Config) {
  const h = config.clientLimits;
  return { headersTimeoutMs: h.headersTimeoutSeconds * 1000, requestTimeoutMs: h.requestTimeoutSeconds * 1000, keepAliveTimeoutMs: h.keepAliveTimeoutSeconds * 1000, maxConnectionsPerAddress: h.maxConnectionsPerAddress };
}

/** The composition root: store → keys → CA → RA → HTTP (ARCHITECTURE.md). */
export async function compose(config: Config, opts: { logger: FastifyServerOptions["logger"]; rt?: Partial<Runtime>; onJobError?: (msg: string, err: unknown) => void; onNotice?: (msg: string) => void }): Promise<Composed> {
  const rt: Runtime = { clock: () => new Date(), random: (n) => randomBytes(n), uuid: randomUUID, ...opts.rt };
  const notices: string[] = [];
  const listen = `${config.host.includes(":") ? `[${config.host}]` : config.host}:${config.port}`;
  const db: Db = await openDb(config.databaseUrl ? { kind: "postgres", url: config.databaseUrl } : { kind: "pglite", dataDir: `${config.dataDir}/db`, listen, durable: config.embeddedDurability === "fsync" });
  notices.push(...db.notices);
  const closeDb = () => db.close();
  const closers: (() => Promise<void> | void)[] = [closeDb];
  try {
    // Migrations as the schema's owner when one is given; the server itself then runs as a role
    // without DDL rights (docs/security.md).
    const migrateAll = async () => {
      if (!config.migrationDatabaseUrl) return void (await migrate(db.db));
      const owner = await openDb({ kind: "postgres", url: config.migrationDatabaseUrl, poolSize: 1 });
      try {
        await migrate(owner.db);
      } finally {
        await owner.close();
      }
    };
    // A database that is not up yet (or restarting) is waited for, not a reason to exit.
    const where = config.databaseUrl ? `PostgreSQL at ${new URL(config.databaseUrl).host}` : "the embedded database";
    await untilDatabaseAnswers(migrateAll, config.databaseWaitSeconds * 1000, (reason, left) =>
      opts.onNotice?.(`waiting for ${where} (${reason}); giving up in ${Math.ceil(left / 1000)} s (--database-wait)`),
    ).catch((e) => {
      if (!isTransientDbError(e)) throw e;
      const reason = e instanceof Error && e.cause instanceof Error ? e.cause.message : String(e);
      throw new Error(`could not reach ${where} within ${config.databaseWaitSeconds} s (${reason}); check that it runs and that --database-url is right, or raise --database-wait`);
    });
    // Per-server caches of the hot reads, dropped on every server by the database's notifications (docs/adr/0007-caches.md).
    const hub = createCacheHub();
    const store = withCache(createStore(db.db, db.kind), hub, db.onQuery);
    const listener = await db.listen({ notify: hub.invalidate, up: () => hub.setLive(true), down: () => hub.setLive(false) });
    closers.unshift(() => listener.close(), () => store.stopObserving());

    // A lost root key must not be replaced by a new one: nothing sealed before could be opened.
    if (!existsSync(config.rootKeyFile) && (await store.misc.hasSealedSecrets())) {
      throw new Error(`the root key file ${config.rootKeyFile} is missing, but this database holds keys sealed under a root key: restore the file from your backup (or point --root-key-file at it); a new key could not open them`);
    }
    const root = await loadOrCreateRootKey(config.rootKeyFile);
    if (root.created) notices.push(`Created the root encryption key at ${config.rootKeyFile} (mode 0600). Back it up: without it no CA key can be used.`);
    notices.push(...root.warnings);
    if (root.ring.others.length) notices.push(`Root key rotation in progress: sealing with root key ${root.ring.current.id}, also opening with ${root.ring.others.map((k) => `${k.id} (${k.role})`).join(", ")}.`);
    const tokenKey = await loadServerSecret(store.misc, root.ring, "access-token-hmac");
    const nonceKey = await loadServerSecret(store.misc, root.ring, "acme-nonce-hmac");

    // Worker threads for RSA key generation and PKCS#12, started on first use.
    const cryptoPool = createCryptoPool();
    closers.push(() => cryptoPool.close());
    const software = createSoftwareKeys({ rootKey: root.ring, generateKeyPair: cryptoPool.generateKeyPair });
    const pkcs11 = config.pkcs11 ? createPkcs11Keys(config.pkcs11) : undefined;
    if (pkcs11) closers.push(() => pkcs11.close());
    const keys = createKeys({ software, pkcs11 });
    notices.push(...schemeNotices(config));
    const revocationUrl = config.revocationUrl;
    // The one place that signs (leaves group-committed: one batch at a time per server).
    const signing = createSigning({ store });
    // The CA implements the ports the RA declares (ra/cas/ports.ts, ra/certs/ports.ts).
    const ca = createCa({ store, keys, rt, revocationUrl, signing }) satisfies CaPort;
    const leaf = createLeafIssuer({ store, keys, software, crypto: cryptoPool, rt, revocationUrl, signing }) satisfies LeafPort;
    const crl = createCrlPublisher({ store, keys, rt, revocationUrl, onFailure: (f) => crlFailed(f) });
    const metrics = createMetrics({ readings: store.metrics, pool: () => db.poolStats(), clock: rt.clock });
    const jobs = createScheduler(
      [
        { name: "crl", intervalMs: config.crlIntervalSeconds * 1000, run: () => crl.publishAll() },
        { name: "acme-nonces", intervalMs: 600_000, run: () => store.acme.pruneNonces(rt.clock()) },
        { name: "scep-challenges", intervalMs: 3_600_000, run: () => store.scep.pruneChallenges(new Date(rt.clock().getTime() - 86_400_000)) },
        { name: "idempotency-keys", intervalMs: 3_600_000, run: () => idempotency.prune() },
        { name: "auto-renew", intervalMs: config.renewalIntervalSeconds * 1000, run: () => autoRenewal.run() },
        { name: "alert-delivery", intervalMs: config.alerts.intervalSeconds * 1000, run: () => alerts.deliverDue() },
        { name: "alert-expiry", intervalMs: config.alerts.intervalSeconds * 10_000, run: () => alerts.scanExpiring() },
        { name: "reconcile", intervalMs: config.reconcile.intervalSeconds * 1000, run: () => reconcileOnce() },
        { name: "external-ca-requests", intervalMs: 5000, run: () => externalRequests.run() },
      ].map((j) => ({ ...j, run: () => metrics.timeJob(j.name, j.run) })),
      (msg, err) => opts.onJobError?.(msg, err),
    );
    closers.unshift(() => jobs.stop());
    // Crash reconciliation: the first pass runs at start (the scheduler's first run), then every interval.
    const reconciliation = createReconciliation({ store, rt, graceSeconds: config.reconcile.graceSeconds, log: (m, e) => opts.onJobError?.(m, e) });
    let firstPass = true;
    const reconcileOnce = async () => {
      const p = await store.withJobLock("reconcile", () => reconciliation.pass());
      const line = p && reconciliation.describe(p, firstPass);
      firstPass = false;
      if (line) opts.onNotice?.(line);
      if (p?.more) jobs.poke("reconcile", 1000);
    };
    const delegated = createDelegatedCertificates({ store, keys, software, rt, ocspLifetimeMs: config.ocspResponderLifetimeSeconds * 1000, revocationUrl, signing });
    const signers = delegated.ocsp;
    const ocsp = createOcspResponder({ store, keys, rt, signers, validitySeconds: config.ocspValiditySeconds, onError: (e) => opts.onJobError?.("OCSP responder", e) });
    // After a revocation: cached OCSP answers go stale at once; CRLs follow within a second or so.
    const onRevocationChange = (caId: string) => {
      ocsp.invalidate(caId);
      jobs.poke("crl", 1000);
    };

    const tokens = createTokenService(tokenKey, rt.clock, rt.uuid);
    const loginDeps = { repos: store, rt, tokens, userTokenTtl: config.accessTokenTtlSeconds };
    const users = createUsers({ store, rt });
    const identities = createIdentities({ store, rt, defaultTtl: config.accessTokenTtlSeconds });
    // The RA's box opens only its own AAD namespaces, never a CA key's (`stamp-key:`).
    const secrets = createSecretBox(root.ring, RA_SECRET_NAMESPACES);
    const idempotency = createIdempotency({ store, rt, secrets });
    const egress = createEgress({ allow: config.egressAllow }); // webhooks and SMTP; the VA builds its own from the same list
    const sender = createAlertSender(config.alerts.smtp && { ...config.alerts.smtp, heloName: new URL(config.publicUrl).hostname }, egress);
    const alerts = createAlerts({ store, rt, sender, secrets, publicUrl: config.publicUrl, onQueued: () => jobs.poke("alert-delivery", 1000), log: (m, e) => opts.onJobError?.(m, e) });
    const crlFailed = async (f: CrlFailure) => {
      opts.onJobError?.(`the CRL of CA ${f.caId} cannot be built${f.stale ? " and is past its nextUpdate" : ""}`, new Error(f.error));
      await alerts.onCrlFailed(f);
    };
    // External CAs (issue 11): the VA's ACME client through the egress policy; requests are database jobs.
    const externalAcme = createExternalAcme({ egress, resolver: config.acme.va.dnsServer ?? null, hooks: config.externalCa.dnsHooks });
    const externalDeps = { store, rt, acme: externalAcme, secrets, newAccountKey: externalAcme.newAccountKey, leaseSeconds: config.externalCa.leaseSeconds };
    // Certificate events feed the metrics, then the alerts.
    const onCertEvent = (e: CertEvent) => {
      metrics.certificateEvent(e.type, e.profileId);
      return alerts.onEvent(e);
    };
    const externalRequests = createExternalRequests({ ...externalDeps, leaf, subjectCsr, onEvent: onCertEvent, poke: () => jobs.poke("external-ca-requests", 50), log: (m, e) => opts.onJobError?.(m, e), notice: (m) => opts.onNotice?.(m) });
    const certDeps = { store, rt, leaf, backdateSeconds: config.backdateSeconds, onRevocationChange, onEvent: onCertEvent, external: externalRequests };
    const autoRenewal = createAutoRenewal(certDeps);
    const dnsServer = config.acme.va.dnsServer;
    const va = createVa({ ...config.acme.va, egressAllow: config.egressAllow, resolveHost: dnsServer ? dnsHostResolver(dnsServer) : undefined });
    const certificates = createCertificates(certDeps);
    const crls = createCrls({ store, rt, crl, revocationUrl });
    const services = {
      login: { user: loginUser.bind(null, loginDeps), identity: loginIdentity.bind(null, loginDeps) },
      sessions: createSessions(loginDeps),
      users,
      projects: createProjects({ store, rt, projectCreation: config.projectCreation }),
      identities,
      auditLog: createAuditLog({ store, rt }),
      cas: createCaService({ store, rt, ca, revocationUrl, onCaChange: (caId) => ocsp.invalidate(caId) }),
      acmeCas: createAcmeCas(externalDeps),
      templates: createTemplates({ store, rt }),
      profiles: createProfiles({ store, rt, publicUrl: config.publicUrl }),
      profileCertificates: createProfileCertificates({ store, rt, bundle: (ctx, id) => certificates.bundle(ctx, id) }),
      certificates,
      certificateInventory: createCertificateInventory(certDeps),
      certificateRequests: createCertificateRequests(certDeps),
      idempotency,
      reconciliation,
      crls,
      ocsp: createOcsp({ ocsp }),
      acme: createAcme({ store, rt, certs: certDeps, va, secrets, nonces: createNonces(nonceKey, rt.random, () => rt.clock()), publicUrl: config.publicUrl, limits: config.acme.limits }),
      est: createEst({ store, rt, certs: certDeps, publicUrl: config.publicUrl }),
      estSettings: createEstSettings({ store, rt, publicUrl: config.publicUrl }),
      alerts: alerts.rules,
      metrics,
      health: {
        async checks() {
          const up = await store.ping();
          const checks: ReadinessCheck[] = [{ name: "database", ok: up, detail: up ? `${db.kind === "pglite" ? "the embedded database (PGlite)" : "PostgreSQL"} answers` : "the database does not answer" }];
          if (db.kind === "pglite") {
            const full = await diskNearlyFull(`${config.dataDir}/db`);
            checks.push({ name: "disk", ok: !full, detail: full ?? "enough free space for the embedded database" });
          }
          return checks;
        },
      },
      backup: createBackup({ store, rt, dump: db.backup }),
      scep: createScep({ certs: certDeps, ra: delegated.scep, crl: (caKeyId) => crls.latest(caKeyId, false), publicUrl: config.publicUrl }),
    };
    // Delivery confirmations still queued are written after the listeners close, before the database does.
    closers.splice(closers.indexOf(closeDb), 0, () => services.certificates.flushDeliveries());
    // Leaves being signed are committed (or fail) before the database closes.
    closers.splice(closers.indexOf(closeDb), 0, () => signing.drain());

    let https: { cert: string; key: string } | null = null;
    if (config.tls.mode === "auto") {
      const tls = await createTlsAuto({ rootKey: root.ring, rt, signing }).serverCertificate(config);
      https = { cert: tls.certPem, key: tls.keyPem };
      notices.push(`HTTPS with a certificate from Stamp's own TLS CA; clients trust it with ${tls.caFile} (e.g. curl --cacert ${tls.caFile}).`);
    } else if (config.tls.mode === "files") {
      const { readFile } = await import("node:fs/promises");
      https = { cert: await readFile(config.tls.certFile, "utf8"), key: await readFile(config.tls.keyFile, "utf8") };
    }

    const auth = { verify: tokens.verify, user: users.principal, identity: identities.principal };
    const app = await buildApp(services, auth, { logger: opts.logger, https, bodyLimitBytes: config.bodyLimitBytes, publicUrl: config.publicUrl, metricsToken: config.metricsToken, limits: httpLimits(config) });
    closers.unshift(() => app.close());
    const httpApp = config.http ? await buildRevocationApp(services, { logger: opts.logger, limits: httpLimits(config) }) : null;
    if (httpApp) closers.unshift(() => httpApp.close());
    return {
      app,
      httpApp,
      store,
      db,
      cache: hub,
      users,
      jobs,
      notices,
      async close() {
        for (const c of closers) await c();
      },
    };
  } catch (e) {
    for (const c of closers) await Promise.resolve(c()).catch(() => {});
    throw e;
  }
}
