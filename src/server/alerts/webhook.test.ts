import http from "node:http";
import type net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEgress, refusalOf } from "../va/egress.js";
import { postWebhook } from "./webhook.js";

// Only 127.0.0.1 is ever connected to; every name is answered by an injected resolver.
describe("webhook delivery through the egress policy", () => {
  let srv: http.Server;
  let port: number;
  const hits: { path: string; host: string; body: string }[] = [];
  beforeAll(async () => {
    srv = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        hits.push({ path: req.url ?? "", host: req.headers.host ?? "", body: Buffer.concat(chunks).toString("utf8") });
        if (req.url === "/redirect") res.writeHead(307, { location: `http://127.0.0.1:${port}/elsewhere` }).end();
        else res.writeHead(202).end("internal secrets");
      });
    });
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    port = (srv.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => srv.close(() => r())));
  const sent = (p: string) => hits.filter((h) => h.path === p);

  it("fail/ DNS rebinding: a name the resolver answers with 127.0.0.1 is refused at connect time; nothing is sent", async () => {
    const egress = createEgress({ resolveHost: async () => ["127.0.0.1"] });
    const err = await postWebhook(egress, `http://rebind.example.test:${port}/rebind`, "{}", {}).catch((e: Error) => e);
    expect(refusalOf(err)).toMatchObject({ host: "rebind.example.test", address: "127.0.0.1" });
    expect((err as Error).message).toBe("Refused by the egress policy: rebind.example.test resolves to 127.0.0.1, a loopback address (RFC 1122). Allow it with --egress-allow 127.0.0.1 (see docs/egress.md).");
    expect(sent("/rebind")).toHaveLength(0);
  });

  it("fail/ rebinding between deliveries: each delivery resolves once, connects to what it vetted, and is judged on its own answer", async () => {
    let n = 0;
    // 127.0.0.2 stands for the "good" first answer (allow-listed; nothing listens there), 127.0.0.1
    // for the rebound one. The first delivery goes to 127.0.0.2 (refused by the kernel, not by the
    // policy), proving the connection is made to the vetted address without a second resolution.
    const answers = [["127.0.0.2"], ["127.0.0.1"]];
    const egress = createEgress({ allow: ["127.0.0.2"], resolveHost: async () => answers[n++] });
    await expect(postWebhook(egress, `http://flip.example.test:${port}/flip`, "{}", {})).rejects.toMatchObject({ code: "ECONNREFUSED" });
    expect(n).toBe(1);
    await expect(postWebhook(egress, `http://flip.example.test:${port}/flip`, "{}", {})).rejects.toMatchObject({ code: "EGRESS_REFUSED", refusal: { address: "127.0.0.1" } });
    expect(n).toBe(2);
    expect(sent("/flip")).toHaveLength(0);
  });

  it.each(["127.0.0.1", "0x7f000001", "2130706433", "127.1", "[::ffff:127.0.0.1]"])("fail/ the literal %s is refused without a connection", async (host) => {
    const err = await postWebhook(createEgress(), `http://${host}:${port}/literal`, "{}", {}).catch((e: Error) => e);
    expect(refusalOf(err)?.address).toMatch(/127\.0\.0\.1$|^::ffff:7f00:1$/);
    expect(sent("/literal")).toHaveLength(0);
  });

  it("ok/ an allow-listed destination is delivered to, with the URL's Host header; the body is not returned", async () => {
    const byCidr = createEgress({ allow: ["127.0.0.0/8"], resolveHost: async () => ["127.0.0.1"] });
    expect(await postWebhook(byCidr, `http://hooks.example.test:${port}/ok`, '{"a":1}', { "content-type": "application/json" })).toEqual({ status: 202 });
    const byName = createEgress({ allow: ["*.example.test"], resolveHost: async () => ["127.0.0.1"] });
    expect(await postWebhook(byName, `http://hooks.example.test:${port}/ok`, '{"a":2}', {})).toEqual({ status: 202 });
    expect(sent("/ok").map((h) => [h.host, h.body])).toEqual([
      [`hooks.example.test:${port}`, '{"a":1}'],
      [`hooks.example.test:${port}`, '{"a":2}'],
    ]);
  });

  it("ok/ a redirect is not followed: the 3xx is the answer", async () => {
    const egress = createEgress({ allow: ["127.0.0.1"] });
    expect(await postWebhook(egress, `http://127.0.0.1:${port}/redirect`, "{}", {})).toEqual({ status: 307 });
    expect(sent("/elsewhere")).toHaveLength(0);
  });
});
