import dgram from "node:dgram";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createVa } from "./va.js";

// A tiny authoritative DNS server on 127.0.0.1 (RFC 1035 §4.1): answers TXT queries from a
// table, NXDOMAIN for unknown names, SERVFAIL or silence where a test asks for it.
type Zone = Record<string, { txt?: string[][]; rcode?: number; silent?: boolean }>;
const zone: Zone = {
  "_acme-challenge.example.test": { txt: [["LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0"]] },
  "_acme-challenge.split.example.test": { txt: [["other"], ["LoqXcYV8q5ONbJQx", "bmR7SCTNo3tiAXDfowyjxAjEuX0"]] },
  "_acme-challenge.wrong.example.test": { txt: [["not-the-digest"]] },
  "_acme-challenge.empty.example.test": { txt: [] },
  "_acme-challenge.broken.example.test": { rcode: 2 },
  "_acme-challenge.silent.example.test": { silent: true },
};
const DIGEST = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
const queries: string[] = [];
let server: dgram.Socket;
let port: number;

function answer(q: Buffer): Buffer | null {
  let off = 12;
  const labels: string[] = [];
  while (q[off] !== 0) {
    labels.push(q.subarray(off + 1, off + 1 + q[off]).toString("ascii"));
    off += q[off] + 1;
  }
  const qtype = q.readUInt16BE(off + 1);
  const question = q.subarray(12, off + 5);
  const name = labels.join(".").toLowerCase();
  queries.push(name);
  const entry = zone[name];
  if (entry?.silent) return null;
  const rcode = entry ? (entry.rcode ?? 0) : 3; // 3 = NXDOMAIN
  const records = rcode === 0 && qtype === 16 ? (entry?.txt ?? []) : [];
  const answers = records.map((chunks) => {
    const rdata = Buffer.concat(chunks.map((c) => Buffer.concat([Buffer.from([c.length]), Buffer.from(c, "ascii")])));
    const rr = Buffer.alloc(12);
    rr.writeUInt16BE(0xc00c, 0); // name: pointer to the question
    rr.writeUInt16BE(16, 2); // TXT
    rr.writeUInt16BE(1, 4); // IN
    rr.writeUInt32BE(60, 6);
    rr.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([rr, rdata]);
  });
  const header = Buffer.alloc(12);
  header.writeUInt16BE(q.readUInt16BE(0), 0);
  header.writeUInt16BE(0x8000 | 0x0400 | (q.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2); // QR AA RD RA rcode
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  return Buffer.concat([header, question, ...answers]);
}

beforeAll(async () => {
  server = dgram.createSocket("udp4");
  server.on("message", (msg, rinfo) => {
    const out = answer(msg);
    if (out) server.send(out, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => server.bind(0, "127.0.0.1", r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.close());

const va = (extra: Record<string, unknown> = {}) => createVa({ dnsServer: { host: "127.0.0.1", port }, timeoutMs: 1000, retries: 0, ...extra });
const dns = (value: string) => ({ type: "dns", value }) as const;

describe("dns-01 (RFC 8555 §8.4)", () => {
  it("ok/ the digest is in a TXT record", async () => {
    const r = await va().dns01(dns("example.test"), DIGEST);
    expect(r).toEqual({ ok: true, record: { name: "_acme-challenge.example.test", server: `127.0.0.1:${port}`, records: 1 } });
  });

  it("ok/ any of several records, chunks joined (RFC 1035 character-strings)", async () => {
    expect((await va().dns01(dns("split.example.test"), DIGEST)).ok).toBe(true);
  });

  it("ok/ a wildcard identifier is validated at the base name", async () => {
    queries.length = 0;
    expect((await va().dns01(dns("*.example.test"), DIGEST)).ok).toBe(true);
    expect(queries).toEqual(["_acme-challenge.example.test"]);
  });

  it("fail/ NXDOMAIN is unauthorized", async () => {
    const r = await va().dns01(dns("missing.example.test"), DIGEST);
    expect(r).toEqual({ ok: false, problem: { type: "unauthorized", detail: "No TXT record found at _acme-challenge.missing.example.test." } });
  });

  it("fail/ a name without TXT records is unauthorized", async () => {
    expect(await va().dns01(dns("empty.example.test"), DIGEST)).toMatchObject({ ok: false, problem: { type: "unauthorized" } });
  });

  it("fail/ a wrong value is incorrectResponse naming it", async () => {
    const r = await va().dns01(dns("wrong.example.test"), DIGEST);
    expect(r).toMatchObject({ ok: false, problem: { type: "incorrectResponse" } });
    expect(!r.ok && r.problem.detail).toContain('"not-the-digest"');
  });

  it("fail/ SERVFAIL is a dns problem, retried", async () => {
    queries.length = 0;
    const sleeps: number[] = [];
    const r = await va({ retries: 2, sleep: async (ms: number) => void sleeps.push(ms) }).dns01(dns("broken.example.test"), DIGEST);
    expect(r).toMatchObject({ ok: false, problem: { type: "dns" } });
    expect(queries.filter((q) => q === "_acme-challenge.broken.example.test").length).toBe(3);
    expect(sleeps).toEqual([250, 500]);
  });

  it("fail/ a silent server is a dns timeout within the bound", async () => {
    const t0 = performance.now();
    const r = await va({ timeoutMs: 300 }).dns01(dns("silent.example.test"), DIGEST);
    expect(r).toMatchObject({ ok: false, problem: { type: "dns" } });
    expect(!r.ok && r.problem.detail).toContain("timed out");
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it("fail/ IP identifiers and malformed names", async () => {
    expect(await va().dns01({ type: "ip", value: "127.0.0.1" }, DIGEST)).toMatchObject({ ok: false, problem: { type: "malformed" } });
    expect(await va().dns01(dns("bad name"), DIGEST)).toMatchObject({ ok: false, problem: { type: "malformed" } });
  });
});
