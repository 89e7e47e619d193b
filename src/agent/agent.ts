/**
 * The host agent: read config → decide (pure, decide.ts) → issue/renew over the typed client →
 * write files → hooks. One `check()` looks at every configured certificate once.
 */
import { randomBytes } from "node:crypto";
import { createClient, StampApiError, StampConnectionError, type PendingResponse, type RenewResponse, type StampClient } from "../client/client.js";
import { ConfigError, type AgentConfig, type CertificateConfig } from "./config.js";
import { backoffMs, decide, type CertState, type ServerView } from "./decide.js";
import { installPair, localKeyAndCsr, readDisk, type Material } from "./files.js";
import { runHook } from "./hooks.js";
import { loadState, saveState, type AgentState } from "./state.js";

/** Writes one structured log event. */
export type Logger = (level: "info" | "warn" | "error", event: string, fields?: Record<string, unknown>) => void;

/** What the agent takes from its surroundings (injected: house rule 11). */
export interface AgentDeps {
  log: Logger;
  now: () => Date;
  random: () => number;
  /** The environment hooks inherit (PATH, HOME …). */
  hookEnv: Record<string, string | undefined>;
  /** Waits between polls of a pending certificate request (default: a timer). */
  sleep?: (ms: number) => Promise<void>;
}

/** The outcome for one certificate in one check. */
export interface CertOutcome {
  name: string;
  outcome: "unchanged" | "issued" | "renewed" | "failed" | "waiting";
  error?: string;
  unreachable?: boolean;
  configError?: ConfigError;
  nextCheck: Date;
}

/** The outcome of one check of every certificate. */
export interface CheckResult {
  outcomes: CertOutcome[];
  /** The server could not be reached at all in this check. */
  unreachable: boolean;
  nextCheck: Date;
}

/** How long one check waits on a request pending on an external CA before giving up (and cancelling it). */
const PENDING_WAIT_MS = 10 * 60_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Creates the agent over a config; `reconfigure` swaps the config (SIGHUP) keeping the state. */
export function createAgent(initial: AgentConfig, deps: AgentDeps) {
  let config = initial;
  let token: { client: StampClient; expiresAt: number } | null = null;
  let profileIds = new Map<string, string>();
  const { log } = deps;

  /** A client with a valid token: logs the machine identity in when needed. */
  async function client(): Promise<StampClient> {
    if (token && token.expiresAt > deps.now().getTime()) return token.client;
    const anon = createClient({ baseUrl: config.server, caFile: config.caFile, timeoutMs: 15_000 });
    const t = await anon.identityLogin(config.clientId, config.clientSecret);
    token = { client: createClient({ baseUrl: config.server, caFile: config.caFile, token: t.accessToken, timeoutMs: 15_000 }), expiresAt: deps.now().getTime() + Math.max(30, t.expiresIn - 60) * 1000 };
    log("info", "login", { server: config.server, clientId: config.clientId });
    return token.client;
  }

  /** The profile id of a certificate's `profile` (id or slug); unknown → ConfigError. */
  async function profileId(c: StampClient, cert: CertificateConfig, index: number): Promise<string> {
    if (UUID.test(cert.profile)) return cert.profile;
    const hit = profileIds.get(cert.profile);
    if (hit) return hit;
    const { projects } = await c.projects.list();
    const project = config.project ? projects.find((p) => p.id === config.project || p.name === config.project) : projects.length === 1 ? projects[0] : projects.find((p) => p.name === "default");
    if (!project) throw new ConfigError("project", config.project ? `the identity is not in a project ${JSON.stringify(config.project)}` : "the identity belongs to several projects; set project");
    const p = await c.profiles.bySlug(cert.profile, project.id).then(
      (r) => r.certificateProfile,
      (e) => {
        if (e instanceof StampApiError && e.status === 404) return undefined;
        throw e;
      },
    );
    if (!p) throw new ConfigError(`certificates[${index}].profile`, `no profile with slug ${JSON.stringify(cert.profile)} in project ${project.name}`);
    profileIds.set(cert.profile, p.id);
    return p.id;
  }

  /**
   * Waits (bounded) on a request a profile on an external CA queued (202), polling it with growing
   * pauses, then reads what it issued. On failure or timeout it throws; a timed-out request is
   * cancelled so that no certificate is issued later for a key this agent no longer holds.
   */
  async function awaitRequest(c: StampClient, cert: CertificateConfig, requestId: string, needKey: boolean): Promise<{ certificate: string; chain: string; privateKey: string | null; certificateId: string; serialNumber: string }> {
    const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    const deadline = deps.now().getTime() + PENDING_WAIT_MS;
    log("info", "pending", { cert: cert.name, certificateRequestId: requestId });
    for (let pause = 1000; ; pause = Math.min(pause * 2, 15_000)) {
      const r = await c.certificateRequest(requestId);
      if (r.status === "issued" && r.certificateId) {
        const b = await c.certificates.bundle(r.certificateId);
        // The key Stamp made is read after issuance here, which takes the right to read keys.
        if (needKey && !b.privateKey) throw new Error(`certificate ${r.certificateId} was issued, but this identity may not read the key the server made: give its membership canReadPrivateKeys, or use keyMode: local`);
        return { certificate: b.certificate, chain: b.certificateChain, privateKey: b.privateKey, certificateId: r.certificateId, serialNumber: b.serialNumber };
      }
      if (r.status !== "pending" && r.status !== "pending_validation") throw new Error(`certificate request ${requestId} ${r.status}: ${r.errorMessage ?? "no reason given"}`);
      if (deps.now().getTime() + pause > deadline) {
        await c.cancelCertificateRequest(requestId).catch(() => undefined);
        throw new Error(`certificate request ${requestId} was still ${r.status} after ${PENDING_WAIT_MS / 1000} s; cancelled, the next check orders again`);
      }
      await sleep(pause);
    }
  }

  /** Issues (or renews) and returns what to write, and the server's id of the new certificate. */
  async function obtain(c: StampClient, cert: CertificateConfig, index: number, action: "issue" | "renew", st: CertState): Promise<Material & { certificateId: string; serialNumber: string; renewed: boolean }> {
    // The CSR names the DNS altNames too: an external ACME CA issues exactly the CSR's names (RFC 8555 §7.4).
    const local = cert.keyMode === "local" ? localKeyAndCsr(cert.keyAlgorithm, cert.commonName, cert.altNames.filter((a) => a.type === "dns_name").map((a) => a.value)) : undefined;
    if (action === "renew" && st.certificateId) {
      try {
        const res = await c.certificates.renew(st.certificateId, local ? { renewalKeySource: "csr", csr: local.csrPem } : { renewalKeySource: "new" });
        const r = res.certificate === null ? await awaitRequest(c, cert, (res as PendingResponse).certificateRequestId, !local) : { ...(res as RenewResponse), chain: (res as RenewResponse).certificateChain };
        const key = local?.privateKeyPem ?? r.privateKey;
        if (!key) throw new Error("the server did not return the private key of the renewed certificate");
        return { certificate: r.certificate, chain: r.chain, privateKey: key, certificateId: r.certificateId, serialNumber: r.serialNumber, renewed: true };
      } catch (e) {
        // Renewal is refused for a certificate that is revoked, already renewed, or issued
        // the other way (CSR vs server key): fall back to a fresh issuance.
        if (!(e instanceof StampApiError) || ![404, 409, 422].includes(e.status)) throw e;
        log("warn", "renew_refused", { cert: cert.name, status: e.status, error: e.message, then: "issue" });
      }
    }
    const pid = await profileId(c, cert, index);
    const attributes = { commonName: cert.commonName, altNames: cert.altNames.length ? cert.altNames : undefined, ttl: cert.ttl, ...(local ? {} : { keyAlgorithm: cert.keyAlgorithm }) };
    const res = await c.certificates.issue({ profileId: pid, csr: local?.csrPem, attributes });
    const r = res.certificate === null ? await awaitRequest(c, cert, res.certificateRequestId, !local) : { ...res.certificate, chain: res.certificate.certificateChain };
    const key = local?.privateKeyPem ?? r.privateKey;
    if (!key) throw new Error("the server did not return the private key");
    return { certificate: r.certificate, chain: r.chain, privateKey: key, certificateId: r.certificateId, serialNumber: r.serialNumber, renewed: false };
  }

  /** Runs a hook and logs how it went. */
  async function hook(cert: CertificateConfig, kind: "afterIssue" | "afterRenew" | "onFailure", event: string, serial: string): Promise<void> {
    const h = cert.hooks[kind];
    if (!h) return;
    const f = cert.files;
    const r = await runHook(h, {
      STAMP_CERT_NAME: cert.name,
      STAMP_CERT_FILE: f.certificate,
      STAMP_KEY_FILE: f.privateKey,
      STAMP_CHAIN_FILE: f.chain ?? "",
      STAMP_FULLCHAIN_FILE: f.fullChain ?? "",
      STAMP_SERIAL: serial,
      STAMP_EVENT: event,
    }, deps.hookEnv);
    log(r.ok ? "info" : "error", r.ok ? "hook_ok" : "hook_failed", { cert: cert.name, hook: kind, code: r.code, signal: r.signal, timedOut: r.timedOut, output: r.output || undefined, error: r.error });
  }

  /** Checks every certificate once; `respectBackoff` is false for --once. */
  async function check(o: { respectBackoff: boolean }): Promise<CheckResult> {
    const state: AgentState = await loadState(config.stateFile);
    const outcomes: CertOutcome[] = [];
    let unreachable = false;
    let loginError: unknown = null;
    const getClient = async () => {
      if (loginError) throw loginError;
      try {
        return await client();
      } catch (e) {
        loginError = e;
        if (e instanceof StampConnectionError) {
          unreachable = true;
          log("warn", "server_unreachable", { server: config.server, error: e.message });
        }
        throw e;
      }
    };

    for (const [index, cert] of config.certificates.entries()) {
      const now = deps.now();
      const st: CertState = state.certificates[cert.name] ?? { failures: 0 };
      const disk = await readDisk(cert);
      let server: ServerView = null;
      if (disk.kind === "present" && st.certificateId && st.serialHex === disk.serialHex) {
        try {
          const view = (await (await getClient()).certificates.get(st.certificateId)).certificate;
          server = { status: view.lifecycleStatus };
        } catch (e) {
          if (e instanceof StampApiError && e.status === 401) token = null;
          if (!(e instanceof StampConnectionError) && !(e instanceof StampApiError && e.status === 404)) log("warn", "status_check_failed", { cert: cert.name, error: message(e) });
        }
      }
      const d = decide({ renewBefore: cert.renewBefore, jitter: cert.jitter, disk, state: st, server, now, random: deps.random(), intervalMs: config.intervalMs, respectBackoff: o.respectBackoff });
      if (d.action === "none") {
        const waiting = st.failures > 0 && /waiting to retry/.test(d.reason);
        log("info", waiting ? "waiting" : "unchanged", { cert: cert.name, reason: d.reason, nextCheck: d.nextCheck.toISOString() });
        outcomes.push({ name: cert.name, outcome: waiting ? "waiting" : "unchanged", nextCheck: d.nextCheck, unreachable: waiting ? unreachable : undefined });
        continue;
      }
      log("info", d.action === "issue" ? "issuing" : "renewing", { cert: cert.name, reason: d.reason, attempt: st.failures + 1 });
      try {
        const c = await getClient();
        const m = await obtain(c, cert, index, d.action, st);
        await installPair(cert, m, (n) => new Uint8Array(randomBytes(n)));
        state.certificates[cert.name] = { certificateId: m.certificateId, serialHex: m.serialNumber.toLowerCase().replace(/^0+(?=.)/, ""), failures: 0, jitter: deps.random() };
        // Keep the state's serial in the form the parser reports, so the next check recognises it.
        const after = await readDisk(cert);
        if (after.kind === "present") state.certificates[cert.name].serialHex = after.serialHex;
        await saveState(config.stateFile, state);
        const event = m.renewed ? "renewed" : "issued";
        log("info", event, { cert: cert.name, serial: m.serialNumber, certificateId: m.certificateId, keyMode: cert.keyMode, files: [cert.files.privateKey, cert.files.certificate, cert.files.chain, cert.files.fullChain, cert.files.pkcs12?.path].filter(Boolean) });
        const isRenewal = m.renewed || disk.kind === "present";
        // afterRenew runs whenever files that were there are replaced (renewal, revocation, config change).
        await hook(cert, isRenewal ? "afterRenew" : "afterIssue", isRenewal ? "renewed" : "issued", m.serialNumber);
        outcomes.push({ name: cert.name, outcome: event, nextCheck: new Date(now.getTime() + config.intervalMs) });
      } catch (e) {
        if (e instanceof StampApiError && e.status === 401) token = null;
        const isUnreachable = e instanceof StampConnectionError;
        const failures = st.failures + 1;
        const retryAt = new Date(now.getTime() + backoffMs(failures, deps.random()));
        state.certificates[cert.name] = { ...st, failures, retryAt: retryAt.toISOString(), lastError: message(e).slice(0, 500) };
        await saveState(config.stateFile, state).catch((se) => log("error", "state_write_failed", { error: message(se) }));
        log("error", "failed", { cert: cert.name, action: d.action, attempt: failures, error: message(e), unreachable: isUnreachable || undefined, retryAt: retryAt.toISOString(), ...(e instanceof StampApiError && e.problem.violations?.length ? { violations: e.problem.violations } : {}) });
        if (!(e instanceof ConfigError)) await hook(cert, "onFailure", "failure", disk.kind === "present" ? disk.serialHex : "");
        outcomes.push({ name: cert.name, outcome: "failed", error: message(e), unreachable: isUnreachable, configError: e instanceof ConfigError ? e : undefined, nextCheck: retryAt });
      }
    }
    const next = outcomes.reduce((a, x) => (x.nextCheck < a ? x.nextCheck : a), new Date(deps.now().getTime() + config.intervalMs));
    return { outcomes, unreachable, nextCheck: next };
  }

  return {
    check,
    /** Replaces the config (SIGHUP); the next check uses it. */
    reconfigure(next: AgentConfig) {
      if (next.server !== config.server || next.clientId !== config.clientId || next.clientSecret !== config.clientSecret || next.caFile !== config.caFile) token = null;
      profileIds = new Map();
      config = next;
    },
    get config() {
      return config;
    },
  };
}

/** The exit code of `stamp agent --once`: 0 all good, 1 a certificate failed, 2 bad config, 5 server unreachable. */
export function onceExitCode(r: CheckResult): number {
  if (r.outcomes.some((o) => o.configError)) return 2;
  if (r.unreachable) return 5;
  if (r.outcomes.some((o) => o.outcome === "failed")) return 1;
  return 0;
}
