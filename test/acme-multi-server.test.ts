import { readFileSync } from "node:fs";
import https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseCertificate } from "../src/pki/certificate-parse.js";
import { AcmeClient, acmeKey, firstDer, makeCsr, startHttp01, verifyPemChain, type Http01Server } from "./helpers/acme-client.js";
import { startAcmeEnv, type AcmeEnv } from "./helpers/acme-env.js";
import { dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";

// Two servers behind one public URL (a load balancer): both are configured with A's URL, and a
// client sends each request to A or B in turn with A's URLs in its JWS. Nonces live in the
// database, so a nonce one server gave is good on the other.
describe.skipIf(dbKind !== "postgres")("ACME on two Stamp servers over one PostgreSQL", () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let env: AcmeEnv;
  let b: TestServer;
  let ca: string;
  let http01: Http01Server;
  const agent = new https.Agent({ keepAlive: true, maxSockets: 8 });

  beforeAll(async () => {
    db = await freshDatabase();
    env = await startAcmeEnv({ db });
    b = await startServer({
      db,
      tls: true,
      env: {
        STAMP_PUBLIC_URL: env.s.url,
        STAMP_ACME_HTTP01_PORT: String(env.ports.http01),
        STAMP_ACME_TLS_ALPN01_PORT: String(env.ports.tlsAlpn01),
        STAMP_ACME_DNS_RESOLVER: `127.0.0.1:${env.ports.dns}`,
        STAMP_ACME_ALLOW_PRIVATE_ADDRESSES: "true",
      },
    });
    ca = readFileSync(env.s.tlsCaFile, "utf8");
    http01 = await startHttp01(env.ports.http01);
  });
  afterAll(async () => {
    agent.destroy();
    await http01?.close();
    await b?.close();
    await env?.close();
    await db?.drop();
  });

  /** A client whose requests go to `pick(n)` for the n-th request: "A" or "B". */
  function client(pick: (n: number) => "A" | "B", key = acmeKey()) {
    const sent: ("A" | "B")[] = [];
    const c = new AcmeClient(env.directory, {
      ca,
      agent,
      key,
      route: (u) => {
        const to = pick(sent.length);
        sent.push(to);
        return to === "A" ? u : u.replace(env.s.url, b.url);
      },
    });
    return { c, sent };
  }

  it("fail/ an account deactivated, or its key changed, on A is honoured by B within a second (B caches accounts)", async () => {
    const within = async (ms: number, probe: () => Promise<boolean>) => {
      const start = Date.now();
      for (;;) {
        const began = Date.now() - start;
        if (await probe()) return;
        if (began >= ms) throw new Error(`not honoured within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    // Key change: the account is read (and cached) on B, its key is changed on A.
    const oldKey = acmeKey();
    const onA = client(() => "A", oldKey).c;
    await onA.init();
    expect((await onA.newAccount({}, await env.eab())).status).toBe(201);
    const onB = client(() => "B", oldKey).c;
    await onB.init();
    onB.kid = onA.kid;
    expect((await onB.newOrder(["cached.stamp.test"])).status).toBe(201);
    const newKey = acmeKey();
    expect((await onA.keyChange(newKey)).status).toBe(200);
    const refused = async (c: AcmeClient) => (await c.newOrder(["cached.stamp.test"])).body?.type === "urn:ietf:params:acme:error:unauthorized";
    await within(1000, () => refused(onB));
    const renewed = client(() => "B", newKey).c;
    await renewed.init();
    renewed.kid = onA.kid;
    expect((await renewed.newOrder(["cached.stamp.test"])).status).toBe(201);

    // Deactivation on A: B, which has the account cached, refuses it.
    const off = await client(() => "A", newKey).c;
    await off.init();
    off.kid = onA.kid;
    expect((await off.post(onA.kid!, { status: "deactivated" })).body.status).toBe("deactivated");
    await within(1000, () => refused(renewed));
  });

  it("ok/ a whole order alternating between the servers, each nonce used on the other server: no badNonce", async () => {
    expect(b.url).not.toBe(env.s.url);
    const { c, sent } = client((n) => (n % 2 ? "B" : "A"));
    const dir = await c.init();
    expect(dir.newOrder.startsWith(env.s.url)).toBe(true);
    const acct = await c.newAccount({ contact: ["mailto:lb@stamp.test"] }, await env.eab());
    expect(acct.status, acct.text).toBe(201);
    const o = await c.newOrder(["lb.stamp.test", "lb2.stamp.test"]);
    expect(o.status, o.text).toBe(201);
    await c.authorize(o.body, http01);
    expect((await c.post(o.headers.location, "")).body.status).toBe("ready");
    const csr = await makeCsr(["lb.stamp.test", "lb2.stamp.test"]);
    const f = await c.finalize(o.body, csr.der);
    expect(f.status, f.text).toBe(200);
    expect(f.body.status).toBe("valid");
    const pem = await c.download(f.body.certificate);
    expect(pem.status).toBe(200);
    expect(pem.headers["content-type"]).toMatch(/^application\/pem-certificate-chain/);
    expect((await verifyPemChain(env.rootPem, pem.text)).out).toContain("cert.pem: OK");
    const list = await c.post(`${c.kid}/orders`, "");
    expect(list.body.orders).toContain(o.headers.location);
    // Every answer carries one nonce and every POST spends the previous answer's, so with strict
    // alternation each nonce one server gave was spent on the other.
    expect(c.problems).toEqual([]);
    expect(c.nonces.length).toBeLessThanOrEqual(1);
    expect(sent.filter((s) => s === "A").length).toBeGreaterThanOrEqual(5);
    expect(sent.filter((s) => s === "B").length).toBeGreaterThanOrEqual(5);
    // A nonce spent on A is refused on B.
    const n = await c.nonce();
    expect((await c.post(c.kid!, "", { nonce: n })).status).toBe(200);
    c.nonces.length = 0;
    const replay = await c.post(c.kid!, "", { nonce: n });
    expect(replay.status).toBe(400);
    expect(replay.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(replay.body.type).toBe("urn:ietf:params:acme:error:badNonce");
  });

  it("ok/ two concurrent finalizes of one order, one on each server, issue exactly one certificate", async () => {
    const { c: setup } = client((n) => (n % 2 ? "B" : "A"));
    await setup.init();
    expect((await setup.newAccount({}, await env.eab())).status).toBe(201);
    for (const name of ["race1.stamp.test", "race2.stamp.test", "race3.stamp.test"]) {
      const o = await setup.newOrder([name]);
      expect(o.status, o.text).toBe(201);
      await setup.authorize(o.body, http01);
      const { c: ca1 } = client(() => "A", setup.key);
      const { c: cb1 } = client(() => "B", setup.key);
      await Promise.all([ca1.init(), cb1.init()]);
      ca1.kid = cb1.kid = setup.kid;
      const [csr1, csr2] = await Promise.all([makeCsr([name]), makeCsr([name])]);
      // Nonces first, so both finalizes leave at the same moment.
      const [n1, n2] = [await ca1.nonce(), await cb1.nonce()];
      const [x, y] = await Promise.all([ca1.post(o.body.finalize, { csr: Buffer.from(csr1.der).toString("base64url") }, { nonce: n1 }), cb1.post(o.body.finalize, { csr: Buffer.from(csr2.der).toString("base64url") }, { nonce: n2 })]);
      expect([x.status, y.status], `${x.text} ${y.text}`).toEqual([200, 200]);
      expect([x.body.status, y.body.status]).toContain("valid");
      let order = (await setup.post(o.headers.location, "")).body;
      for (let i = 0; i < 40 && order.status !== "valid"; i++) {
        await new Promise((r) => setTimeout(r, 250));
        order = (await setup.post(o.headers.location, "")).body;
      }
      expect(order.status).toBe("valid");
      for (const r of [x, y]) if (r.body.certificate) expect(r.body.certificate).toBe(order.certificate);
      const list = await env.s.api("GET", `/api/v1/cert-manager/certificates?projectId=${env.s.defaultProjectId}&search=${name}&limit=50`, { token: env.s.adminToken });
      expect(list.status, JSON.stringify(list.body)).toBe(200);
      const certs = list.body.certificates.filter((cert: { commonName: string; subjectAlternativeNames: { value: string }[] }) => cert.commonName === name || cert.subjectAlternativeNames.some((a) => a.value === name));
      expect(certs).toHaveLength(1);
      const pem = await setup.download(order.certificate);
      expect(pem.status).toBe(200);
      expect(parseCertificate(firstDer(pem.text)).serialHex.replace(/^(00)+/, "")).toBe(certs[0].serialNumber.toLowerCase().replace(/^(00)+/, "").replace(/:/g, ""));
      expect(setup.problems.concat(ca1.problems, cb1.problems)).toEqual([]);
    }
  });
});
