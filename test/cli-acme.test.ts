import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runStamp } from "./helpers/cli-run.js";
import { ADMIN_EMAIL, ADMIN_PASSWORD, startServer, type TestServer } from "./helpers/harness.js";

let s: TestServer;
let dir: string;
let config: string;
beforeAll(async () => {
  s = await startServer();
  dir = mkdtempSync(path.join(os.tmpdir(), "stamp-cli-acme-"));
  config = path.join(dir, "session.json");
  const t = s.adminToken;
  const p = s.defaultProjectId;
  const root = await s.api("POST", "/api/v1/cert-manager/ca/internal", { token: t, body: { projectId: p, name: "cli-acme-root", configuration: { type: "root", commonName: "CLI ACME Root", keyAlgorithm: "EC_prime256v1" } } });
  const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: "cli-acme", preset: "tls-server" } });
  await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug: "web", templateId: tpl.body.certificateTemplate.id, caId: root.body.id, enrollmentMethods: ["api", "acme"] } });
  await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug: "api-only", templateId: tpl.body.certificateTemplate.id, caId: root.body.id } });
  const login = await runStamp(["login", "--server", s.url, "--email", ADMIN_EMAIL, "--password-stdin"], { config, stdin: `${ADMIN_PASSWORD}\n` });
  if (login.code !== 0) throw new Error(login.stderr);
});
afterAll(async () => {
  await s?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("stamp acme eab-*", () => {
  it("ok/ create prints the directory, key id and HMAC key once; list shows the key without it; revoke", async () => {
    const made = await runStamp(["acme", "eab-create", "--profile", "web", "--description", "ci runner"], { config });
    expect(made.code, made.stderr).toBe(0);
    const kid = /key id:\s+(\S+)/.exec(made.stdout)![1];
    const hmac = /hmac key:\s+(\S+)/.exec(made.stdout)![1];
    expect(made.stdout).toMatch(/directory:\s+http:\/\/127\.0\.0\.1:1\/api\/v1\/cert-manager\/acme\/profiles\/[0-9a-f-]{36}\/directory/);
    expect(hmac).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const list = await runStamp(["acme", "eab-list", "--profile", "web", "--json"], { config });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(kid);
    expect(list.stdout).not.toContain(hmac);
    const revoked = await runStamp(["acme", "eab-revoke", kid, "--profile", "web"], { config });
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(JSON.parse((await runStamp(["acme", "eab-list", "--profile", "web", "--json"], { config })).stdout).eabKeys[0].revokedAt).not.toBeNull();
  });
  it("fail/ a profile without ACME: exit 1 with a clear line; an unknown profile: exit 4", async () => {
    const noAcme = await runStamp(["acme", "eab-create", "--profile", "api-only"], { config });
    expect(noAcme.code).toBe(1);
    expect(noAcme.stderr).toContain("does not enable ACME");
    const unknown = await runStamp(["acme", "eab-create", "--profile", "nope"], { config });
    expect(unknown.code).toBe(4);
  });
});
