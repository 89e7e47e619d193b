import { readFileSync } from "node:fs";
import https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AcmeClient, acmeKey } from "./helpers/acme-client.js";
import { startAcmeEnv, type AcmeEnv } from "./helpers/acme-env.js";

// The per-address limit on ACME POSTs, shared by every server, counted as each request's nonce is used.
const LIMIT = 10;
let env: AcmeEnv;
let ca: string;
const agent = new https.Agent({ keepAlive: true, maxSockets: 4 });

beforeAll(async () => {
  env = await startAcmeEnv({ env: { STAMP_ACME_REQUESTS_PER_MINUTE: String(LIMIT) } });
  ca = readFileSync(env.s.tlsCaFile, "utf8");
});
afterAll(async () => {
  agent.destroy();
  await env?.close();
});

describe("ACME per-address rate limit", () => {
  it("fail/ past the limit every POST is rateLimited (429, Retry-After), malformed ones counted too", async () => {
    const c = new AcmeClient(env.directory, { ca, agent, key: acmeKey() });
    await c.init();
    const r = await c.newAccount({ contact: ["mailto:ops@stamp.test"] }, await env.eab());
    expect(r.status, r.text).toBe(201);
    // Requests 2..LIMIT: good ones and a JSON body that is no JWS (still counted).
    const garbage = await c.call("POST", c.kid!, { not: "a JWS" });
    expect(garbage.status, garbage.text).toBe(400);
    expect(garbage.body.type).toBe("urn:ietf:params:acme:error:malformed");
    for (let i = 3; i <= LIMIT; i++) expect((await c.post(c.kid!, "")).status).toBe(200);
    const over = await c.post(c.kid!, "");
    expect(over.status, over.text).toBe(429);
    expect(over.body.type).toBe("urn:ietf:params:acme:error:rateLimited");
    expect(over.body.detail).toMatch(/at most 10 a minute/);
    expect(Number(over.headers["retry-after"])).toBeGreaterThanOrEqual(1);
    expect(Number(over.headers["retry-after"])).toBeLessThanOrEqual(60);
    expect((await c.call("POST", c.kid!, { still: "not a JWS" })).status).toBe(429);
  });
});
