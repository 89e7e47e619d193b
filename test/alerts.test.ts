import { createHmac } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_EMAIL, ADMIN_PASSWORD, dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";

const DAY = 86_400_000;
const CERTS = "/api/v1/cert-manager/certificates";

/** A clock tests move by hand (house rule 11: no sleeping). */
function movableClock() {
  let offset = 0;
  return { clock: () => new Date(Date.now() + offset), advance: (ms: number) => (offset += ms) };
}

interface Hit { path: string; headers: http.IncomingHttpHeaders; body: string; status: number }

/** A webhook receiver on 127.0.0.1: records every request; `script(path, [500, 500])` sets the next answers (then 200). */
async function webhookReceiver() {
  const hits: Hit[] = [];
  const scripts = new Map<string, number[]>();
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const status = scripts.get(req.url ?? "")?.shift() ?? 200;
      hits.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8"), status });
      res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "no");
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}`;
  return {
    url: (p: string) => `${base}${p}`,
    hits: (p: string) => hits.filter((h) => h.path === p),
    script: (p: string, statuses: number[]) => scripts.set(p, statuses),
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

interface Mail { from: string; to: string[]; data: string }

/** An SMTP receiver speaking just enough RFC 5321 (220, 250, 354, 221); records each message. */
async function smtpReceiver() {
  const messages: Mail[] = [];
  const srv = net.createServer((sock) => {
    let buf = "";
    let inData = false;
    let cur: Mail = { from: "", to: [], data: "" };
    sock.write("220 test.smtp ESMTP\r\n");
    sock.on("data", (chunk) => {
      buf += chunk.toString("utf8");
      let i: number;
      while ((i = buf.indexOf("\r\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === ".") {
            inData = false;
            messages.push(cur);
            cur = { from: "", to: [], data: "" };
            sock.write("250 2.0.0 queued\r\n");
          } else cur.data += `${line.startsWith("..") ? line.slice(1) : line}\n`;
          continue;
        }
        const cmd = line.toUpperCase();
        if (cmd.startsWith("EHLO")) sock.write("250-test.smtp\r\n250 8BITMIME\r\n");
        else if (cmd.startsWith("MAIL FROM:")) (cur.from = line.slice(10).replace(/[<>]/g, "")), sock.write("250 ok\r\n");
        else if (cmd.startsWith("RCPT TO:")) cur.to.push(line.slice(8).replace(/[<>]/g, "")), sock.write("250 ok\r\n");
        else if (cmd === "DATA") (inData = true), sock.write("354 go ahead\r\n");
        else if (cmd === "QUIT") sock.end("221 bye\r\n");
        else sock.write("502 not implemented\r\n");
      }
    });
    sock.on("error", () => {});
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { port: (srv.address() as net.AddressInfo).port, messages, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

const cached = new WeakMap<TestServer, { token: string; at: number }>();
/** A token valid at the server's (moved) clock: logs in again only when the last one is near expiry (logins are rate limited). */
async function relogin(s: TestServer, clock: () => Date = () => new Date()) {
  const now = clock().getTime();
  const c = cached.get(s);
  if (c && now - c.at >= 0 && now - c.at < 30 * 60_000) return c.token;
  const r = await s.api("POST", "/api/v1/auth/login", { body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD } });
  if (r.status !== 200) throw new Error(`login: ${JSON.stringify(r.body)}`);
  cached.set(s, { token: r.body.accessToken as string, at: now });
  return r.body.accessToken as string;
}
/** The clock the current server runs on (set by each describe). */
let serverClock: () => Date = () => new Date();

/** A root CA and a tls-server profile on it. */
async function setup(s: TestServer, slug: string, apiConfig = { autoRenew: false, renewBeforeDays: null as number | null }) {
  const t = await relogin(s, serverClock);
  const p = s.defaultProjectId;
  const ca = await s.api("POST", "/api/v1/cert-manager/ca/internal", { token: t, body: { projectId: p, name: `${slug}-root`, configuration: { type: "root", commonName: `${slug} Root`, keyAlgorithm: "EC_prime256v1" } } });
  const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: `${slug}-tpl`, preset: "tls-server" } });
  const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug, templateId: tpl.body.certificateTemplate.id, caId: ca.body.id, apiConfig } });
  if (prof.status !== 200) throw new Error(JSON.stringify(prof.body));
  return { caId: ca.body.id as string, profileId: prof.body.certificateProfile.id as string };
}

async function issue(s: TestServer, profileId: string, cn: string, ttl = "30d") {
  const r = await s.api("POST", CERTS, { token: await relogin(s, serverClock), body: { profileId, attributes: { commonName: cn, altNames: [{ type: "dns_name", value: cn }], ttl } } });
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  return r.body.certificate.certificateId as string;
}

async function createRule(s: TestServer, body: Record<string, unknown>) {
  const r = await s.api("POST", `/api/v1/projects/${s.defaultProjectId}/alert-rules`, { token: await relogin(s, serverClock), body });
  if (r.status !== 200) throw new Error(`create rule: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.alertRule.id as string, secret: r.body.webhookSecret as string | undefined, rule: r.body.alertRule };
}

/** Parses a hit and checks its CloudEvents 1.0 envelope and its HMAC signature. */
function verified(h: Hit, secret: string) {
  expect(h.headers["content-type"]).toMatch(/^application\/cloudevents\+json/);
  const want = `sha256=${createHmac("sha256", secret).update(h.body, "utf8").digest("hex")}`;
  expect(h.headers["x-stamp-signature"]).toBe(want);
  const e = JSON.parse(h.body);
  expect(e).toMatchObject({ specversion: "1.0", datacontenttype: "application/json" });
  expect(e.id).toMatch(/^[0-9a-f-]{36}$/);
  expect(e.source).toMatch(/\/projects\/[0-9a-f-]{36}$/);
  expect(new Date(e.time).toISOString()).toBe(e.time);
  return e;
}

describe("alerts", () => {
  const time = movableClock();
  let s: TestServer;
  let hooks: Awaited<ReturnType<typeof webhookReceiver>>;
  let smtp: Awaited<ReturnType<typeof smtpReceiver>>;
  let profileId: string;
  let caId: string;
  beforeAll(async () => {
    serverClock = time.clock;
    hooks = await webhookReceiver();
    smtp = await smtpReceiver();
    // The receivers live on 127.0.0.1, which the egress policy refuses unless allow-listed (docs/egress.md).
    s = await startServer({ rt: { clock: time.clock }, args: ["--smtp-url", `smtp://127.0.0.1:${smtp.port}`, "--smtp-from", "stamp@alerts.test", "--egress-allow", "127.0.0.1"] });
    ({ profileId, caId } = await setup(s, "alerts"));
  });
  afterAll(async () => {
    await s?.close();
    await hooks?.close();
    await smtp?.close();
  });
  const rules = () => `/api/v1/projects/${s.defaultProjectId}/alert-rules`;

  it("ok/ issued, renewed and revoked events arrive signed, as CloudEvents; names outside the filter do not", async () => {
    const { id, secret, rule } = await createRule(s, { name: "lifecycle", events: ["issued", "renewed", "revoked"], channel: "webhook", webhookUrl: hooks.url("/life"), filters: { namePattern: "*.life.test", profileIds: [profileId], caIds: [caId] } });
    expect(secret).toMatch(/^whsec_/);
    expect(rule).toMatchObject({ channel: "webhook", webhookUrl: hooks.url("/life"), enabled: true, filters: { namePattern: "*.life.test" } });
    const got = await s.api("GET", `${rules()}/${id}`, { token: await relogin(s, serverClock) });
    expect(JSON.stringify(got.body)).not.toContain(secret);

    const a = await issue(s, profileId, "a.life.test");
    await issue(s, profileId, "elsewhere.example.com");
    await s.server.jobs.runNow("alert-delivery");
    expect(hooks.hits("/life")).toHaveLength(1);
    const issued = verified(hooks.hits("/life")[0], secret!);
    expect(issued).toMatchObject({ type: "dev.stamp.certificate.issued", subject: a, data: { certificate: { id: a, commonName: "a.life.test", profileId, caId } } });
    expect(issued.data.certificate.altNames).toEqual([{ type: "dns_name", value: "a.life.test" }]);

    const t = await relogin(s, serverClock);
    const renewed = (await s.api("POST", `${CERTS}/${a}/renew`, { token: t, body: {} })).body.certificateId as string;
    expect((await s.api("POST", `${CERTS}/${renewed}/revoke`, { token: t, body: { revocationReason: "KEY_COMPROMISE" } })).status).toBe(200);
    await s.server.jobs.runNow("alert-delivery");
    const events = hooks.hits("/life").map((h) => verified(h, secret!));
    expect(events.map((e) => e.type)).toEqual(["dev.stamp.certificate.issued", "dev.stamp.certificate.renewed", "dev.stamp.certificate.revoked"]);
    expect(events[1].data.certificate).toMatchObject({ id: renewed, renewedFromCertificateId: a });
    expect(events[2]).toMatchObject({ subject: renewed, data: { reason: "KEY_COMPROMISE", certificate: { status: "revoked", lifecycleStatus: "revoked" } } });
    // The webhook reports the status the API reports (one certificate view).
    const api = (await s.api("GET", `${CERTS}/${renewed}`, { token: t })).body.certificate;
    expect({ status: events[2].data.certificate.status, lifecycleStatus: events[2].data.certificate.lifecycleStatus }).toEqual({ status: api.status, lifecycleStatus: api.lifecycleStatus });
    expect(new Set(events.map((e) => e.id)).size).toBe(3);

    // The delivery log: newest first, each delivered on the first attempt with the receiver's status.
    const log = (await s.api("GET", `${rules()}/${id}/deliveries`, { token: t })).body.deliveries;
    expect(log.map((d: { eventType: string }) => d.eventType)).toEqual(["dev.stamp.certificate.revoked", "dev.stamp.certificate.renewed", "dev.stamp.certificate.issued"]);
    for (const d of log) expect(d).toMatchObject({ status: "delivered", attempts: 1, responseStatus: 200, lastError: null, nextAttemptAt: null });
    expect(log.map((d: { eventId: string }) => d.eventId).sort()).toEqual(events.map((e) => e.id).sort());
    // A second pass sends nothing again.
    await s.server.jobs.runNow("alert-delivery");
    expect(hooks.hits("/life")).toHaveLength(3);
  });

  it("ok/ an expiration rule fires once when the clock enters the window, not again on later passes", async () => {
    const { id, secret } = await createRule(s, { name: "expiry", events: ["expiration"], expirationDays: [7], channel: "webhook", webhookUrl: hooks.url("/exp"), filters: { namePattern: "*.exp.test" } });
    const c = await issue(s, profileId, "x.exp.test", "10d");
    await s.server.jobs.runNow("alert-expiry");
    await s.server.jobs.runNow("alert-delivery");
    expect(hooks.hits("/exp")).toHaveLength(0);
    time.advance(4 * DAY); // 6 days left: inside the 7-day window
    await s.server.jobs.runNow("alert-expiry");
    await s.server.jobs.runNow("alert-delivery");
    expect(hooks.hits("/exp")).toHaveLength(1);
    const e = verified(hooks.hits("/exp")[0], secret!);
    expect(e).toMatchObject({ type: "dev.stamp.certificate.expiring", subject: c, data: { window: 7, daysLeft: 6, certificate: { id: c, commonName: "x.exp.test" } } });
    for (let i = 0; i < 3; i++) {
      time.advance(DAY);
      await s.server.jobs.runNow("alert-expiry");
      await s.server.jobs.runNow("alert-delivery");
    }
    expect(hooks.hits("/exp")).toHaveLength(1);
    expect((await s.api("GET", `${rules()}/${id}/deliveries`, { token: await relogin(s, serverClock) })).body.deliveries).toHaveLength(1);
  });

  it("ok/ an email rule sends a message through SMTP that names the certificate", async () => {
    await createRule(s, { name: "mail", events: ["issued"], channel: "email", emailTo: ["ops@example.com", "pki@example.com"], filters: { namePattern: "*.mail.test" } });
    const c = await issue(s, profileId, "web.mail.test");
    await s.server.jobs.runNow("alert-delivery");
    expect(smtp.messages).toHaveLength(1);
    const m = smtp.messages[0];
    expect(m.from).toBe("stamp@alerts.test");
    expect(m.to).toEqual(["ops@example.com", "pki@example.com"]);
    expect(m.data).toMatch(/^Subject: \[Stamp\] Certificate web\.mail\.test was issued$/m);
    // The body may come quoted-printable (RFC 2045 §6.7: long lines, non-ASCII): read it decoded.
    const body = m.data.slice(m.data.indexOf("\n\n") + 2);
    const text = /^Content-Transfer-Encoding: quoted-printable$/im.test(m.data) ? Buffer.from(body.replace(/=\n/g, "").replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16))), "latin1").toString("utf8") : body;
    expect(text).toContain(`Certificate id: ${c}`);
    expect(text).toContain("web.mail.test");
  });

  it("ok/ a receiver answering 500 twice is retried with backoff and delivered on the third attempt", async () => {
    hooks.script("/flaky", [500, 500]);
    const { id, secret } = await createRule(s, { name: "flaky", events: ["issued"], channel: "webhook", webhookUrl: hooks.url("/flaky"), filters: { namePattern: "*.flaky.test" } });
    await issue(s, profileId, "f.flaky.test");
    await s.server.jobs.runNow("alert-delivery");
    const log = async () => (await s.api("GET", `${rules()}/${id}/deliveries`, { token: await relogin(s, serverClock) })).body.deliveries[0];
    expect(await log()).toMatchObject({ status: "pending", attempts: 1, responseStatus: 500, lastError: expect.stringContaining("500") });
    await s.server.jobs.runNow("alert-delivery"); // not due yet: no new attempt
    expect(hooks.hits("/flaky")).toHaveLength(1);
    time.advance(11_000);
    await s.server.jobs.runNow("alert-delivery");
    expect(await log()).toMatchObject({ status: "pending", attempts: 2 });
    time.advance(11_000); // the second backoff is 20 s: still not due
    await s.server.jobs.runNow("alert-delivery");
    expect(hooks.hits("/flaky")).toHaveLength(2);
    time.advance(10_000);
    await s.server.jobs.runNow("alert-delivery");
    expect(await log()).toMatchObject({ status: "delivered", attempts: 3, responseStatus: 200, lastError: null });
    const hits = hooks.hits("/flaky");
    expect(hits.map((h) => h.status)).toEqual([500, 500, 200]);
    expect(new Set(hits.map((h) => verified(h, secret!).id)).size).toBe(1);
  });

  it("ok/ the test route sends a dev.stamp.test event now; a disabled rule queues nothing; delete removes it", async () => {
    const { id, secret } = await createRule(s, { name: "probe", events: ["issued"], channel: "webhook", webhookUrl: hooks.url("/probe"), filters: { namePattern: "*.probe.test" } });
    const t = await relogin(s, serverClock);
    const r = await s.api("POST", `${rules()}/${id}/test`, { token: t });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.delivery).toMatchObject({ status: "delivered", attempts: 1, eventType: "dev.stamp.test", certificateId: null });
    expect(verified(hooks.hits("/probe")[0], secret!).type).toBe("dev.stamp.test");

    const off = await s.api("PATCH", `${rules()}/${id}`, { token: t, body: { enabled: false } });
    expect(off.body.alertRule.enabled).toBe(false);
    await issue(s, profileId, "p.probe.test");
    await s.server.jobs.runNow("alert-delivery");
    expect(hooks.hits("/probe")).toHaveLength(1);
    expect((await s.api("GET", rules(), { token: t })).body.alertRules.map((x: { id: string }) => x.id)).toContain(id);
    expect((await s.api("DELETE", `${rules()}/${id}`, { token: t })).status).toBe(204);
    const gone = await s.api("GET", `${rules()}/${id}`, { token: t });
    expect(gone.status).toBe(404);
    expect(gone.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });

  it("ok/ a failed server-driven renewal alerts with the reason", async () => {
    const own = await setup(s, "alerts-renew", { autoRenew: true, renewBeforeDays: 5 });
    const { secret } = await createRule(s, { name: "renew-failed", events: ["renewal_failed", "renewed"], channel: "webhook", webhookUrl: hooks.url("/renew"), filters: { caIds: [own.caId] } });
    const c = await issue(s, own.profileId, "r.renew.test", "10d");
    const t = await relogin(s, serverClock);
    expect((await s.api("PATCH", `/api/v1/cert-manager/ca/internal/${own.caId}`, { token: t, body: { status: "disabled" } })).status).toBe(200);
    time.advance(6 * DAY);
    await s.server.jobs.runNow("auto-renew");
    await s.server.jobs.runNow("alert-delivery");
    const events = hooks.hits("/renew").map((h) => verified(h, secret!));
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: "dev.stamp.certificate.renewal_failed", subject: c, data: { reason: expect.stringContaining("disabled") } });
  });

  it("fail/ bad rules answer 4xx problem+json naming the field", async () => {
    const t = await relogin(s, serverClock);
    const base = { name: "bad", events: ["issued"], channel: "webhook", webhookUrl: "https://hooks.example.com/x" };
    const cases: [Record<string, unknown>, number, string][] = [
      [{ ...base, webhookUrl: "ftp://hooks.example.com/x" }, 400, "webhookUrl"],
      [{ ...base, webhookUrl: "https://user:pw@hooks.example.com/x" }, 400, "webhookUrl"],
      [{ ...base, events: ["exploded"] }, 400, "events"],
      [{ ...base, events: [] }, 400, "events"],
      [{ ...base, channel: "email", webhookUrl: undefined, emailTo: [] }, 400, "emailTo"],
      [{ ...base, channel: "email", webhookUrl: undefined }, 400, "emailTo"],
      [{ ...base, webhookUrl: undefined }, 400, "webhookUrl"],
      [{ ...base, events: ["expiration"], expirationDays: [0] }, 400, "expirationDays"],
      [{ ...base, events: ["expiration"], expirationDays: [400] }, 400, "expirationDays"],
      [{ ...base, filters: { namePattern: "a b" } }, 400, "filters"],
      [{ ...base, name: "x".repeat(101) }, 400, "name"],
      [{ ...base, filters: { profileIds: ["00000000-0000-4000-8000-000000000000"] } }, 422, "filters.profileIds.0"],
    ];
    for (const [body, status, field] of cases) {
      const r = await s.api("POST", rules(), { token: t, body });
      expect(r.status, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`).toBe(status);
      expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(JSON.stringify(r.body.violations?.map((v: { field: string }) => v.field) ?? []), JSON.stringify(r.body)).toContain(field);
    }
  });
});

describe.skipIf(dbKind !== "postgres")("alerts on two servers", () => {
  it("ok/ both run the jobs at once: each alert delivered exactly once; a failing receiver is retried", async () => {
    const db = await freshDatabase();
    const time = movableClock();
    serverClock = time.clock;
    const hooks = await webhookReceiver();
    const [a, b] = await Promise.all([startServer({ db, rt: { clock: time.clock }, args: ["--egress-allow", "127.0.0.1"] }), startServer({ db, rt: { clock: time.clock }, args: ["--egress-allow", "127.0.0.1"] })]);
    try {
      const { profileId } = await setup(a, "two-alerts");
      const { secret } = await createRule(a, { name: "both", events: ["issued", "expiration"], expirationDays: [7], channel: "webhook", webhookUrl: hooks.url("/two"), filters: { namePattern: "*.two.test" } });
      await createRule(b, { name: "flaky", events: ["issued"], channel: "webhook", webhookUrl: hooks.url("/two-flaky"), filters: { namePattern: "*.two.test" } });
      hooks.script("/two-flaky", [500, 500, 500, 500, 500, 500]);
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(await issue(i % 2 ? b : a, profileId, `n${i}.two.test`, "10d"));
      time.advance(4 * DAY);
      const both = (job: string) => Promise.all([a.server.jobs.runNow(job), b.server.jobs.runNow(job), a.server.jobs.runNow(job), b.server.jobs.runNow(job)]);
      await both("alert-expiry");
      await both("alert-expiry");
      await both("alert-delivery");
      await both("alert-delivery");

      const events = hooks.hits("/two").map((h) => verified(h, secret!));
      expect(events).toHaveLength(12);
      expect(new Set(events.map((e) => e.id)).size).toBe(12);
      expect(events.filter((e) => e.type === "dev.stamp.certificate.issued").map((e) => e.subject).sort()).toEqual([...ids].sort());
      expect(events.filter((e) => e.type === "dev.stamp.certificate.expiring").map((e) => e.subject).sort()).toEqual([...ids].sort());

      // The flaky receiver refused the first attempt of each of the 6 alerts; the retries go once each.
      expect(hooks.hits("/two-flaky")).toHaveLength(6);
      time.advance(11_000);
      await both("alert-delivery");
      await both("alert-delivery");
      const flaky = hooks.hits("/two-flaky");
      expect(flaky).toHaveLength(12);
      const ok = flaky.filter((h) => h.status === 200).map((h) => JSON.parse(h.body).id as string);
      expect(ok).toHaveLength(6);
      expect(new Set(ok).size).toBe(6);
      await both("alert-expiry");
      await both("alert-delivery");
      expect(hooks.hits("/two")).toHaveLength(12);
    } finally {
      await a.close();
      await b.close();
      await hooks.close();
      await db.drop();
    }
  });
});
