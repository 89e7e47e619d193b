import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { ADMIN_EMAIL, ADMIN_PASSWORD, dbKind, startServer, type TestServer } from "./helpers/harness.js";
import { buildWebUi, launchChromium } from "./helpers/browser.js";
import { accessibilityProblems, choose, downloaded, input, pick, screenshots, shows, signIn } from "./helpers/web-ui.js";
import { openssl, verifyChain } from "./helpers/openssl.js";

const CERTS = "/api/v1/cert-manager/certificates";

/** Types `value` into the TagsInput labelled `label` and presses Enter. */
async function tag(page: Page, label: string, value: string): Promise<void> {
  await input(page, label).fill(value);
  await input(page, label).press("Enter");
}

/** A key and CSR made by `openssl req`. */
function opensslCsr(cn: string, dir: string, ext = `subjectAltName=DNS:${cn}`): string {
  execFileSync("openssl", ["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", path.join(dir, `${cn}.key`), "-out", path.join(dir, `${cn}.csr`), "-subj", `/CN=${cn}`, "-addext", ext], { stdio: "ignore" });
  return readFileSync(path.join(dir, `${cn}.csr`), "utf8");
}

// One server and one browser for the file; the UI is the same over either store, so it runs on PGlite only.
describe.skipIf(dbKind !== "pglite")("web UI in Chromium", () => {
  let s: TestServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let page: Page;
  let dir: string;
  let P: string; // the default project's base path in the UI
  const ids: { root?: string; generated?: string; fromCsr?: string } = {};
  const pageErrors: string[] = [];

  /** Runs `fn` on a page of a second browser context signed in as `email` at `path`; the context is closed after. */
  async function asUser(email: string, password: string, path: string, fn: (p: Page) => Promise<void>): Promise<void> {
    const other = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    try {
      const p = await other.newPage();
      p.setDefaultTimeout(15_000);
      await p.goto(P + path);
      await signIn(p, email, password);
      await fn(p);
    } finally {
      await other.close();
    }
  }

  beforeAll(async () => {
    buildWebUi();
    dir = mkdtempSync(path.join(os.tmpdir(), "webui-test-"));
    [s, browser] = await Promise.all([startServer({ tls: true, args: ["--egress-allow", "127.0.0.1"] }), launchChromium()]);
    P = `${s.url}/p/${s.defaultProjectId}`;
    ctx = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 800 } });
    page = await ctx.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (e) => pageErrors.push(e.message));
    // STAMP_UI_CPU_THROTTLE=4: the page runs 4× slower, which brings out races between the test and the UI.
    const slow = Number(process.env.STAMP_UI_CPU_THROTTLE ?? 1);
    if (slow > 1) await (await ctx.newCDPSession(page)).send("Emulation.setCPUThrottlingRate", { rate: slow });
  });
  afterAll(async () => {
    await browser?.close();
    await s?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("a wrong password shows the server's refusal; the right one opens the dashboard", async () => {
    await page.goto(s.url + "/");
    await page.waitForURL(/\/login\?next=/);
    await signIn(page, ADMIN_EMAIL, "not the password");
    await shows(page.getByRole("alert"), /password/i);
    await page.getByLabel(/^Password/).fill(ADMIN_PASSWORD);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL(new RegExp(`/p/${s.defaultProjectId}$`));
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  });

  it("the session cookie is HttpOnly, Secure, SameSite=Strict, scoped to /api, and page script cannot read it", async () => {
    const session = (await ctx.cookies(s.url + "/api/")).find((c) => c.name === "stamp_session");
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: "Strict", path: "/api" });
    const seen = await page.evaluate(() => ({ cookie: document.cookie, storage: JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) }));
    expect(seen.cookie).not.toContain("stamp_session");
    expect(seen.storage).not.toContain(session!.value.slice(0, 20));
  });

  it("a cookie-authenticated change without the CSRF header is refused; Bearer clients need no header", async () => {
    const r = await page.evaluate(async () => {
      const res = await fetch("/api/v1/projects", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name: "csrf-attempt" }) });
      return { status: res.status, body: await res.json() };
    });
    expect(r.status).toBe(403);
    expect(r.body.detail).toContain("x-stamp-csrf");
    expect(await page.evaluate(async () => (await fetch("/api/v1/auth/me")).status)).toBe(200);
    const bearer = await s.api("POST", "/api/v1/projects", { token: s.adminToken, body: { name: "bearer-no-csrf" } });
    expect(bearer.status).toBe(200);
  });

  it("the seed's guide: root and intermediate CA, template, profile, all through the UI", async () => {
    await page.getByRole("link", { name: "Certificate authorities" }).click();
    await page.getByText(/no CA yet/).waitFor();
    await page.getByRole("link", { name: "Create a CA" }).click();
    await page.getByLabel(/^Name/).fill("Acme Root");
    await page.getByLabel(/^Common name/).fill("Acme Root CA");
    await page.getByRole("button", { name: "Create CA" }).click();
    await page.getByRole("heading", { name: "Acme Root" }).waitFor();
    ids.root = page.url().split("/").pop();
    await page.getByRole("link", { name: "Create an intermediate under it" }).click();
    await page.getByLabel(/^Name/).fill("Acme Issuing");
    await page.getByLabel(/^Common name/).fill("Acme Issuing CA");
    await choose(page, /^Key algorithm/, "ECDSA P-384");
    await page.getByRole("button", { name: "Create CA" }).click();
    await page.getByRole("heading", { name: "Acme Issuing" }).waitFor();
    await shows(page.locator("main"), "secp384r1");

    await page.getByRole("link", { name: "Templates" }).click();
    await page.getByRole("button", { name: "Create a template" }).first().click();
    await page.getByLabel(/^Name/).fill("tls-acme");
    await page.getByRole("button", { name: "Add a subject rule" }).click();
    await tag(page, "Subject rule 1 allowed", "*.acme.com");
    await page.getByRole("button", { name: "Add a SAN rule" }).click();
    await tag(page, "SAN rule 1 allowed", "*.acme.com");
    await page.getByLabel(/^Maximum lifetime/).fill("1y");
    await page.getByRole("button", { name: "Create template" }).click();
    await shows(page.getByRole("table", { name: "Templates" }), "lifetime at most 1y");

    await page.getByRole("link", { name: "Profiles" }).click();
    await page.getByRole("button", { name: "Create a profile" }).first().click();
    await page.getByLabel(/^Slug/).fill("web");
    await choose(page, /^Template/, "tls-acme");
    await choose(page, /^Issuer/, "Acme Issuing");
    await page.getByLabel(/^Default lifetime/).fill("90d");
    await page.getByRole("button", { name: "Create profile" }).click();
    await shows(page.locator("main"), "default lifetime 90d");
  });

  it("issues without a CSR: the key is shown once, and the downloads verify against the root with openssl", async () => {
    await page.getByRole("link", { name: "Issue with this profile" }).click();
    await page.getByLabel(/^Common name/).fill("www.acme.com");
    await page.getByLabel("SAN 1 value").fill("www.acme.com");
    await page.locator("form[data-dry-run=current]").waitFor();
    await shows(page.getByTestId("preview"), "www.acme.com");
    await page.getByRole("button", { name: "Issue certificate" }).click();
    await page.getByRole("heading", { name: "Certificate issued" }).waitFor();
    await page.getByText("You will not see it again").waitFor();
    const cert = await downloaded(page, page.getByRole("button", { name: "Download certificate" }));
    const chain = await downloaded(page, page.getByRole("button", { name: "Download chain" }));
    const key = await downloaded(page, page.getByRole("button", { name: "Download private key" }));
    const root = (await s.api("GET", `/api/v1/cert-manager/ca/internal/${ids.root}/certificate`, { token: s.adminToken })).body.certificate;
    const v = verifyChain(root, chain, cert, ["-purpose", "sslserver"]);
    expect(v.out).toContain("cert.pem: OK");
    const pub = (args: string[], files: Record<string, string>) => openssl(() => args, files).out;
    expect(pub(["x509", "-in", "c.pem", "-noout", "-pubkey"], { "c.pem": cert })).toBe(pub(["pkey", "-in", "k.pem", "-pubout"], { "k.pem": key }));
    await page.getByRole("link", { name: "Open the certificate" }).click();
    await page.getByRole("heading", { name: "www.acme.com" }).waitFor();
    ids.generated = page.url().split("/").pop();
  });

  it("issues from an uploaded openssl CSR, shown decoded in the dry run before sending", async () => {
    await page.goto(`${P}/certificates/issue`);
    await choose(page, /^Profile/, "web");
    await page.getByText("I have a CSR").click();
    await page.locator("input[type=file]").setInputFiles({ name: "api.csr", mimeType: "text/plain", buffer: Buffer.from(opensslCsr("api.acme.com", dir)) });
    await shows(page.getByTestId("preview"), "api.acme.com");
    await page.getByRole("button", { name: "Issue certificate" }).click();
    await page.getByRole("heading", { name: "Certificate issued" }).waitFor();
    expect(await page.getByText("You will not see it again").count()).toBe(0);
    await page.getByRole("link", { name: "Open the certificate" }).click();
    await page.getByRole("heading", { name: "api.acme.com" }).waitFor();
    ids.fromCsr = page.url().split("/").pop();
  });

  it("renews both ways: with a new key, and with a new CSR", async () => {
    await page.goto(`${P}/certificates/${ids.generated}`);
    await page.getByRole("button", { name: "Renew" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Renew" }).click();
    await page.waitForURL((u) => !u.pathname.endsWith(ids.generated!));
    await shows(page.locator("main"), ids.generated!); // "Renewed from" links the old one
    await page.goto(`${P}/certificates/${ids.fromCsr}`);
    await page.getByRole("button", { name: "Renew" }).click();
    await page.getByRole("dialog").getByLabel("CSR (PEM)").fill(opensslCsr("api.acme.com", dir));
    await page.getByRole("dialog").getByRole("button", { name: "Renew" }).click();
    await page.waitForURL((u) => !u.pathname.endsWith(ids.fromCsr!));
    const renewed = (await s.api("GET", `${CERTS}/${ids.fromCsr}`, { token: s.adminToken })).body.certificate;
    expect(renewed.renewedByCertificateId).toBe(page.url().split("/").pop());
  });

  it("revokes with a reason: the status becomes revoked and the serial is on the CRL at the certificate's CDP", async () => {
    await page.goto(`${P}/certificates/${ids.generated}`);
    await page.getByRole("button", { name: "Revoke" }).click();
    await choose(page, "Reason", "Key compromise");
    await page.getByRole("button", { name: "Revoke certificate" }).click();
    await shows(page.locator("main"), "KEY_COMPROMISE");
    const c = (await s.api("GET", `${CERTS}/${ids.generated}`, { token: s.adminToken })).body.certificate;
    expect(c.status).toBe("revoked");
    const pem = (await s.api("GET", `${CERTS}/${ids.generated}/certificate`, { token: s.adminToken })).body.certificate;
    const cdp = /X509v3 CRL Distribution Points:[\s\S]*?URI:(\S+)/.exec(openssl(() => ["x509", "-in", "c.pem", "-noout", "-text"], { "c.pem": pem }).out)![1];
    // The next full CRL (the job runs it now, as test/crl.test.ts does), fetched from the CDP as PEM.
    await s.server.jobs.runNow("crl");
    const crl = await s.api("GET", `${new URL(cdp).pathname}?format=pem`);
    const text = openssl(() => ["crl", "-in", "c.pem", "-noout", "-text"], { "c.pem": crl.body }).out;
    expect(text.replace(/\s/g, "")).toContain(`SerialNumber:${c.serialNumber.toUpperCase()}`);
    expect(text).toContain("Key Compromise");
  });

  it("a request that breaks the template shows every violation beside its field, in the dry run and after sending", async () => {
    await page.goto(`${P}/certificates/issue`);
    await choose(page, /^Profile/, "web");
    await page.getByLabel(/^Common name/).fill("evil.example.org");
    await page.getByLabel("SAN 1 value").fill("evil.example.org");
    await page.getByLabel(/^Lifetime/).fill("5y");
    await page.locator("form[data-dry-run=current]").waitFor(); // the dry run of these fields, not of an earlier state
    const violations = page.getByTestId("violations");
    await violations.waitFor();
    const before = (await violations.innerText()).split("\n");
    expect(before.length, before.join("\n")).toBeGreaterThanOrEqual(3);
    expect(await page.getByLabel(/^Common name/).getAttribute("aria-invalid")).toBe("true");
    expect(await page.getByLabel(/^Lifetime/).getAttribute("aria-invalid")).toBe("true");
    await page.getByRole("button", { name: "Issue certificate" }).click();
    await page.getByText("The server refused to issue").waitFor();
    expect((await violations.innerText()).split("\n")).toEqual(before);
  });

  it("the dashboard shows the store's figures and a chart", async () => {
    await page.goto(P);
    await shows(page.getByTestId("figure-Active"), /^[0-9]+$/);
    const counts = await s.api("GET", `/api/v1/cert-manager/certificate-profiles?projectId=${s.defaultProjectId}`, { token: s.adminToken });
    const m = counts.body.certificateProfiles[0].metrics;
    expect(await page.getByTestId("figure-Active").innerText()).toBe(String(m.activeCertificates));
    expect(await page.getByTestId("figure-Revoked").innerText()).toBe(String(m.revokedCertificates));
    const soon = await s.api("GET", `${CERTS}?projectId=${s.defaultProjectId}&status=active&expiresBefore=${encodeURIComponent(new Date(Date.now() + 90 * 86_400_000).toISOString())}`, { token: s.adminToken });
    expect(await page.getByTestId("figure-Within 90 days").innerText()).toBe(String(soon.body.certificates.length));
    await page.getByRole("img", { name: /Bar chart/ }).locator("svg").first().waitFor();
    await shows(page.getByRole("table", { name: "CRLs per CA" }), "Acme Issuing");
  });

  it("a viewer sees no issue, renew or revoke buttons, and a direct attempt shows the server's refusal", async () => {
    const pw = "viewer passphrase long enough";
    expect((await s.api("POST", "/api/v1/users", { token: s.adminToken, body: { email: "ui-viewer@example.com", password: pw } })).status).toBe(200);
    expect((await s.api("POST", `/api/v1/projects/${s.defaultProjectId}/memberships`, { token: s.adminToken, body: { email: "ui-viewer@example.com", role: "viewer" } })).status).toBe(200);
    await asUser("ui-viewer@example.com", pw, "/certificates", async (v) => {
      await shows(v.getByRole("table", { name: "Certificates" }), "www.acme.com");
      expect(await v.getByRole("main").getByRole("link", { name: "Issue a certificate" }).count()).toBe(0);
      await v.goto(`${P}/certificates/${ids.fromCsr}`);
      await v.getByRole("button", { name: "PEM" }).waitFor();
      expect(await v.getByRole("button", { name: /^(Renew|Revoke)$/ }).count()).toBe(0);
      await v.goto(`${P}/certificates/issue`);
      await choose(v, /^Profile/, "web");
      await v.getByLabel(/^Common name/).fill("viewer.acme.com");
      await v.getByRole("button", { name: "Issue certificate" }).click();
      await shows(v.getByRole("alert"), /viewer|role|permission|not allowed/i);
    });
  });

  it("names holding HTML or script render as inert text", async () => {
    const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: s.adminToken, body: { projectId: s.defaultProjectId, name: "ui-open" } });
    const cas = await s.api("GET", `/api/v1/cert-manager/ca/internal?projectId=${s.defaultProjectId}`, { token: s.adminToken });
    const issuing = cas.body.find((c: { name: string }) => c.name === "Acme Issuing").id;
    const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: s.adminToken, body: { projectId: s.defaultProjectId, slug: "ui-open", templateId: tpl.body.certificateTemplate.id, caId: issuing } });
    const evil = `<img src=x onerror="window.__xss=1">`;
    const r = await s.api("POST", CERTS, { token: s.adminToken, body: { profileId: prof.body.certificateProfile.id, attributes: { commonName: evil, organization: "<script>window.__xss=2</script>" } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    await page.goto(`${P}/certificates/${r.body.certificate.certificateId}`);
    await page.getByRole("heading", { name: evil }).waitFor();
    await shows(page.locator("main"), "<script>window.__xss=2</script>");
    await page.goto(`${P}/certificates?profileId=${prof.body.certificateProfile.id}`);
    await shows(page.getByRole("table", { name: "Certificates" }), evil);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator("main img").count()).toBe(0);
  });

  it("templates: create from a preset with every rule editor, then edit one and see the profiles the change breaks", async () => {
    await page.goto(`${P}/templates`);
    await page.getByRole("button", { name: "Create a template" }).first().click();
    const dialog = page.getByRole("dialog");
    await page.getByLabel(/^Name/).fill("client-strict");
    await choose(page, "Start from preset", "TLS client");
    await shows(dialog.getByTestId("preset-rules"), "The preset");
    await dialog.getByRole("button", { name: "Add a subject rule" }).click();
    await tag(page, "Subject rule 1 allowed", "*.corp.example");
    await tag(page, "Subject rule 1 denied", "bad.corp.example");
    await dialog.getByRole("button", { name: "Add a SAN rule" }).click();
    await choose(page, "SAN rule 1 type", "Email");
    await tag(page, "SAN rule 1 allowed", "*@corp.example");
    await pick(page, /^Key usages required/, "Digital signature");
    await pick(page, /^Extended key usages allowed/, "TLS client");
    await pick(page, /^Allowed key algorithms/, "ECDSA P-256");
    await page.getByLabel(/^Maximum lifetime/).fill("90d");
    expect(await accessibilityProblems(page), "the template form").toEqual([]);
    if (process.env.STAMP_UI_SCREENSHOTS) await screenshots(page, "template-form"); // dialogs: on request (CI time)
    await dialog.getByRole("button", { name: "Create template" }).click();
    await shows(page.getByRole("table", { name: "Templates" }), "lifetime at most 90d");
    const list = await s.api("GET", `/api/v1/cert-manager/certificate-templates?projectId=${s.defaultProjectId}&search=client-strict`, { token: s.adminToken });
    const t = list.body.certificateTemplates[0];
    expect(t.subject).toEqual([{ type: "common_name", allowed: ["*.corp.example"], denied: ["bad.corp.example"] }]);
    expect(t.sans).toEqual([{ type: "email", allowed: ["*@corp.example"] }]);
    expect(t.keyUsages.required).toEqual(["digital_signature"]);
    expect(t.extendedKeyUsages.allowed).toEqual(["client_auth"]);
    expect(t.algorithms.keyAlgorithm).toEqual(["EC_prime256v1"]);
    expect(t.validity.max).toBe("90d");

    // Profile "web" defaults to 90 days: a 30-day maximum breaks it, and the UI says so as the API reports it.
    await page.getByRole("button", { name: "Edit tls-acme" }).click();
    await page.getByLabel(/^Maximum lifetime/).fill("30d");
    await input(page, "Subject rule 1 required").waitFor();
    await dialog.getByRole("button", { name: "Save template" }).click();
    await shows(page.getByTestId("broken-profiles"), "web");
    const acme = (await s.api("GET", `/api/v1/cert-manager/certificate-templates?projectId=${s.defaultProjectId}&search=tls-acme`, { token: s.adminToken })).body.certificateTemplates[0];
    expect(acme.validity.max).toBe("30d");
    expect(acme.subject).toEqual([{ type: "common_name", allowed: ["*.acme.com"] }]);
    expect((await s.api("PATCH", `/api/v1/cert-manager/certificate-templates/${acme.id}`, { token: s.adminToken, body: { validity: { max: "1y" } } })).status).toBe(200);

    // Dropping a list from a rule object: PATCH merges members, so the UI removes the rule and writes it whole.
    await page.getByRole("button", { name: "Edit client-strict" }).click();
    await dialog.locator(".mantine-MultiSelect-root").filter({ hasText: /^Key usages required/ }).locator(".mantine-MultiSelect-pill button").click();
    await dialog.getByRole("button", { name: "Save template" }).click();
    await shows(page.getByTestId("template-saved"), "Saved client-strict");
    const strict = (await s.api("GET", `/api/v1/cert-manager/certificate-templates/${t.id}`, { token: s.adminToken })).body.certificateTemplate;
    expect(strict.keyUsages).toEqual({ allowed: t.keyUsages.allowed });
    expect(strict.validity.max).toBe("90d");
  });

  it("profiles: create with ACME, EST and SCEP and renewal defaults; EAB key, EST passphrase and SCEP password shown once; edit", async () => {
    await page.goto(`${P}/profiles`);
    await page.getByRole("button", { name: "Create a profile" }).first().click();
    const dialog = page.getByRole("dialog");
    await page.getByLabel(/^Slug/).fill("devices");
    await choose(page, /^Template/, "tls-acme");
    await choose(page, /^Issuer/, "Acme Issuing");
    for (const m of ["ACME", "EST", "SCEP"]) await dialog.getByRole("checkbox", { name: m, exact: true }).check();
    await page.getByLabel(/^Default lifetime/).fill("30d");
    await choose(page, "Default key algorithm", "ECDSA P-256");
    await dialog.getByRole("switch", { name: /Renew certificates/ }).check({ force: true });
    await page.getByLabel("Days before expiry").fill("20");
    expect(await accessibilityProblems(page), "the profile form").toEqual([]);
    if (process.env.STAMP_UI_SCREENSHOTS) await screenshots(page, "profile-form");
    await dialog.getByRole("button", { name: "Create profile" }).click();
    const card = page.getByTestId("profile-devices");
    await shows(card, "ACME directory");
    const list = await s.api("GET", `/api/v1/cert-manager/certificate-profiles?projectId=${s.defaultProjectId}&search=devices`, { token: s.adminToken });
    const p = list.body.certificateProfiles[0];
    expect(p.enrollmentMethods.sort()).toEqual(["acme", "api", "est", "scep"]);
    expect(p.apiConfig).toEqual({ autoRenew: true, renewBeforeDays: 20 });
    expect(p.defaults).toMatchObject({ ttl: "30d", keyAlgorithm: "EC_prime256v1" });
    expect(p.acmeConfig.eabRequired).toBe(true);

    await card.getByRole("button", { name: "New EAB key" }).click();
    await shows(card, "shown once");
    const eab = (await s.api("GET", `/api/v1/cert-manager/certificate-profiles/${p.id}/acme/eab-keys`, { token: s.adminToken })).body.eabKeys;
    expect(eab).toHaveLength(1);
    await shows(card, eab[0].keyId);
    await card.getByRole("button", { name: "Revoke" }).click();
    await shows(card.getByRole("table", { name: "EAB keys" }), "revoked");
    expect((await s.api("GET", `/api/v1/cert-manager/certificate-profiles/${p.id}/acme/eab-keys`, { token: s.adminToken })).body.eabKeys[0].revokedAt).not.toBeNull();

    await card.getByRole("button", { name: "New EST passphrase" }).click();
    const passphrase = await card.getByTestId("est-passphrase").innerText();
    const est = await s.api("GET", "/.well-known/est/devices/csrattrs", { headers: { authorization: `Basic ${Buffer.from(`x:${passphrase}`).toString("base64")}` } });
    expect(est.status, "the EST passphrase shown works").not.toBe(401);
    await card.getByRole("button", { name: "New SCEP challenge password" }).click();
    expect((await card.getByTestId("scep-password").innerText()).length).toBeGreaterThanOrEqual(8);
    await shows(card, "SCEP URL");

    await card.getByRole("button", { name: "Edit devices" }).click();
    await page.getByLabel(/^Description/).fill("edited in the UI");
    await dialog.getByRole("checkbox", { name: "SCEP", exact: true }).uncheck();
    await dialog.getByRole("switch", { name: /Renew certificates/ }).uncheck({ force: true });
    await dialog.getByRole("button", { name: "Save profile" }).click();
    await shows(card, "edited in the UI");
    const edited = (await s.api("GET", `/api/v1/cert-manager/certificate-profiles/${p.id}`, { token: s.adminToken })).body.certificateProfile;
    expect(edited.enrollmentMethods.sort()).toEqual(["acme", "api", "est"]);
    expect(edited.apiConfig.autoRenew).toBe(false);
    expect(edited.estConfig.passphraseSet).toBe(true);
  });

  it("CAs: sign an intermediate from an openssl CSR (verified by openssl) and change the CRL and OCSP settings", async () => {
    await page.goto(`${P}/cas/${ids.root}`);
    await page.getByRole("button", { name: "Sign an intermediate CSR" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel(/^CSR of the subordinate CA/).fill(opensslCsr("Outside Sub CA", dir, "basicConstraints=critical,CA:TRUE"));
    await dialog.getByLabel(/^Valid until/).fill(new Date(Date.now() + 365 * 86_400_000).toISOString().slice(0, 10));
    await dialog.getByRole("button", { name: "Sign", exact: true }).click();
    const cert = await downloaded(page, dialog.getByRole("button", { name: "Download certificate" }));
    const root = (await s.api("GET", `/api/v1/cert-manager/ca/internal/${ids.root}/certificate`, { token: s.adminToken })).body.certificate;
    const v = openssl(() => ["verify", "-x509_strict", "-CAfile", "root.pem", "sub.pem"], { "root.pem": root, "sub.pem": cert });
    expect(v.out).toContain("sub.pem: OK");
    expect(openssl(() => ["x509", "-in", "sub.pem", "-noout", "-text"], { "sub.pem": cert }).out).toMatch(/CA:TRUE, pathlen:0/);
    await page.keyboard.press("Escape");

    await page.getByRole("button", { name: "Settings" }).click();
    await tag(page, "Extra CRL distribution points", "http://crl.example.com/acme-root.crl");
    await dialog.getByRole("switch", { name: /OCSP responder on/ }).uncheck({ force: true });
    await dialog.getByLabel(/^CRL validity/).fill("48");
    await dialog.getByRole("button", { name: "Save settings" }).click();
    await shows(page.locator("main"), "http://crl.example.com/acme-root.crl");
    const ca = (await s.api("GET", `/api/v1/cert-manager/ca/internal/${ids.root}`, { token: s.adminToken })).body;
    expect(ca.configuration).toMatchObject({ crlDistributionPointUrls: ["http://crl.example.com/acme-root.crl"], isOcspEnabled: false, crlValiditySeconds: 48 * 3600 });
    await page.goto(`${P}/cas`);
    await page.getByText("No external ACME CA").waitFor();
  });

  it("access: users, members narrowed to a profile, machine identities with client secrets; the new user changes their password", async () => {
    await page.goto(`${P}/access`);
    const pw = "first password of the ops user";
    await page.getByLabel("New user's email").fill("ops@example.com");
    await page.getByLabel("Initial password").fill(pw);
    await page.getByRole("button", { name: "Create user" }).click();
    await page.getByText("Created ops@example.com").waitFor();

    await page.getByRole("button", { name: "Add a member" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Email").fill("ops@example.com");
    await choose(page, "Role", "Member");
    await pick(page, "Only these profiles", "web");
    await dialog.getByRole("button", { name: "Add member" }).click();
    await shows(page.getByRole("table", { name: "Members" }), "ops@example.com");
    const webId = (await s.api("GET", `/api/v1/cert-manager/certificate-profiles/slug/web?projectId=${s.defaultProjectId}`, { token: s.adminToken })).body.certificateProfile.id;
    const members = (await s.api("GET", `/api/v1/projects/${s.defaultProjectId}/memberships`, { token: s.adminToken })).body.memberships;
    expect(members.find((m: { email?: string }) => m.email === "ops@example.com")).toMatchObject({ role: "member", profiles: [webId] });

    await page.getByRole("button", { name: "Create an identity" }).first().click();
    await dialog.getByLabel(/^Name/).fill("deployer");
    await dialog.getByRole("button", { name: "Create identity" }).click();
    await page.getByLabel("New client secret for deployer: description").fill("ci");
    await page.getByRole("button", { name: "Create client secret" }).click();
    const secretBox = page.getByTestId("client-secret");
    await secretBox.locator("code").nth(1).waitFor(); // allInnerTexts does not wait: read the secret once it is shown
    const [clientId, clientSecret] = (await secretBox.locator("code").allInnerTexts()).map((t) => t.trim());
    expect((await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId, clientSecret } })).status).toBe(200);
    await page.getByRole("table", { name: "Client secrets of deployer" }).getByRole("button", { name: /^Revoke/ }).click();
    await shows(page.getByRole("table", { name: "Client secrets of deployer" }), "revoked");
    expect((await s.api("POST", "/api/v1/auth/universal-auth/login", { body: { clientId, clientSecret } })).status).toBe(401);

    // The new member sees only their profile, then changes their password: other sessions end, this one goes on.
    await asUser("ops@example.com", pw, "/profiles", async (o) => {
      await o.getByTestId("profile-web").waitFor();
      expect(await o.locator("[data-testid^=profile-]").count()).toBe(1);
      await o.getByRole("link", { name: "Alerts" }).click();
      await o.getByText("Only the project's admins").waitFor();
      const other = (await s.api("POST", "/api/v1/auth/login", { body: { email: "ops@example.com", password: pw } })).body.accessToken;
      await o.getByRole("link", { name: "Account" }).click();
      await o.getByLabel("Current password").fill(pw);
      await o.getByLabel("New password", { exact: true }).fill("second password of the ops user");
      await o.getByLabel("New password again").fill("second password of the ops user");
      await o.getByRole("button", { name: "Change password" }).click();
      await o.getByText("Password changed").waitFor();
      expect((await s.api("GET", "/api/v1/auth/me", { token: other })).status).toBe(401);
      expect(await o.evaluate(async () => (await fetch("/api/v1/auth/me")).status)).toBe(200);
      expect((await s.api("POST", "/api/v1/auth/login", { body: { email: "ops@example.com", password: "second password of the ops user" } })).status).toBe(200);
    });
  });

  it("alerts: create a webhook rule (a refused URL shown beside its field), send a test and read its delivery log; disable it", async () => {
    let rule: { id: string; filters?: { profileIds: string[] } } = { id: "" };
    await page.goto(`${P}/alerts`);
    await page.getByRole("button", { name: "Create an alert rule" }).first().click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel(/^Name/).fill("expiring web");
    await pick(page, "Events", "Revoked");
    await pick(page, "Only certificates of these profiles", "web");
    // A private address the egress policy refuses: the server's reason sits beside the field.
    await dialog.getByLabel(/^Webhook URL/).fill("http://10.1.2.3/hook");
    await dialog.getByRole("button", { name: "Create rule" }).click();
    await dialog.getByTestId("problem").waitFor();
    expect(await dialog.getByLabel(/^Webhook URL/).getAttribute("aria-invalid")).toBe("true");
    expect(await accessibilityProblems(page), "the alert rule form").toEqual([]);
    // A receiver on 127.0.0.1 (allowed for this server) that answers 204.
    const received: string[] = [];
    const receiver = http.createServer((req, res) => {
      req.resume().on("end", () => (received.push(req.headers["content-type"] ?? ""), res.writeHead(204).end()));
    });
    await new Promise<void>((r) => receiver.listen(0, "127.0.0.1", r));
    const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      await dialog.getByLabel(/^Webhook URL/).fill(hook);
      await dialog.getByRole("button", { name: "Create rule" }).click();
      await page.getByTestId("webhook-secret").waitFor();
      const rules = (await s.api("GET", `/api/v1/projects/${s.defaultProjectId}/alert-rules`, { token: s.adminToken })).body.alertRules;
      rule = rules.find((r: { name: string }) => r.name === "expiring web");
      expect(rule).toMatchObject({ channel: "webhook", webhookUrl: hook, events: ["expiration", "revoked"], enabled: true });
      expect(rule.filters?.profileIds).toHaveLength(1);

      await page.getByRole("button", { name: "Send a test" }).click();
      await shows(page.getByTestId("test-result"), "delivered");
      expect(received.length).toBe(1);
    } finally {
      receiver.close();
    }
    const deliveries = (await s.api("GET", `/api/v1/projects/${s.defaultProjectId}/alert-rules/${rule.id}/deliveries`, { token: s.adminToken })).body.deliveries;
    expect(deliveries.length).toBeGreaterThanOrEqual(1);
    await shows(page.getByRole("table", { name: "Deliveries of expiring web" }), deliveries[0].status);

    await page.getByRole("button", { name: "Disable" }).click();
    await page.getByRole("button", { name: "Enable" }).waitFor();
    expect((await s.api("GET", `/api/v1/projects/${s.defaultProjectId}/alert-rules/${rule.id}`, { token: s.adminToken })).body.alertRule.enabled).toBe(false);
  });

  it("every main page passes axe-core with no serious or critical finding; screenshots for review", async () => {
    const pages = [["dashboard", ""], ["certificates", "/certificates"], ["certificate", `/certificates/${ids.fromCsr}`], ["issue", "/certificates/issue"], ["cas", "/cas"], ["ca", `/cas/${ids.root}`], ["templates", "/templates"], ["profiles", "/profiles"], ["audit", "/audit"], ["access", "/access"], ["alerts", "/alerts"], ["account", "/account"]];
    const found: string[] = [];
    for (const [name, p] of pages) {
      await page.goto(P + p);
      await page.getByRole("heading", { level: 2 }).first().waitFor();
      await page.locator("[aria-label^=Loading]").first().waitFor({ state: "detached" }).catch(() => {});
      found.push(...(await accessibilityProblems(page)).map((f) => `${name}: ${f}`));
      await screenshots(page, name);
    }
    expect(found).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it("when the session ends, the user signs in again and returns to the page they were on", async () => {
    await page.goto(`${P}/certificates?status=active`);
    await page.getByRole("table", { name: "Certificates" }).waitFor();
    const me = await s.api("GET", "/api/v1/auth/me", { token: s.adminToken });
    const ended = await s.api("POST", `/api/v1/users/${me.body.id}/revoke-tokens`, { token: s.adminToken });
    expect(ended.status).toBe(204);
    s.adminToken = (await s.api("POST", "/api/v1/auth/login", { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } })).body.accessToken;
    await page.getByRole("link", { name: "Dashboard" }).click();
    await signIn(page, ADMIN_EMAIL, ADMIN_PASSWORD);
    await page.waitForURL(new RegExp(`/p/${s.defaultProjectId}$`));
    await page.reload();
    await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  });

  it("logout ends the session on the server, not only in the browser", async () => {
    const token = (await ctx.cookies(s.url + "/api/")).find((c) => c.name === "stamp_session")!.value;
    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(/\/login$/);
    expect((await ctx.cookies(s.url + "/api/")).find((c) => c.name === "stamp_session")).toBeUndefined();
    expect((await s.api("GET", "/api/v1/auth/me", { token })).status).toBe(401);
  });

  it("serves the UI with a strict CSP, hashed assets cached for good, and problem+json for unknown API paths", async () => {
    const html = await s.api("GET", "/p/anything", { headers: { accept: "text/html" } });
    expect(html.status).toBe(200);
    expect(html.headers.get("content-security-policy")).toMatch(/script-src 'self'.*frame-ancestors 'none'/);
    expect(html.body).not.toMatch(/<script>|<script [^>]*>[^<]/); // no inline script
    const asset = /src="(\/assets\/[^"]+\.js)"/.exec(html.body)![1];
    const js = await s.api("GET", asset);
    expect(js.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(js.headers.get("content-type")).toMatch(/^text\/javascript/);
    const api404 = await s.api("GET", "/api/v1/nothing-here", { headers: { accept: "text/html" } });
    expect(api404.status).toBe(404);
    expect(api404.headers.get("content-type")).toMatch(/problem\+json/);
  });
});
