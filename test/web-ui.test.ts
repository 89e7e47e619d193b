import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Locator, Page } from "playwright-core";
import { ADMIN_EMAIL, ADMIN_PASSWORD, dbKind, startServer, type TestServer } from "./helpers/harness.js";
import { buildWebUi, launchChromium } from "./helpers/browser.js";

const CA = "/api/v1/cert-manager/ca/internal";
const TEMPLATES = "/api/v1/cert-manager/certificate-templates";
const PROFILES = "/api/v1/cert-manager/certificate-profiles";
const CERTS = "/api/v1/cert-manager/certificates";

/** Waits until `where` holds `text` (playwright-core has no expect of its own). */
async function shows(where: Locator, text: string | RegExp) {
  await where.filter({ hasText: text }).first().waitFor();
}

// One server and one browser for the file; the UI is the same over either store, so it runs on PGlite only.
describe.skipIf(dbKind !== "pglite")("web UI in Chromium", () => {
  let s: TestServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let profileId: string;

  beforeAll(async () => {
    buildWebUi();
    [s, browser] = await Promise.all([startServer({ tls: true }), launchChromium()]);
    const t = s.adminToken;
    const p = s.defaultProjectId;
    const root = await s.api("POST", CA, { token: t, body: { projectId: p, name: "ui-root", configuration: { type: "root", commonName: "UI Root", keyAlgorithm: "EC_prime256v1" } } });
    const tpl = await s.api("POST", TEMPLATES, { token: t, body: { projectId: p, name: "ui-tls", preset: "tls-server", subject: [{ type: "common_name", allowed: ["*.acme.com"] }], sans: [{ type: "dns_name", allowed: ["*.acme.com"] }], validity: { max: "1y" } } });
    const prof = await s.api("POST", PROFILES, { token: t, body: { projectId: p, slug: "ui-web", templateId: tpl.body.certificateTemplate.id, caId: root.body.id, defaults: { ttl: "90d" } } });
    profileId = prof.body.certificateProfile.id;
    const issued = await s.api("POST", CERTS, { token: t, body: { profileId, attributes: { commonName: "api-seeded.acme.com", altNames: [{ type: "dns_name", value: "api-seeded.acme.com" }] } } });
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
  });

  async function login(next = "/") {
    await page.goto(s.url + next);
    await page.waitForURL(/\/login/);
    await page.getByLabel("Email").fill(ADMIN_EMAIL);
    await page.getByLabel(/^Password/).fill(ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
  }

  it("a wrong password shows the server's refusal; the right one opens the dashboard", async () => {
    await page.goto(s.url + "/");
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel("Email").fill(ADMIN_EMAIL);
    await page.getByLabel(/^Password/).fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await shows(page.getByRole("alert"), /password/i);
    await page.getByLabel(/^Password/).fill(ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(new RegExp(`/p/${s.defaultProjectId}$`));
  });

  it("the session cookie is HttpOnly, Secure, SameSite=Strict, scoped to /api, and page script cannot read it", async () => {
    const cookies = await ctx.cookies(s.url + "/api/");
    const session = cookies.find((c) => c.name === "stamp_session");
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/api" });
    const seen = await page.evaluate(() => ({ cookie: document.cookie, storage: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }) }));
    expect(seen.cookie).not.toContain("stamp_session");
    expect(seen.storage).not.toContain(session!.value.slice(0, 20));
    expect(seen.session).not.toContain(session!.value.slice(0, 20));
  });

  it("a cookie-authenticated change without the CSRF header is refused; with a Bearer token it is not needed", async () => {
    const r = await page.evaluate(async (projectId) => {
      const res = await fetch("/api/v1/projects", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "csrf-" + projectId.slice(0, 4) }) });
      return { status: res.status, body: await res.json() };
    }, s.defaultProjectId);
    expect(r.status).toBe(403);
    expect(r.body.detail).toContain("x-stamp-csrf");
    const read = await page.evaluate(async () => (await fetch("/api/v1/auth/me")).status);
    expect(read).toBe(200);
    const bearer = await s.api("POST", "/api/v1/projects", { token: s.adminToken, body: { name: "bearer-no-csrf" } });
    expect(bearer.status).toBe(200);
  });

  it("the certificate list shows the certificates in the store and finds one by search", async () => {
    await page.getByRole("link", { name: "Certificates", exact: true }).click();
    await shows(page.getByRole("table", { name: "Certificates" }), "api-seeded.acme.com");
    await page.getByLabel("Search").fill("nothing-like-this");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByText(/No certificate matches/).waitFor();
  });

  it("when the session ends, the user signs in again and returns to the page they were on", async () => {
    await page.goto(`${s.url}/p/${s.defaultProjectId}/certificates?status=active`);
    await page.getByRole("table", { name: "Certificates" }).waitFor();
    // End every session of the admin on the server, as an expiry or a revocation would.
    const me = await s.api("GET", "/api/v1/auth/me", { token: s.adminToken });
    const ended = await s.api("POST", `/api/v1/users/${me.body.id}/revoke-tokens`, { token: s.adminToken });
    expect(ended.status).toBe(204);
    const fresh = await s.api("POST", "/api/v1/auth/login", { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
    s.adminToken = fresh.body.accessToken;
    await page.reload();
    await page.waitForURL(/\/login\?next=/);
    await page.getByLabel("Email").fill(ADMIN_EMAIL);
    await page.getByLabel(/^Password/).fill(ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(new RegExp(`/p/${s.defaultProjectId}/certificates\\?status=active$`));
    await shows(page.getByRole("table", { name: "Certificates" }), "api-seeded.acme.com");
  });

  it("logout ends the session on the server, not only in the browser", async () => {
    const token = (await ctx.cookies(s.url + "/api/")).find((c) => c.name === "stamp_session")!.value;
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login$/);
    expect((await ctx.cookies(s.url + "/api/")).find((c) => c.name === "stamp_session")).toBeUndefined();
    const after = await s.api("GET", "/api/v1/auth/me", { token });
    expect(after.status).toBe(401);
  });

  it("serves the UI with a strict CSP, hashed assets cached for good, and problem+json for unknown API paths", async () => {
    const page2 = await s.api("GET", "/p/anything", { headers: { accept: "text/html" } });
    expect(page2.status).toBe(200);
    expect(page2.headers.get("content-security-policy")).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(page2.body)![1];
    const js = await s.api("GET", asset);
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    const api404 = await s.api("GET", "/api/v1/nothing-here", { headers: { accept: "text/html" } });
    expect(api404.status).toBe(404);
    expect(api404.headers.get("content-type")).toMatch(/problem\+json/);
  });
});
