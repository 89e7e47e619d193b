import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKind, startServer, type TestServer } from "./helpers/harness.js";
import { makeCsr } from "./helpers/acme-client.js";
import { toPem } from "../src/pki/pem.js";

// 10,000 mutated valid EST bodies, posted in-process (fastify inject): every answer is a 4xx or
// a 200, never a 5xx, and the server still answers afterwards (issue 10). Seeded, so a failure
// reproduces; one store is enough (the parsers under test do not touch it).
const RUNS = 10_000;
const PROFILES = "/api/v1/cert-manager/certificate-profiles";

/** mulberry32: a small seeded PRNG. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe.skipIf(dbKind !== "pglite")("EST fuzz: mutated enrollment bodies", () => {
  let s: TestServer;
  let label: string;
  let passphrase: string;
  let valid: Uint8Array;
  beforeAll(async () => {
    s = await startServer();
    const t = s.adminToken;
    const p = s.defaultProjectId;
    const ca = await s.api("POST", "/api/v1/cert-manager/ca/internal", { token: t, body: { projectId: p, name: "fuzz-ca", configuration: { type: "root", commonName: "Fuzz CA", keyAlgorithm: "EC_prime256v1" } } });
    const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: "fuzz-tpl", preset: "tls-server" } });
    const prof = await s.api("POST", PROFILES, { token: t, body: { projectId: p, slug: "fuzz", templateId: tpl.body.certificateTemplate.id, caId: ca.body.id, enrollmentMethods: ["est"] } });
    expect(prof.status, JSON.stringify(prof.body)).toBe(200);
    label = prof.body.certificateProfile.id;
    passphrase = (await s.api("POST", `${PROFILES}/${label}/est/passphrase`, { token: t })).body.passphrase;
    valid = (await makeCsr(["fuzz.example.com"])).der;
  });
  afterAll(async () => {
    await s?.close();
  });

  it(`fail/ ${RUNS} mutated bodies, headers and operations: no 5xx, no crash`, async () => {
    const rnd = prng(0x5e57);
    const int = (n: number) => Math.floor(rnd() * n);
    const basic = `Basic ${Buffer.from(`est:${passphrase}`).toString("base64")}`;
    const statuses = new Map<number, number>();
    const bad: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      let der = Buffer.from(valid);
      // One to three structural mutations of the DER: flips, truncation, insertion, duplication, length bytes.
      for (let m = 1 + int(3); m > 0; m--) {
        const at = int(der.length);
        switch (int(6)) {
          case 0:
            der[at] ^= 1 << int(8);
            break;
          case 1:
            der = der.subarray(0, at);
            break;
          case 2:
            der = Buffer.concat([der.subarray(0, at), Buffer.from(Array.from({ length: 1 + int(8) }, () => int(256))), der.subarray(at)]);
            break;
          case 3:
            der = Buffer.concat([der.subarray(0, at), der.subarray(int(der.length)), der.subarray(at)]);
            break;
          case 4:
            if (der.length > 2) der[1 + int(Math.min(4, der.length - 1))] = int(256);
            break;
          default:
            der[at] = [0x00, 0x30, 0x80, 0xff, 0x06, 0x02][int(6)];
        }
      }
      const enc = int(20);
      const body = enc < 14 ? der.toString("base64") : enc < 17 ? toPem(der, "CERTIFICATE REQUEST") : enc < 19 ? der : Buffer.from(der.toString("latin1").replace(/[\x00-\x08]/g, "-"));
      const type = int(10) ? "application/pkcs10" : ["application/pkcs10; charset=utf-8", "application/json", "text/plain", "", "application/pkcs7-mime"][int(5)];
      const op = ["simpleenroll", "simpleenroll", "serverkeygen", "simplereenroll", "csrattrs"][int(5)];
      const auth = int(8) ? basic : ["Basic", "Basic !!!", `Basic ${Buffer.from("no-colon").toString("base64")}`, "Bearer x", `Basic ${Buffer.from(`est:${passphrase}x`).toString("base64")}`][int(5)];
      const res = await s.server.app.inject({ method: op === "csrattrs" && int(2) ? "GET" : "POST", url: `/.well-known/est/${int(20) ? label : "%00"}/${op}`, headers: { ...(type ? { "content-type": type } : {}), authorization: auth }, payload: body });
      statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
      if (res.statusCode >= 500 && bad.length < 5) bad.push(`#${i} ${op} ${type} → ${res.statusCode}: ${res.body.slice(0, 200)}`);
    }
    expect(bad).toEqual([]);
    // The mutations reached the CSR parser (400) and not only the transport's checks.
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 2);
    const after = await s.server.app.inject({ method: "GET", url: `/.well-known/est/${label}/cacerts` });
    expect(after.statusCode).toBe(200);
  });
});
