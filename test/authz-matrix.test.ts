import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readFile } from "node:fs/promises";
import { dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";
import { seal } from "../src/server/keys/envelope.js";
import { parseKeyring } from "../src/server/keys/root-key.js";
import { secretsAad } from "../src/server/ra/external/settings.js";

// Every route of the OpenAPI document × {no token, expired token, viewer (user and machine
// identity), member, admin of another project}. A route that is neither public nor in MATRIX
// fails the coverage test, so a new route cannot ship without saying who may call it.
//
// Order of checks in the server: the auth hook (onRequest) rejects a bad or expired token
// before anything else; then fastify validates params/query/body (400); then the use case asks
// for a principal (401 without a token) and a role (404 outside the project, 403 below the
// role). So without a token an invalid body answers 400, not 401: every case below sends a
// valid request, which the "no token → 401" column proves (a 400 there means the case is wrong).

const CA = "/api/v1/cert-manager/ca/internal";
const EXT = "/api/v1/cert-manager/ca/acme";
const TPL = "/api/v1/cert-manager/certificate-templates";
const POL = "/api/v1/cert-manager/certificate-policies";
const PRO = "/api/v1/cert-manager/certificate-profiles";
const CERT = "/api/v1/cert-manager/certificates";
const ALERTS = "/api/v1/projects/{id}/alert-rules";
const G1 = "/api/v1/pki/certificates";

/** Routes anyone may call without a token (the AIA URL, login, health, the API docs). */
const PUBLIC = new Set([
  "POST /api/v1/auth/login",
  // The web UI's sign-in, and its sign-out, which clears the cookie even for a caller with no
  // session (test/web-ui.test.ts covers the cookie, CSRF and revocation).
  "POST /api/v1/auth/session",
  "DELETE /api/v1/auth/session",
  "POST /api/v1/auth/universal-auth/login",
  "GET /api/v1/cert-manager/ca-certificates/{id}/der",
  "GET /api/v1/cert-manager/crl/{id}",
  "GET /api/v1/cert-manager/crl/{id}/delta",
  "GET /api/v1/cert-manager/crl/archive/{id}",
  "GET /api/v1/cert-manager/crl/{id}/der",
  "GET /api/v1/cert-manager/ca/internal/{id}/certificates/{caCertId}/der",
  "POST /api/v1/cert-manager/ocsp/{caId}",
  "GET /api/v1/cert-manager/ocsp/{caId}/{*}",
  "GET /healthz",
  "GET /readyz",
  "GET /api/docs",
  "GET /api/docs/json",
  "GET /api/docs/yaml",
  // SCEP clients prove themselves with a challenge or their current certificate (docs/scep.md).
  "GET /scep/{profile}/pkiclient.exe",
  "POST /scep/{profile}/pkiclient.exe",
  "GET /scep/{profile}",
  "POST /scep/{profile}",
]);

/** Real ids and values of the default project's objects. */
interface Fixture {
  projectId: string;
  adminUserId: string;
  otherProjectId: string;
  rootId: string;
  pendingId: string;
  identityId: string;
  secretId: string;
  memberMembershipId: string;
  pendingCsr: string;
  rootCertificate: string;
  templateId: string;
  spareTemplateId: string;
  sparePolicyId: string;
  profileId: string;
  spareProfileId: string;
  certId: string;
  certRenewId: string;
  certRevokeId: string;
  certHoldId: string;
  acmeProfileId: string;
  eabKeyId: string;
  alertRuleId: string;
  /** External ACME CAs (issue 11), written through the store: registering a real one needs a public CA. */
  extCaId: string;
  spareExtCaId: string;
  /** Issue 15's routes: a certificate to delete, one to revoke by serial, a leaf PEM to import. */
  certDeleteId: string;
  certSerial: string;
  certG1RevokeSerial: string;
  leafPem: string;
}

/**
 * Who may call a project-scoped route: `viewer` reads, `admin` manages. `any` needs only a
 * principal (not tied to the default project); `server-admin` needs the server admin flag.
 */
type Need = "any" | "user" | "server-admin" | "viewer" | "member" | "keys" | "admin";

interface RouteCase {
  need: Need;
  params?: (f: Fixture) => Record<string, string>;
  query?: (f: Fixture) => Record<string, string>;
  body?: (f: Fixture) => unknown;
  /** The status a permitted caller gets (default 200). */
  okStatus?: number;
  /** The call ends the caller's token. */
  revokes?: boolean;
}

const id = (pick: (f: Fixture) => string) => (f: Fixture) => ({ id: pick(f) });
const rule = (f: Fixture) => ({ id: f.projectId, ruleId: f.alertRuleId });
const later = (days: number) => new Date(Date.now() + days * 86400_000).toISOString();

/** Every non-public route, with a request that passes validation. */
const MATRIX: Record<string, RouteCase> = {
  "GET /api/v1/auth/me": { need: "any" },
  // Logging out revokes the token used: the walk logs that caller in again afterwards.
  "POST /api/v1/auth/logout": { need: "any", okStatus: 204, revokes: true, body: () => ({}) },
  // A permitted caller reaches the password check: a wrong current password is 422, not 403.
  "POST /api/v1/auth/password": { need: "user", okStatus: 422, body: () => ({ currentPassword: "not my password", newPassword: "a new long password" }) },
  "POST /api/v1/auth/session/password": { need: "user", okStatus: 422, body: () => ({ currentPassword: "not my password", newPassword: "a new long password" }) },
  "POST /api/v1/users/{id}/revoke-tokens": { need: "server-admin", params: (f) => ({ id: f.adminUserId }) },
  "POST /api/v1/users": { need: "server-admin", body: () => ({ email: `new-${Math.random().toString(36).slice(2)}@example.com`, password: "a long enough password" }) },
  // By default only server admins create projects (--project-creation users opens it to
  // every user; machine identities never): the caller becomes its admin.
  "POST /api/v1/projects": { need: "server-admin", body: () => ({ name: "someone's own project" }) },
  "GET /api/v1/projects": { need: "any" },
  "GET /api/v1/projects/{id}": { need: "viewer", params: id((f) => f.projectId) },
  "GET /api/v1/projects/{id}/memberships": { need: "admin", params: id((f) => f.projectId) },
  "POST /api/v1/projects/{id}/memberships": { need: "admin", params: id((f) => f.projectId), body: () => ({ email: "matrix-other-admin@example.com", role: "admin" }) },
  "DELETE /api/v1/projects/{id}/memberships/{membershipId}": { need: "admin", params: (f) => ({ id: f.projectId, membershipId: f.memberMembershipId }) },
  "GET /api/v1/projects/{id}/identities": { need: "admin", params: id((f) => f.projectId) },
  "GET /api/v1/projects/{id}/audit-logs": { need: "admin", params: id((f) => f.projectId), query: () => ({ limit: "5" }) },
  "GET /api/v1/audit-log": { need: "server-admin", query: () => ({ limit: "5" }) },
  // A server admin gets the embedded database's copy; on PostgreSQL a 409 pointing to pg_dump.
  "POST /api/v1/admin/backup": { need: "server-admin", okStatus: dbKind === "postgres" ? 409 : 200 },
  "GET /api/v1/reconciliation": { need: "server-admin" },
  "POST /api/v1/identities": { need: "admin", body: (f) => ({ projectId: f.projectId, name: "sneaky identity", role: "admin" }) },
  "GET /api/v1/identities/{id}": { need: "admin", params: id((f) => f.identityId) },
  "DELETE /api/v1/identities/{id}": { need: "admin", params: id((f) => f.identityId) },
  "POST /api/v1/identities/{id}/universal-auth/client-secrets": { need: "admin", params: id((f) => f.identityId), body: () => ({ description: "sneaky" }) },
  "GET /api/v1/identities/{id}/universal-auth/client-secrets": { need: "admin", params: id((f) => f.identityId) },
  "POST /api/v1/identities/{id}/universal-auth/client-secrets/{secretId}/revoke": { need: "admin", params: (f) => ({ id: f.identityId, secretId: f.secretId }) },
  [`POST ${CA}`]: { need: "admin", body: (f) => ({ projectId: f.projectId, name: "sneaky ca", configuration: { type: "root", commonName: "Sneaky Root", keyAlgorithm: "EC_prime256v1" } }) },
  [`GET ${CA}`]: { need: "viewer", query: (f) => ({ projectId: f.projectId }) },
  [`GET ${CA}/{id}`]: { need: "viewer", params: id((f) => f.rootId) },
  [`PATCH ${CA}/{id}`]: { need: "admin", params: id((f) => f.rootId), body: () => ({ status: "disabled" }) },
  [`DELETE ${CA}/{id}`]: { need: "admin", params: id((f) => f.rootId), query: () => ({ force: "true" }) },
  [`GET ${CA}/{id}/certificate`]: { need: "viewer", params: id((f) => f.rootId) },
  [`GET ${CA}/{id}/ca-certificates`]: { need: "viewer", params: id((f) => f.rootId) },
  [`GET ${CA}/{id}/csr`]: { need: "viewer", params: id((f) => f.pendingId) },
  [`POST ${CA}/{id}/import-certificate`]: { need: "admin", params: id((f) => f.pendingId), body: (f) => ({ certificate: f.rootCertificate, certificateChain: f.rootCertificate }) },
  [`POST ${CA}/{id}/sign-intermediate`]: { need: "admin", params: id((f) => f.rootId), body: (f) => ({ csr: f.pendingCsr, notAfter: later(30), maxPathLength: 0 }) },
  [`POST ${CA}/{id}/renew`]: { need: "admin", params: id((f) => f.rootId), body: () => ({ type: "existing" }) },
  [`GET ${CA}/{id}/crls`]: { need: "viewer", params: id((f) => f.rootId) },
  [`GET ${CA}/{id}/crls/archive`]: { need: "viewer", params: id((f) => f.rootId) },
  "GET /api/v1/cert-manager/crl/{id}/crl": { need: "viewer", params: id((f) => f.rootId) },
  "GET /api/v1/cert-manager/ca": { need: "viewer", query: (f) => ({ projectId: f.projectId }) },
  "GET /api/v1/cert-manager/ca/{type}": { need: "viewer", params: () => ({ type: "digicert" }), query: (f) => ({ projectId: f.projectId }) },
  [`POST ${EXT}`]: { need: "admin", okStatus: 422, body: (f) => ({ projectId: f.projectId, name: "sneaky-public", configuration: { directoryUrl: "https://127.0.0.1:1/directory", accountEmail: "ops@example.com" } }) },
  [`GET ${EXT}`]: { need: "viewer", query: (f) => ({ projectId: f.projectId }) },
  [`GET ${EXT}/{id}`]: { need: "viewer", params: id((f) => f.extCaId) },
  [`PATCH ${EXT}/{id}`]: { need: "admin", params: id((f) => f.extCaId), body: () => ({ status: "disabled" }) },
  [`DELETE ${EXT}/{id}`]: { need: "admin", params: id((f) => f.spareExtCaId) },
  [`POST ${POL}`]: { need: "admin", body: (f) => ({ projectId: f.projectId, name: "sneaky policy", preset: "tls-server" }) },
  [`GET ${POL}`]: { need: "viewer", query: (f) => ({ projectId: f.projectId }) },
  [`GET ${POL}/{id}`]: { need: "viewer", params: id((f) => f.templateId) },
  [`PATCH ${POL}/{id}`]: { need: "admin", params: id((f) => f.templateId), body: () => ({ description: "sneaky" }) },
  [`DELETE ${POL}/{id}`]: { need: "admin", params: id((f) => f.sparePolicyId) },
  [`GET ${PRO}/slug/{slug}`]: { need: "viewer", params: () => ({ slug: "matrix-acme" }), query: (f) => ({ projectId: f.projectId }) },
  [`GET ${PRO}/{id}/certificates`]: { need: "viewer", params: id((f) => f.profileId) },
  [`GET ${PRO}/{id}/certificates/latest-active-bundle`]: { need: "viewer", params: id((f) => f.profileId) },
  [`GET ${PRO}/{id}/acme/eab-secret/reveal`]: { need: "admin", params: id((f) => f.acmeProfileId) },
  [`POST ${CA}/{id}/crls`]: { need: "admin", params: id((f) => f.rootId) },
  [`GET ${TPL}/presets`]: { need: "any" },
  [`POST ${TPL}`]: { need: "admin", body: (f) => ({ projectId: f.projectId, name: "sneaky template", preset: "tls-server" }) },
  [`GET ${TPL}`]: { need: "viewer", query: (f) => ({ projectId: f.projectId }) },
  [`GET ${TPL}/{id}`]: { need: "viewer", params: id((f) => f.templateId) },
  [`PATCH ${TPL}/{id}`]: { need: "admin", params: id((f) => f.templateId), body: () => ({ description: "sneaky" }) },
  [`DELETE ${TPL}/{id}`]: { need: "admin", params: id((f) => f.spareTemplateId) },
  [`POST ${PRO}`]: { need: "admin", body: (f) => ({ projectId: f.projectId, slug: "sneaky", templateId: f.templateId, caId: f.rootId }) },
  [`GET ${PRO}`]: { need: "viewer", query: (f) => ({ projectId: f.projectId }) },
  [`GET ${PRO}/{id}`]: { need: "viewer", params: id((f) => f.profileId) },
  [`PATCH ${PRO}/{id}`]: { need: "admin", params: id((f) => f.profileId), body: () => ({ description: "sneaky" }) },
  [`DELETE ${PRO}/{id}`]: { need: "admin", params: id((f) => f.spareProfileId) },
  [`POST ${PRO}/{id}/scep/challenge-password`]: { need: "admin", params: id((f) => f.acmeProfileId) },
  ["POST /scep/{profile}/challenge"]: { need: "member", params: (f) => ({ profile: f.acmeProfileId }) },
  [`POST ${PRO}/{id}/acme/eab-keys`]: { need: "admin", params: id((f) => f.acmeProfileId), body: () => ({ description: "sneaky" }) },
  [`GET ${PRO}/{id}/acme/eab-keys`]: { need: "admin", params: id((f) => f.acmeProfileId) },
  [`POST ${PRO}/{id}/acme/eab-keys/{keyId}/revoke`]: { need: "admin", params: (f) => ({ id: f.acmeProfileId, keyId: f.eabKeyId }) },
  [`POST ${PRO}/{id}/est/passphrase`]: { need: "admin", params: id((f) => f.profileId) },
  // Alert rules: project admins only (webhook URLs may carry the receiver's own tokens).
  [`POST ${ALERTS}`]: { need: "admin", params: id((f) => f.projectId), body: () => ({ name: "sneaky rule", events: ["issued"], channel: "webhook", webhookUrl: "http://127.0.0.1:9/sneaky" }) },
  [`GET ${ALERTS}`]: { need: "admin", params: id((f) => f.projectId) },
  [`GET ${ALERTS}/{ruleId}`]: { need: "admin", params: rule },
  [`PATCH ${ALERTS}/{ruleId}`]: { need: "admin", params: rule, body: () => ({ enabled: false }) },
  [`DELETE ${ALERTS}/{ruleId}`]: { need: "admin", params: rule },
  [`GET ${ALERTS}/{ruleId}/deliveries`]: { need: "admin", params: rule, query: () => ({ limit: "5" }) },
  [`POST ${ALERTS}/{ruleId}/test`]: { need: "admin", params: rule },
  [`POST ${CERT}`]: { need: "member", body: (f) => ({ profileId: f.profileId, attributes: { commonName: "matrix.example.com" } }) },
  [`POST ${CERT}/preview`]: { need: "member", body: (f) => ({ profileId: f.profileId, attributes: { commonName: "matrix.example.com" } }) },
  [`GET ${CERT}`]: { need: "viewer", query: (f) => ({ projectId: f.projectId }) },
  [`GET ${CERT}/{id}`]: { need: "viewer", params: id((f) => f.certId) },
  [`GET ${CERT}/{id}/certificate`]: { need: "viewer", params: id((f) => f.certId) },
  [`GET ${CERT}/{id}/bundle`]: { need: "viewer", params: id((f) => f.certId) },
  [`GET ${CERT}/{id}/latest`]: { need: "viewer", params: id((f) => f.certId) },
  [`PATCH ${CERT}/{id}`]: { need: "member", params: id((f) => f.certId), body: () => ({ autoRenew: null }) },
  [`POST ${CERT}/{id}/renew`]: { need: "member", params: id((f) => f.certRenewId), body: () => ({}) },
  [`POST ${CERT}/{id}/revoke`]: { need: "member", params: id((f) => f.certRevokeId), body: () => ({ revocationReason: "SUPERSEDED" }) },
  [`POST ${CERT}/{id}/lift-hold`]: { need: "member", params: id((f) => f.certHoldId) },
  // Private keys need their own permission: admins, or canReadPrivateKeys on the membership.
  [`GET ${CERT}/{id}/private-key`]: { need: "keys", params: id((f) => f.certId) },
  [`POST ${CERT}/{id}/pkcs12`]: { need: "keys", params: id((f) => f.certId), body: () => ({ password: "matrix p12" }) },
  // Infisical's certificate routes (issue 15).
  [`POST ${CERT}/import-certificate`]: { need: "member", body: (f) => ({ projectId: f.projectId, certificatePem: f.leafPem }) },
  [`PATCH ${CERT}/{id}/config`]: { need: "member", params: id((f) => f.certId), body: () => ({ renewBeforeDays: 5 }) },
  [`DELETE ${CERT}/{id}`]: { need: "member", params: id((f) => f.certDeleteId) },
  [`GET /api/v1/cert-manager/certificate-requests/{id}`]: { need: "viewer", params: id((f) => f.certId) },
  [`POST /api/v1/cert-manager/certificate-requests/search`]: { need: "viewer", body: (f) => ({ projectId: f.projectId }) },
  [`POST /api/v1/cert-manager/certificate-requests/{id}/cancel`]: { need: "member", params: id((f) => f.certId) },
  [`POST /api/v1/cert-manager/certificate-requests/{id}/trigger-validation`]: { need: "member", params: id((f) => f.certId) },
  [`GET ${G1}/{serialNumber}`]: { need: "viewer", params: (f) => ({ serialNumber: f.certSerial }) },
  [`GET ${G1}/{serialNumber}/certificate`]: { need: "viewer", params: (f) => ({ serialNumber: f.certSerial }) },
  [`GET ${G1}/{serialNumber}/bundle`]: { need: "viewer", params: (f) => ({ serialNumber: f.certSerial }) },
  [`GET ${G1}/{serialNumber}/private-key`]: { need: "keys", params: (f) => ({ serialNumber: f.certSerial }) },
  [`POST ${G1}/{serialNumber}/revoke`]: { need: "member", params: (f) => ({ serialNumber: f.certG1RevokeSerial }), body: () => ({ revocationReason: "SUPERSEDED" }) },
};

/** Distinctive names of the default project's objects; none may appear in a 404 to an outsider. */
const SECRET_WORDS = ["matrix-template-gnu", "matrix-profile-yak", "kiwi.matrix.example.com", "Matrix Root Zebra", "matrix-root-zebra", "Matrix Pending Okapi", "matrix-pending-okapi", "matrix-identity-lynx", "matrix-viewer@example.com", "matrix-member@example.com"];

let db: Awaited<ReturnType<typeof freshDatabase>>;
let s: TestServer;
let f: Fixture;
let expiredToken: string;
const tokens: Record<"viewer" | "viewerIdentity" | "member" | "otherAdmin", string> = {} as never;
const relogin: Partial<Record<keyof typeof tokens, () => Promise<string>>> = {};
let docRoutes: { key: string; method: string; path: string }[];

async function login(email: string, password: string) {
  const r = await s.api("POST", "/api/v1/auth/login", { body: { email, password } });
  if (r.status !== 200) throw new Error(`login ${email}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body.accessToken as string;
}

async function ok<T = any>(r: Promise<{ status: number; body: T }>, what: string): Promise<T> {
  const res = await r;
  if (res.status !== 200) throw new Error(`setup ${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

beforeAll(async () => {
  db = await freshDatabase();
  // A server whose clock runs two hours behind issues tokens that expired an hour ago; the
  // token HMAC key lives in the shared database, so the real server checks their signature
  // and only the expiry can fail.
  const past = await startServer({ db, rt: { clock: () => new Date(Date.now() - 2 * 3600_000) } });
  expiredToken = past.adminToken;
  await past.close();
  s = await startServer({ db, args: ["--egress-allow", "127.0.0.1"] }); // the alert rules' receivers are on 127.0.0.1
  const t = s.adminToken;
  const pw = "matrix password 123";

  const root = await ok(s.api("POST", CA, { token: t, body: { projectId: s.defaultProjectId, name: "matrix-root-zebra", configuration: { type: "root", commonName: "Matrix Root Zebra", keyAlgorithm: "EC_prime256v1", maxPathLength: 2 } } }), "root CA");
  const pending = await ok(s.api("POST", CA, { token: t, body: { projectId: s.defaultProjectId, name: "matrix-pending-okapi", configuration: { type: "intermediate", commonName: "Matrix Pending Okapi", keyAlgorithm: "EC_prime256v1" } } }), "pending CA");
  const csr = await ok(s.api("GET", `${CA}/${pending.id}/csr`, { token: t }), "csr");
  const rootCert = await ok(s.api("GET", `${CA}/${root.id}/certificate`, { token: t }), "root certificate");

  const identity = (await ok(s.api("POST", "/api/v1/identities", { token: t, body: { projectId: s.defaultProjectId, name: "matrix-identity-lynx", role: "viewer" } }), "identity")).identity;
  const secret = await ok(s.api("POST", `/api/v1/identities/${identity.id}/universal-auth/client-secrets`, { token: t, body: { description: "matrix" } }), "client secret");

  for (const [email, role] of [["matrix-viewer@example.com", "viewer"], ["matrix-member@example.com", "member"], ["matrix-other-admin@example.com", null]] as const) {
    await ok(s.api("POST", "/api/v1/users", { token: t, body: { email, password: pw } }), `user ${email}`);
    if (role) await ok(s.api("POST", `/api/v1/projects/${s.defaultProjectId}/memberships`, { token: t, body: { email, role } }), `membership ${email}`);
  }
  const members = (await ok(s.api("GET", `/api/v1/projects/${s.defaultProjectId}/memberships`, { token: t }), "memberships")).memberships;
  tokens.viewer = await login("matrix-viewer@example.com", pw);
  tokens.member = await login("matrix-member@example.com", pw);
  tokens.otherAdmin = await login("matrix-other-admin@example.com", pw);
  const ua = await ok(s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: identity.clientId, clientSecret: secret.clientSecret } }), "identity login");
  tokens.viewerIdentity = ua.accessToken;
  relogin.viewer = () => login("matrix-viewer@example.com", pw);
  relogin.member = () => login("matrix-member@example.com", pw);
  relogin.viewerIdentity = async () => (await ok(s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId: identity.clientId, clientSecret: secret.clientSecret } }), "identity login")).accessToken;
  // Only server admins create projects (the default): the admin makes one for the other admin.
  const other = (await ok(s.api("POST", "/api/v1/projects", { token: t, body: { name: "elsewhere" } }), "other project")).project;
  await ok(s.api("POST", `/api/v1/projects/${other.id}/memberships`, { token: t, body: { email: "matrix-other-admin@example.com", role: "admin" } }), "other admin");

  const tpl = (await ok(s.api("POST", TPL, { token: t, body: { projectId: s.defaultProjectId, name: "matrix-template-gnu", preset: "tls-server" } }), "template")).certificateTemplate;
  const spareTpl = (await ok(s.api("POST", TPL, { token: t, body: { projectId: s.defaultProjectId, name: "matrix-spare-template", preset: "tls-client" } }), "spare template")).certificateTemplate;
  const profile = (await ok(s.api("POST", PRO, { token: t, body: { projectId: s.defaultProjectId, slug: "matrix-profile-yak", templateId: tpl.id, caId: root.id } }), "profile")).certificateProfile;
  const spareProfile = (await ok(s.api("POST", PRO, { token: t, body: { projectId: s.defaultProjectId, slug: "matrix-spare-profile", templateId: tpl.id, caId: root.id } }), "spare profile")).certificateProfile;
  const ring = parseKeyring(await readFile(s.config.rootKeyFile, "utf8"), s.config.rootKeyFile);
  const externalCa = async (name: string) => {
    const extId = crypto.randomUUID();
    const secretsSealed = seal(ring, Buffer.from(JSON.stringify({ accountKey: "not used by these routes" })), secretsAad(extId));
    await s.server.store.external.insertCa({ id: extId, projectId: s.defaultProjectId, name, status: "disabled", configuration: { directoryUrl: "https://acme.invalid/directory", accountEmail: "ops@example.com", eabKid: null, dnsSolver: { type: "hook", hook: "none" }, trustBundle: null, propagationTimeoutSeconds: 60 }, secretsSealed, accountUrl: "https://acme.invalid/acct/1", at: new Date() });
    return extId;
  };
  const issueFull = async (cn: string) => (await ok(s.api("POST", CERT, { token: t, body: { profileId: profile.id, attributes: { commonName: cn } } }), `certificate ${cn}`)).certificate as { certificateId: string; serialNumber: string; certificate: string };
  const issue = async (cn: string) => (await issueFull(cn)).certificateId;
  const certHoldId = await issue("hold.matrix.example.com");
  const acmeProfile = (await ok(s.api("POST", PRO, { token: t, body: { projectId: s.defaultProjectId, slug: "matrix-acme", templateId: tpl.id, caId: root.id, enrollmentMethods: ["api", "acme", "scep"] } }), "acme profile")).certificateProfile;
  const eabKey = (await ok(s.api("POST", `${PRO}/${acmeProfile.id}/acme/eab-keys`, { token: t, body: {} }), "eab key")).eabKey;
  await ok(s.api("POST", `${CERT}/${certHoldId}/revoke`, { token: t, body: { revocationReason: "CERTIFICATE_HOLD" } }), "hold");
  const alertRule = (await ok(s.api("POST", `/api/v1/projects/${s.defaultProjectId}/alert-rules`, { token: t, body: { name: "matrix-rule", events: ["expiration"], channel: "webhook", webhookUrl: "http://127.0.0.1:9/matrix" } }), "alert rule")).alertRule;

  f = {
    projectId: s.defaultProjectId,
    adminUserId: (await ok(s.api("GET", "/api/v1/auth/me", { token: t }), "me")).id,
    otherProjectId: other.id,
    rootId: root.id,
    pendingId: pending.id,
    identityId: identity.id,
    secretId: secret.clientSecretData.id,
    memberMembershipId: members.find((m: { email?: string }) => m.email === "matrix-member@example.com").id,
    pendingCsr: csr.csr,
    rootCertificate: rootCert.certificate,
    templateId: tpl.id,
    spareTemplateId: spareTpl.id,
    sparePolicyId: (await ok(s.api("POST", POL, { token: t, body: { projectId: s.defaultProjectId, name: "matrix-spare-policy", preset: "tls-client" } }), "spare policy")).certificatePolicy.id,
    profileId: profile.id,
    spareProfileId: spareProfile.id,
    ...(await (async () => {
      const kiwi = await issueFull("kiwi.matrix.example.com");
      return { certId: kiwi.certificateId, certSerial: kiwi.serialNumber, leafPem: kiwi.certificate };
    })()),
    certDeleteId: await issue("delete.matrix.example.com"),
    extCaId: await externalCa("matrix-public-ca"),
    spareExtCaId: await externalCa("matrix-spare-public-ca"),
    certG1RevokeSerial: (await issueFull("g1-revoke.matrix.example.com")).serialNumber,
    certRenewId: await issue("renew.matrix.example.com"),
    certRevokeId: await issue("revoke.matrix.example.com"),
    certHoldId,
    acmeProfileId: acmeProfile.id,
    eabKeyId: eabKey.keyId,
    alertRuleId: alertRule.id,
  };

  const doc = await s.api("GET", "/api/docs/json");
  if (doc.status !== 200) throw new Error(`GET /api/docs/json: ${doc.status}`);
  docRoutes = Object.entries<Record<string, unknown>>(doc.body.paths).flatMap(([p, ops]) =>
    Object.keys(ops)
      .filter((m) => ["get", "post", "put", "patch", "delete"].includes(m))
      .map((m) => ({ key: `${m.toUpperCase()} ${p}`, method: m.toUpperCase(), path: p })),
  );
});

afterAll(async () => {
  await s?.close();
  await db?.drop();
});

/** The concrete request for a MATRIX route. */
function request(key: string) {
  const c = MATRIX[key];
  const [method, template] = key.split(" ");
  const params = c.params?.(f) ?? {};
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`${key}: no value for path parameter ${name}`);
    return encodeURIComponent(params[name]);
  });
  const q = c.query?.(f);
  return { method, path: q ? `${path}?${new URLSearchParams(q)}` : path, body: c.body?.(f) };
}

async function call(key: string, token: string | null) {
  const r = request(key);
  return s.api(r.method, r.path, { token, body: r.body });
}

function isProblem(res: { headers: Headers; body: any }, status: number) {
  return (res.headers.get("content-type") ?? "").startsWith("application/problem+json") && res.body?.status === status;
}

/** Checks a response against the expected status; the message names the route and the caller. */
function expectStatus(res: { status: number; body: unknown; headers: Headers }, want: number, key: string, who: string) {
  const detail = `${who} → ${key}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  expect(res.status, detail).toBe(want);
  if (want >= 400) expect(isProblem(res, want), `${detail} (not problem+json)`).toBe(true);
}

describe("coverage: the matrix walks every route of the OpenAPI document", () => {
  it("every documented route is public or in MATRIX", () => {
    expect(docRoutes.length).toBeGreaterThan(20);
    const unhandled = docRoutes.filter((r) => !PUBLIC.has(r.key) && !(r.key in MATRIX)).map((r) => r.key);
    expect(unhandled, "routes with no authz expectation; add them to MATRIX (or PUBLIC)").toEqual([]);
  });
  it("MATRIX names no route the server no longer has", () => {
    const documented = new Set(docRoutes.map((r) => r.key));
    expect(Object.keys(MATRIX).filter((k) => !documented.has(k))).toEqual([]);
  });
  it("the public routes answer without a token", async () => {
    const der = await s.api("GET", `/api/v1/cert-manager/ca-certificates/${(await s.api("GET", `${CA}/${f.rootId}`, { token: s.adminToken })).body.configuration.activeCaCertId}/der`);
    expect(der.status).toBe(200);
    for (const p of ["/healthz", "/readyz", "/api/docs/json"]) expect((await s.api("GET", p)).status, p).toBe(200);
  });
});

describe("no token and expired token → 401 problem+json", () => {
  it("no token: every non-public route answers 401", async () => {
    for (const key of Object.keys(MATRIX)) expectStatus(await call(key, null), 401, key, "no token");
  });
  it("expired token: every documented non-public route answers 401 (also with made-up ids, no body)", async () => {
    const dummy = "00000000-0000-4000-8000-000000000000";
    for (const r of docRoutes.filter((x) => !PUBLIC.has(x.key))) {
      const res = await s.api(r.method, r.path.replace(/\{\w+\}/g, dummy), { token: expiredToken });
      expectStatus(res, 401, r.key, "expired token");
      expect(res.headers.get("www-authenticate"), r.key).toMatch(/^Bearer/);
    }
  });
  it("expired token: also with the real request", async () => {
    for (const key of Object.keys(MATRIX)) expectStatus(await call(key, expiredToken), 401, key, "expired token");
  });
  it("a token with a forged signature or garbage answers 401", async () => {
    const [head, body] = s.adminToken.split(".");
    for (const bad of [`${head}.${body}.AAAA`, "garbage", `${s.adminToken}x`]) {
      expectStatus(await s.api("GET", "/api/v1/auth/me", { token: bad }), 401, "GET /api/v1/auth/me", `token ${bad.slice(0, 20)}…`);
    }
  });
});

describe("members below the role: 200 on reads they may make, 403 on the rest", () => {
  const expected = (c: RouteCase, who: "viewer" | "viewerIdentity" | "member") =>
    c.need === "any" || c.need === "viewer" || (c.need === "user" && who !== "viewerIdentity") || (c.need === "member" && who === "member") ? (c.okStatus ?? 200) : 403;
  for (const who of ["viewer", "viewerIdentity", "member"] as const) {
    it(`${who}`, async () => {
      for (const [key, c] of Object.entries(MATRIX)) {
        expectStatus(await call(key, tokens[who]), expected(c, who), key, who);
        if (c.revokes) {
          expectStatus(await s.api("GET", "/api/v1/auth/me", { token: tokens[who] }), 401, "GET /api/v1/auth/me after logout", who);
          tokens[who] = await relogin[who]!();
        }
      }
    });
  }
});

describe("admin of another project: 404 for everything in the default project, and no leak", () => {
  it("every project-scoped route answers 404 without naming the object", async () => {
    for (const [key, c] of Object.entries(MATRIX)) {
      if (c.need === "any" || c.need === "user" || c.need === "server-admin") continue;
      const res = await call(key, tokens.otherAdmin);
      expectStatus(res, 404, key, "other project's admin");
      const text = JSON.stringify(res.body);
      for (const w of SECRET_WORDS) expect(text.includes(w), `${key} leaks "${w}": ${text}`).toBe(false);
    }
  });
  it("routes that are not project-scoped do not show the default project", async () => {
    expectStatus(await call("POST /api/v1/users", tokens.otherAdmin), 403, "POST /api/v1/users", "other project's admin");
    expectStatus(await call("POST /api/v1/users/{id}/revoke-tokens", tokens.otherAdmin), 403, "POST /api/v1/users/{id}/revoke-tokens", "other project's admin");
    const list = await s.api("GET", "/api/v1/projects", { token: tokens.otherAdmin });
    expect(list.status).toBe(200);
    expect(list.body.projects.map((p: { id: string }) => p.id)).not.toContain(f.projectId);
    const me = await s.api("GET", "/api/v1/auth/me", { token: tokens.otherAdmin });
    expect(me.body.label).toBe("matrix-other-admin@example.com");
  });
  it("listing CAs with ?projectId=<default project> answers 404", async () => {
    const res = await s.api("GET", `${CA}?projectId=${f.projectId}`, { token: tokens.otherAdmin });
    expectStatus(res, 404, `GET ${CA}?projectId=<default>`, "other project's admin");
    expect(JSON.stringify(res.body)).not.toContain("matrix-root-zebra");
  });
  it("references from its own project to the default project's objects are unknown, not forbidden", async () => {
    const child = await s.api("POST", CA, { token: tokens.otherAdmin, body: { projectId: f.otherProjectId, name: "child", configuration: { type: "intermediate", commonName: "Child", keyAlgorithm: "EC_prime256v1", parentCaId: f.rootId } } });
    expect(child.status, JSON.stringify(child.body)).toBe(422);
    expect(child.body.violations.map((v: { code: string }) => v.code)).toEqual(["unknown_parent"]);
    expect(JSON.stringify(child.body)).not.toContain("Zebra");
    const add = await s.api("POST", `/api/v1/projects/${f.otherProjectId}/memberships`, { token: tokens.otherAdmin, body: { identityId: f.identityId, role: "viewer" } });
    expect(add.status, JSON.stringify(add.body)).toBe(422);
    expect(add.body.violations[0].code).toBe("unknown_identity");
    expect(JSON.stringify(add.body)).not.toContain("lynx");
  });
});

describe("every refusal is audited (issue 14 finding 6)", () => {
  type Entry = { action: string; actorId: string; outcome: string; projectId: string | null; objectType: string; objectId: string | null; detail: Record<string, unknown> };
  /** The whole log through the server admin's view, newest first. */
  async function wholeLog(): Promise<Entry[]> {
    const all: Entry[] = [];
    let cursor = "";
    for (let i = 0; i < 100; i++) {
      const r = await s.api("GET", `/api/v1/audit-log?limit=500&outcome=denied${cursor ? `&cursor=${cursor}` : ""}`, { token: s.adminToken });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      all.push(...r.body.auditLogs);
      if (!r.body.nextCursor) return all;
      cursor = r.body.nextCursor;
    }
    throw new Error("too many pages");
  }
  const fastifyRoute = (key: string) => key.replace(/\{(\w+)\}/g, ":$1");

  it("each 403 a member got left one denied entry: in the project's log for project routes, server-wide otherwise", async () => {
    const log = await wholeLog();
    for (const who of ["viewer", "viewerIdentity", "member"] as const) {
      const me = (await s.api("GET", "/api/v1/auth/me", { token: tokens[who] })).body.id as string;
      for (const [key, c] of Object.entries(MATRIX)) {
        const refused = !(c.need === "any" || c.need === "viewer" || (c.need === "user" && who !== "viewerIdentity") || (c.need === "member" && who === "member"));
        const hits = log.filter((e) => e.actorId === me && e.action === fastifyRoute(key));
        if (!refused) {
          expect(hits, `${who} → ${key} was allowed but audited as denied`).toEqual([]);
          continue;
        }
        expect(hits.length, `${who} → ${key}: no denied entry`).toBeGreaterThanOrEqual(1);
        const projectScoped = !["any", "user", "server-admin"].includes(c.need);
        for (const e of hits) expect(e.projectId, `${who} → ${key}`).toBe(projectScoped ? f.projectId : null);
      }
    }
    // The entries name the object: the member's refused CA delete and private-key read.
    const member = (await s.api("GET", "/api/v1/auth/me", { token: tokens.member })).body.id;
    const del = log.find((e) => e.actorId === member && e.action === `DELETE ${CA}/:id`)!;
    expect(del).toMatchObject({ objectType: "ca", objectId: f.rootId, detail: { need: "admin", role: "member" } });
    const key = log.find((e) => e.actorId === member && e.action === `GET ${CERT}/:id/private-key`)!;
    expect(key).toMatchObject({ objectType: "certificate", objectId: f.certId, detail: { need: "canReadPrivateKeys", role: "member" } });
    // A project admin sees them in the project's own log.
    const project = await s.api("GET", `/api/v1/projects/${f.projectId}/audit-logs?limit=500&outcome=denied&actorId=${member}`, { token: s.adminToken });
    expect(project.body.auditLogs.map((e: Entry) => e.action)).toContain(`POST /api/v1/projects/:id/memberships`);
  });

  it("an outsider's 404s are audited server-wide only, never in the project's log", async () => {
    const other = (await s.api("GET", "/api/v1/auth/me", { token: tokens.otherAdmin })).body.id;
    const log = (await wholeLog()).filter((e) => e.actorId === other);
    const routes = Object.entries(MATRIX).filter(([, c]) => !["any", "user", "server-admin"].includes(c.need));
    for (const [key] of routes) {
      const hit = log.find((e) => e.action === fastifyRoute(key));
      expect(hit, `outsider → ${key}: no server-wide entry`).toBeDefined();
      expect(hit!.projectId).toBeNull();
      expect(hit!.detail).toMatchObject({ projectId: f.projectId, reason: "not a member of the project" });
    }
    const project = await s.api("GET", `/api/v1/projects/${f.projectId}/audit-logs?limit=500&actorId=${other}`, { token: s.adminToken });
    expect(project.body.auditLogs).toEqual([]);
  });
});

describe("nothing changed", () => {
  it("the default project's objects are as the admin made them", async () => {
    const t = s.adminToken;
    const cas = await s.api("GET", `${CA}?projectId=${f.projectId}`, { token: t });
    expect(cas.body.map((c: { name: string; status: string }) => `${c.name}:${c.status}`).sort()).toEqual(["matrix-pending-okapi:pending-certificate", "matrix-root-zebra:active"]);
    const versions = await s.api("GET", `${CA}/${f.rootId}/ca-certificates`, { token: t });
    expect(versions.body).toHaveLength(1);
    const members = await s.api("GET", `/api/v1/projects/${f.projectId}/memberships`, { token: t });
    expect(members.body.memberships.map((m: { email?: string; identityName?: string; role: string }) => `${m.email ?? m.identityName}:${m.role}`).sort()).toEqual(
      ["admin@example.com:admin", "matrix-identity-lynx:viewer", "matrix-member@example.com:member", "matrix-viewer@example.com:viewer"].sort(),
    );
    const identities = await s.api("GET", `/api/v1/projects/${f.projectId}/identities`, { token: t });
    expect(identities.body.identities.map((i: { name: string }) => i.name)).toEqual(["matrix-identity-lynx"]);
    const secrets = await s.api("GET", `/api/v1/identities/${f.identityId}/universal-auth/client-secrets`, { token: t });
    expect(secrets.body.clientSecretData.map((x: { revokedAt: string | null }) => x.revokedAt)).toEqual([null]);
    // Audit: the refused attempts left no successful change behind (logins aside).
    const log = await s.api("GET", `/api/v1/projects/${f.projectId}/audit-logs?limit=500&outcome=success`, { token: t });
    const admin = (await s.api("GET", "/api/v1/auth/me", { token: t })).body.id;
    const member = (await s.api("GET", "/api/v1/auth/me", { token: tokens.member })).body.id;
    const changes = log.body.auditLogs.filter((e: { action: string; actorId: string }) => !e.action.startsWith("auth.") && e.actorId !== admin);
    // Only the member changed anything, and only what members may: certificates (and a one-time SCEP challenge).
    expect(changes.map((e: { actorId: string; action: string }) => `${e.actorId === member ? "member" : e.actorId}:${e.action}`).sort()).toEqual(
      ["member:certificate.auto-renew", "member:certificate.auto-renew", "member:certificate.delete", "member:certificate.import", "member:certificate.issue", "member:certificate.lift-hold", "member:certificate.renew", "member:certificate.revoke", "member:certificate.revoke", "member:scep.challenge.create"],
    );
  });
});
