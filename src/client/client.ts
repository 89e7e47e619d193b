import { readFileSync } from "node:fs";
import { StampApiError, StampConnectionError, type Problem } from "./errors.js";
import { fetchTransport, nodeTransport, type Transport } from "./transport.js";
import type * as T from "./types.js";

export { StampApiError, StampConnectionError, type Problem } from "./errors.js";
export type * from "./types.js";

/** How to reach a Stamp server. */
export interface ClientOptions {
  /** e.g. https://stamp.example:8443 (no path). */
  baseUrl: string;
  /** Bearer access token; `login` and `identityLogin` work without one. */
  token?: string;
  /** PEM file of a CA to trust for https (e.g. the server's data/tls-ca.pem). */
  caFile?: string;
  /** Use this fetch instead of node:http(s); `caFile` is then ignored. */
  fetch?: typeof fetch;
  /** Per-request timeout; 30 s by default. */
  timeoutMs?: number;
}

type Query = Record<string, string | number | boolean | undefined>;
interface CallOptions {
  body?: unknown;
  query?: Query;
  /** Expect a binary (PKCS#12, DER) or text (PEM) answer instead of JSON. */
  binary?: boolean;
  text?: boolean;
  /**
   * Send an Idempotency-Key and retry a dropped connection or a 503 with the same key, so a
   * signing or revoking call that reached the server is never done twice.
   */
  idempotent?: boolean;
  /** This call's timeout, when it may take longer than the client's (a backup). */
  timeoutMs?: number;
}

/** Connection failures after which the request may have reached the server: worth a retry with the same key. */
const RETRYABLE_CODES = new Set(["ECONNRESET", "EPIPE", "ETIMEDOUT", "ECONNABORTED"]);
/** Attempts of an idempotent call, and the pause before a retry when the server names none. */
const IDEMPOTENT_ATTEMPTS = 3;
const RETRY_PAUSE_MS = 1000;

const CA = "/api/v1/cert-manager/ca/internal";
const TEMPLATES = "/api/v1/cert-manager/certificate-templates";
const PROFILES = "/api/v1/cert-manager/certificate-profiles";
const CERTS = "/api/v1/cert-manager/certificates";
const id = (v: string) => encodeURIComponent(v);

/** Builds a problem document for an error answer that is not problem+json (a proxy's HTML page, say). */
function problemOf(status: number, contentType: string, body: Buffer): Problem {
  const text = body.toString("utf8");
  if (/json/.test(contentType)) {
    try {
      const p = JSON.parse(text) as Partial<Problem> & { message?: string };
      return { type: p.type ?? "about:blank", title: p.title ?? `HTTP ${status}`, status, detail: p.detail ?? p.message ?? p.title ?? `HTTP ${status}`, instance: p.instance, violations: p.violations };
    } catch {
      /* fall through */
    }
  }
  const line = text.replace(/<[^>]*>/g, " ").replace(/\s+/g, " ").trim().slice(0, 200);
  return { type: "about:blank", title: `HTTP ${status}`, status, detail: line ? `HTTP ${status}: ${line}` : `HTTP ${status}` };
}

/** A typed client for Stamp's REST API: one method per route, bodies and answers from src/contract. */
export function createClient(opts: ClientOptions) {
  const base = opts.baseUrl.replace(/\/+$/, "");
  const timeoutMs = opts.timeoutMs ?? 30_000;
  let transport: Transport | undefined;
  const readCa = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch (e) {
      throw new StampConnectionError(`cannot read the CA file ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, "ECAFILE", e);
    }
  };
  const getTransport = () => (transport ??= opts.fetch ? fetchTransport(opts.fetch) : nodeTransport(opts.caFile ? readCa(opts.caFile) : undefined));

  async function call<R>(method: string, path: string, o: CallOptions = {}): Promise<R> {
    let url = base + path;
    if (o.query) {
      const qs = new URLSearchParams();
      for (const [k, v] of Object.entries(o.query)) if (v !== undefined) qs.set(k, String(v));
      const s = qs.toString();
      if (s) url += `?${s}`;
    }
    const headers: Record<string, string> = { accept: o.binary || o.text ? "*/*" : "application/json, application/problem+json" };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (o.body !== undefined) {
      body = JSON.stringify(o.body);
      headers["content-type"] = "application/json";
    }
    if (o.idempotent) headers["idempotency-key"] = globalThis.crypto.randomUUID();
    let res: Awaited<ReturnType<Transport>>;
    for (let attempt = 1; ; attempt++) {
      try {
        res = await getTransport()({ method, url, headers, body, timeoutMs: o.timeoutMs ?? timeoutMs });
      } catch (e) {
        if (!o.idempotent || attempt >= IDEMPOTENT_ATTEMPTS || !(e instanceof StampConnectionError && RETRYABLE_CODES.has(e.code))) throw e;
        await new Promise((r) => setTimeout(r, RETRY_PAUSE_MS));
        continue;
      }
      // 503: the database is away; 409 with this key: the first attempt is still running.
      if (o.idempotent && attempt < IDEMPOTENT_ATTEMPTS && (res.status === 503 || res.status === 409)) {
        const after = Number(res.retryAfter ?? NaN);
        if (res.status === 503 || Number.isFinite(after)) {
          await new Promise((r) => setTimeout(r, Math.min(Number.isFinite(after) ? after * 1000 : RETRY_PAUSE_MS, 10_000)));
          continue;
        }
      }
      break;
    }
    if (res.status >= 400) throw new StampApiError(problemOf(res.status, res.contentType, res.body));
    if (o.binary) return new Uint8Array(res.body) as R;
    if (o.text) return res.body.toString("utf8") as R;
    if (res.status === 204 || res.body.length === 0) return undefined as R;
    try {
      return JSON.parse(res.body.toString("utf8")) as R;
    } catch {
      throw new StampApiError({ type: "about:blank", title: "Bad response", status: 502, detail: `the server at ${base} did not answer JSON (HTTP ${res.status}); is --server right?` });
    }
  }

  return {
    baseUrl: base,
    /** Logs a user in; the token is returned, not kept (make a new client with it). */
    login: (email: string, password: string) => call<T.TokenResponse>("POST", "/api/v1/auth/login", { body: { email, password } }),
    /** Logs a machine identity in (universal auth). */
    identityLogin: (clientId: string, clientSecret: string) => call<T.TokenResponse>("POST", "/api/v1/auth/universal-auth/login", { body: { clientId, clientSecret } }),
    /** Who the token belongs to. */
    me: () => call<T.Me>("GET", "/api/v1/auth/me"),
    /** Revokes this client's token on the server (with `allSessions`, every token of its principal). */
    logout: (o: { allSessions?: boolean } = {}) => call<void>("POST", "/api/v1/auth/logout", { body: o.allSessions ? { allSessions: true } : {} }),
    /** Changes the caller's password; every earlier token ends, and a fresh one is returned. */
    changePassword: (currentPassword: string, newPassword: string) => call<T.TokenResponse>("POST", "/api/v1/auth/password", { body: { currentPassword, newPassword } }),
    projects: {
      /** Projects the caller belongs to. */
      list: () => call<{ projects: T.Project[] }>("GET", "/api/v1/projects"),
      /** Creates a project; the caller becomes its admin. */
      create: (name: string) => call<{ project: T.Project }>("POST", "/api/v1/projects", { body: { name } }),
    },
    cas: {
      /** Creates a root, an intermediate signed by a Stamp CA, or one pending an outside signature. */
      create: (body: T.CreateCaBody) => call<T.Ca>("POST", CA, { body }),
      /** A project's CAs. */
      list: (projectId: string) => call<T.Ca[]>("GET", CA, { query: { projectId } }),
      /** Every CA of a project: internal ones, then external ACME ones. */
      listAll: (projectId: string) => call<{ certificateAuthorities: (T.Ca | T.AcmeCa)[] }>("GET", "/api/v1/cert-manager/ca", { query: { projectId } }),
      /** Creates an ACME external CA (registers the account). */
      createAcme: (body: T.CreateAcmeCaBody) => call<T.AcmeCa>("POST", "/api/v1/cert-manager/ca/acme", { body }),
      /** One CA. */
      get: (caId: string) => call<T.Ca>("GET", `${CA}/${id(caId)}`),
      /** Renames, or sets active/disabled. */
      update: (caId: string, body: T.UpdateCaBody) => call<T.Ca>("PATCH", `${CA}/${id(caId)}`, { body }),
      /** Deletes a CA (refused while active children depend on it unless `force`). */
      remove: (caId: string, o: { force?: boolean } = {}) => call<T.Ca>("DELETE", `${CA}/${id(caId)}`, { query: { force: o.force ? "true" : undefined } }),
      /** The active CA certificate and its chain, PEM. */
      certificate: (caId: string) => call<T.CaCertificate>("GET", `${CA}/${id(caId)}/certificate`),
      /** The CSR of an intermediate waiting for an outside signature. */
      csr: (caId: string) => call<{ csr: string }>("GET", `${CA}/${id(caId)}/csr`),
      /** Installs the certificate an outside CA issued for the CSR. */
      importCertificate: (caId: string, body: T.ImportCertificateBody) => call<T.ImportCertificateResponse>("POST", `${CA}/${id(caId)}/import-certificate`, { body }),
      /** Signs another CA's CSR as a subordinate CA. */
      signIntermediate: (caId: string, body: T.SignIntermediateBody) => call<T.SignIntermediateResponse>("POST", `${CA}/${id(caId)}/sign-intermediate`, { body }),
      /** Renews with the same key or rolls over to a new one: the new active certificate, and the CA. */
      renew: (caId: string, body: T.RenewCaBody = {}) => call<T.RenewCaResponse>("POST", `${CA}/${id(caId)}/renew`, { body }),
      /** The latest full CRL of each of the CA's keys, PEM. */
      crls: (caId: string) => call<T.CaCrl[]>("GET", `${CA}/${id(caId)}/crls`),
    },
    templates: {
      /** Creates a template, optionally from a preset. */
      create: (body: T.CreateTemplateBody) => call<{ certificateTemplate: T.Template; warnings: T.TemplateWarning[] }>("POST", TEMPLATES, { body }),
      /** A page of a project's templates (20 by default, at most 100), with the count of all that match. */
      list: (projectId: string, q: T.ListTemplatesQuery = {}) => call<{ certificateTemplates: T.Template[]; totalCount: number }>("GET", TEMPLATES, { query: { projectId, ...q } as Query }),
      /** The built-in presets. */
      presets: () => call<{ presets: T.TemplatePreset[] }>("GET", `${TEMPLATES}/presets`),
      /** One template. */
      get: (templateId: string) => call<{ certificateTemplate: T.Template }>("GET", `${TEMPLATES}/${id(templateId)}`),
      /** Changes a template; `brokenProfiles` lists profiles whose defaults it now refuses. */
      update: (templateId: string, body: T.UpdateTemplateBody) => call<{ certificateTemplate: T.Template; brokenProfiles: { profileId: string; slug: string; violations: T.Violation[] }[]; warnings: T.TemplateWarning[] }>("PATCH", `${TEMPLATES}/${id(templateId)}`, { body }),
      /** Deletes a template. */
      remove: (templateId: string) => call<{ certificateTemplate: T.Template }>("DELETE", `${TEMPLATES}/${id(templateId)}`),
    },
    profiles: {
      /** Creates a profile (defaults that break the template are refused with 422). */
      create: (body: T.CreateProfileBody) => call<{ certificateProfile: T.ProfileDetail }>("POST", PROFILES, { body }),
      /** A page of a project's profiles (20 by default, at most 100) with their certificate counts, and the count of all that match. */
      list: (projectId: string, q: T.ListProfilesQuery = {}) => call<{ certificateProfiles: (T.Profile & { metrics: T.ProfileMetrics })[]; totalCount: number }>("GET", PROFILES, { query: { projectId, ...q } as Query }),
      /** One profile, with its CA and template. */
      get: (profileId: string) => call<{ certificateProfile: T.ProfileDetail }>("GET", `${PROFILES}/${id(profileId)}`),
      /** A profile by slug within a project. */
      bySlug: (slug: string, projectId: string) => call<{ certificateProfile: T.ProfileDetail }>("GET", `${PROFILES}/slug/${id(slug)}`, { query: { projectId } }),
      /** A page of the profile's certificates, newest first, with the profile's counts. */
      certificates: (profileId: string, q: T.ProfileCertificatesQuery = {}) => call<{ certificates: T.ProfileCertificate[]; totalCount: number; metrics: T.ProfileMetrics }>("GET", `${PROFILES}/${id(profileId)}/certificates`, { query: q as Query }),
      /** The newest active certificate of the profile, its chain and (when the caller may read it) its key; every field null when there is none. */
      latestActiveBundle: (profileId: string) => call<T.LatestActiveBundle>("GET", `${PROFILES}/${id(profileId)}/certificates/latest-active-bundle`),
      /** The profile's current unused EAB key id and HMAC key (made on first use). */
      revealEab: (profileId: string) => call<T.EabSecret>("GET", `${PROFILES}/${id(profileId)}/acme/eab-secret/reveal`),
      /** Sets a new random static SCEP challenge password on the profile (shown this once). */
      rotateScepChallenge: (profileId: string) => call<{ challengePassword: string }>("POST", `${PROFILES}/${id(profileId)}/scep/challenge-password`),
      /** Changes a profile. */
      update: (profileId: string, body: T.UpdateProfileBody) => call<{ certificateProfile: T.ProfileDetail }>("PATCH", `${PROFILES}/${id(profileId)}`, { body }),
      /** Deletes a profile. */
      remove: (profileId: string) => call<{ certificateProfile: T.ProfileDetail }>("DELETE", `${PROFILES}/${id(profileId)}`),
      /** Creates an ACME External Account Binding key; the HMAC key is in this answer only. */
      createEab: (profileId: string, description?: string) => call<{ eabKey: T.EabKey & { hmacKey: string; directoryUrl: string } }>("POST", `${PROFILES}/${id(profileId)}/acme/eab-keys`, { body: { description } }),
      /** Sets the profile's EST passphrase: a new random one (in this answer only), or `passphrase`. */
      estPassphrase: (profileId: string, passphrase?: string) => call<{ passphrase: string | null; baseUrl: string; enabled: boolean }>("POST", `${PROFILES}/${id(profileId)}/est/passphrase`, { body: passphrase ? { passphrase } : {} }),
      /** A profile's EAB keys (never the HMAC keys). */
      listEab: (profileId: string) => call<{ eabKeys: T.EabKey[] }>("GET", `${PROFILES}/${id(profileId)}/acme/eab-keys`),
      /** Revokes an EAB key. */
      revokeEab: (profileId: string, keyId: string) => call<{ eabKey: T.EabKey }>("POST", `${PROFILES}/${id(profileId)}/acme/eab-keys/${encodeURIComponent(keyId)}/revoke`),
    },
    /** One certificate request (a synchronous issuance's id is its certificate's). */
    certificateRequest: (requestId: string) => call<T.CertificateRequest>("GET", `/api/v1/cert-manager/certificate-requests/${id(requestId)}`),
    /** Cancels a request still waiting on an external CA. */
    cancelCertificateRequest: (requestId: string) => call<{ status: string; cancelled: boolean; errorMessage: string | null }>("POST", `/api/v1/cert-manager/certificate-requests/${id(requestId)}/cancel`),
    certificates: {
      /** Issues a certificate from a profile, for a CSR or with a key the server makes. */
      issue: (body: T.IssueBody) => call<T.IssueResponse | T.PendingResponse>("POST", CERTS, { body, idempotent: true }),
      /** What `issue` would sign, without signing. */
      preview: (body: T.IssueBody) => call<{ preview: T.PreviewResponse }>("POST", `${CERTS}/preview`, { body }),
      /** A page of a project's certificates; pass `nextCursor` back as `cursor`. */
      list: (query: T.ListCertificatesQuery) => call<{ certificates: T.CertificateView[]; nextCursor: string | null }>("GET", CERTS, { query: query as Query }),
      /** One certificate's record. */
      get: (certId: string) => call<{ certificate: T.CertificateView }>("GET", `${CERTS}/${id(certId)}`),
      /** Renews with a new key (default), the same key, or a new CSR. */
      renew: (certId: string, body: T.RenewBody = {}) => call<T.RenewResponse | T.PendingResponse>("POST", `${CERTS}/${id(certId)}/renew`, { body, idempotent: true }),
      /** Revokes a certificate. */
      revoke: (certId: string, body: T.RevokeBody) => call<T.RevokeResponse>("POST", `${CERTS}/${id(certId)}/revoke`, { body, idempotent: true }),
      /** Releases a CERTIFICATE_HOLD. */
      liftHold: (certId: string) => call<{ certificate: T.CertificateView }>("POST", `${CERTS}/${id(certId)}/lift-hold`),
      /** The certificate alone: PEM text, or DER bytes with `der`. */
      pem: (certId: string) => call<string>("GET", `${CERTS}/${id(certId)}/certificate`, { query: { format: "pem" }, text: true }),
      der: (certId: string) => call<Uint8Array>("GET", `${CERTS}/${id(certId)}/certificate`, { query: { format: "der" }, binary: true }),
      /** Certificate, chain and (when the caller may read it) key, PEM. */
      bundle: (certId: string) => call<T.CertificateBundle>("GET", `${CERTS}/${id(certId)}/bundle`),
      /** The private key the server made for a certificate. */
      privateKey: (certId: string) => call<{ privateKey: string }>("GET", `${CERTS}/${id(certId)}/private-key`),
      /** Certificate, chain and key as PKCS#12 (DER bytes) under `password`. */
      pkcs12: (certId: string, password: string) => call<Uint8Array>("POST", `${CERTS}/${id(certId)}/pkcs12`, { body: { password }, binary: true }),
    },
    audit: {
      /** A page of a project's audit log, newest first (project admins). */
      project: (projectId: string, query: T.AuditQuery = {}) => call<{ auditLogs: T.AuditEntry[]; nextCursor: string | null }>("GET", `/api/v1/projects/${id(projectId)}/audit-logs`, { query: query as Query }),
      /** A page of the whole log with each entry's hashes (server admins); `order: "asc"` walks the chain. */
      server: (query: T.ServerAuditQuery = {}) => call<T.ServerAuditPage>("GET", "/api/v1/audit-log", { query: query as Query }),
    },
    admin: {
      /** A consistent copy of the running server's embedded database, gzipped tar bytes (server admins; never the root key). */
      backup: () => call<Uint8Array>("POST", "/api/v1/admin/backup", { binary: true, timeoutMs: 15 * 60_000 }),
    },
  };
}

/** The client `createClient` returns. */
export type StampClient = ReturnType<typeof createClient>;
