import http from "node:http";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDatabase, startServer, type TestServer } from "./helpers/harness.js";

// Issue 14 finding 2: webhooks (and SMTP) go through the egress policy (docs/egress.md). These tests
// only create configurations and resolve names; the only connections made go to 127.0.0.1.

/** A webhook URL's host for every class the policy refuses, with the --egress-allow entry that lets it through. */
const REFUSED: [host: string, allowWith: string][] = [
  ["127.0.0.1", "127.0.0.0/8"],
  ["0x7f000001", "127.0.0.0/8"],
  ["2130706433", "127.0.0.0/8"],
  ["0177.0.0.1", "127.0.0.0/8"],
  ["127.1", "127.0.0.0/8"],
  ["[::1]", "::1"],
  ["0.0.0.0", "0.0.0.0/8"],
  ["[::]", "::"],
  ["10.0.0.1", "10.0.0.0/8"],
  ["172.16.0.1", "172.16.0.0/12"],
  ["192.168.1.1", "192.168.0.0/16"],
  ["100.64.0.1", "100.64.0.0/10"],
  ["169.254.169.254", "169.254.169.254"],
  ["[fe80::1]", "fe80::/10"],
  ["[fd00:ec2::254]", "fd00:ec2::254"],
  ["[fc00::1]", "fc00::/8"],
  ["224.0.0.1", "224.0.0.0/4"],
  ["[ff02::1]", "ff00::/8"],
  ["255.255.255.255", "255.255.255.255"],
  ["240.0.0.1", "240.0.0.0/4"],
  ["192.0.2.1", "192.0.2.0/24"],
  ["198.18.0.1", "198.18.0.0/15"],
  ["[::ffff:169.254.169.254]", "169.254.169.254"],
  ["[64:ff9b::a9fe:a9fe]", "169.254.169.254"],
  ["[2002:a9fe:a9fe::1]", "169.254.169.254"],
  ["metadata.google.internal", "metadata.google.internal"],
  ["metadata", "metadata"],
  ["instance-data", "instance-data"],
];

/** An HTTP receiver on 127.0.0.1 that answers 200 "ok" and counts requests. */
async function receiver() {
  const paths: string[] = [];
  const srv = http.createServer((req, res) => {
    paths.push(req.url ?? "");
    req.resume();
    req.on("end", () => res.writeHead(200).end("internal service answer"));
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  return { port: (srv.address() as net.AddressInfo).port, paths, close: () => new Promise<void>((r) => srv.close(() => r())) };
}

const rulesOf = (s: TestServer) => `/api/v1/projects/${s.defaultProjectId}/alert-rules`;
const webhookRule = (url: string) => ({ name: "egress", events: ["issued"], channel: "webhook", webhookUrl: url });

describe("alerts and the egress policy", () => {
  let strict: TestServer;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  beforeAll(async () => {
    hooks = await receiver();
    strict = await startServer();
  });
  afterAll(async () => {
    await strict?.close();
    await hooks?.close();
  });

  it("fail/ a webhook to each refused address class (and metadata name) is refused with 422 naming webhookUrl", async () => {
    for (const [host] of REFUSED) {
      const r = await strict.api("POST", rulesOf(strict), { token: strict.adminToken, body: webhookRule(`http://${host}:8080/hook`) });
      expect(r.status, `${host}: ${JSON.stringify(r.body)}`).toBe(422);
      expect(r.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(r.body.violations).toEqual([expect.objectContaining({ field: "webhookUrl", code: "egress_refused", message: expect.stringMatching(/^Refused by the egress policy: .*Allow it with --egress-allow /) })]);
    }
    const list = await strict.api("GET", rulesOf(strict), { token: strict.adminToken });
    expect(list.body.alertRules).toEqual([]);
  });

  it("fail/ PATCHing a rule to a refused URL is refused too; the rule keeps its URL", async () => {
    const made = await strict.api("POST", rulesOf(strict), { token: strict.adminToken, body: webhookRule("https://hooks.example.com/x") });
    expect(made.status).toBe(200);
    const id = made.body.alertRule.id as string;
    const r = await strict.api("PATCH", `${rulesOf(strict)}/${id}`, { token: strict.adminToken, body: { webhookUrl: "http://[fd00:ec2::254]/latest/meta-data/" } });
    expect(r.status).toBe(422);
    expect(r.body.violations[0]).toMatchObject({ field: "webhookUrl", code: "egress_refused" });
    expect(r.body.violations[0].message).toContain("fd00:ec2::254 is a unique local address");
    expect((await strict.api("GET", `${rulesOf(strict)}/${id}`, { token: strict.adminToken })).body.alertRule.webhookUrl).toBe("https://hooks.example.com/x");
    expect((await strict.api("DELETE", `${rulesOf(strict)}/${id}`, { token: strict.adminToken })).status).toBe(204);
  });

  it("fail/ a name is resolved at delivery: localhost is refused there, logged with the reason and no response status", async () => {
    const made = await strict.api("POST", rulesOf(strict), { token: strict.adminToken, body: webhookRule(`http://localhost:${hooks.port}/by-name`) });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    const t = await strict.api("POST", `${rulesOf(strict)}/${made.body.alertRule.id}/test`, { token: strict.adminToken });
    expect(t.status).toBe(200);
    expect(t.body.delivery).toMatchObject({ status: "pending", attempts: 1, responseStatus: null });
    expect(t.body.delivery.lastError).toMatch(/^Refused by the egress policy: localhost resolves to (127\.0\.0\.1|::1), a loopback address \(RFC 1122\)\. Allow it with --egress-allow (127\.0\.0\.1|::1) /);
    expect(JSON.stringify(t.body)).not.toContain("internal service answer");
    expect(hooks.paths).not.toContain("/by-name");
  });

  it("ok/ every refused class is accepted once allow-listed (configurations only)", async () => {
    const open = await startServer({ args: ["--egress-allow", [...new Set(REFUSED.map(([, a]) => a))].join(",")] });
    try {
      for (const [host] of REFUSED) {
        const r = await open.api("POST", rulesOf(open), { token: open.adminToken, body: webhookRule(`http://${host}:8080/hook`) });
        expect(r.status, `${host}: ${JSON.stringify(r.body)}`).toBe(200);
      }
      // A neighbour of an allowed address is still refused.
      const r = await open.api("POST", rulesOf(open), { token: open.adminToken, body: webhookRule("http://169.254.169.253/") });
      expect(r.status).toBe(422);
    } finally {
      await open.close();
    }
  });
});

describe("a rule stored while allowed, delivered after the allow-list changed", () => {
  it("fail/ the delivery is refused before connecting: no response status or body of the internal service is stored", async () => {
    const hooks = await receiver();
    const db = await freshDatabase();
    try {
      const before = await startServer({ db, args: ["--egress-allow", "127.0.0.1"] });
      const made = await before.api("POST", rulesOf(before), { token: before.adminToken, body: webhookRule(`http://127.0.0.1:${hooks.port}/stored`) });
      expect(made.status).toBe(200);
      const ok = await before.api("POST", `${rulesOf(before)}/${made.body.alertRule.id}/test`, { token: before.adminToken });
      expect(ok.body.delivery).toMatchObject({ status: "delivered", responseStatus: 200 });
      await before.close();

      const after = await startServer({ db });
      try {
        const r = await after.api("POST", `${rulesOf(after)}/${made.body.alertRule.id}/test`, { token: after.adminToken });
        expect(r.body.delivery).toMatchObject({ status: "pending", attempts: 1, responseStatus: null });
        expect(r.body.delivery.lastError).toBe("Refused by the egress policy: 127.0.0.1 is a loopback address (RFC 1122). Allow it with --egress-allow 127.0.0.1 (see docs/egress.md).");
        expect(hooks.paths.filter((p) => p === "/stored")).toHaveLength(1); // the allowed one only
      } finally {
        await after.close();
      }
    } finally {
      await db.drop();
      await hooks.close();
    }
  });
});

describe("email alerts and the egress policy", () => {
  it("fail/ an SMTP relay named by a name that resolves to loopback is refused at send; nothing reaches it", async () => {
    let connections = 0;
    const relay = net.createServer((sock) => {
      connections++;
      sock.end("220 relay\r\n");
    });
    await new Promise<void>((r) => relay.listen(0, "127.0.0.1", r));
    const port = (relay.address() as net.AddressInfo).port;
    const s = await startServer({ args: ["--smtp-url", `smtp://localhost:${port}`, "--smtp-from", "stamp@example.com"] });
    try {
      const made = await s.api("POST", rulesOf(s), { token: s.adminToken, body: { name: "mail", events: ["issued"], channel: "email", emailTo: ["ops@example.com"] } });
      expect(made.status).toBe(200);
      const r = await s.api("POST", `${rulesOf(s)}/${made.body.alertRule.id}/test`, { token: s.adminToken });
      expect(r.body.delivery).toMatchObject({ status: "pending", responseStatus: null });
      expect(r.body.delivery.lastError).toMatch(/^Refused by the egress policy: localhost resolves to (127\.0\.0\.1|::1), a loopback address/);
      expect(connections).toBe(0);
    } finally {
      await s.close();
      await new Promise<void>((r) => relay.close(() => r()));
    }
  });
});
