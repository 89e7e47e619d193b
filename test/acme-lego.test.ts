import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startAcmeEnv, type AcmeEnv } from "./helpers/acme-env.js";
import { verifyChain } from "./helpers/openssl.js";

let env: AcmeEnv;
beforeAll(async () => {
  env = await startAcmeEnv();
});
afterAll(async () => env?.close());

/** lego with Stamp's TLS CA trusted and an EAB key. */
async function lego(args: string[], eab: { keyId: string; hmacKey: string }, extraEnv: Record<string, string> = {}) {
  return run("lego", ["--server", env.directory, "--accept-tos", "--email", "ops@stamp.test", "--eab", "--kid", eab.keyId, "--hmac", eab.hmacKey, "--path", path.join(env.dir, `lego-${eab.keyId}`), ...args], {
    env: { LEGO_CA_CERTIFICATES: env.s.tlsCaFile, ...extraEnv },
    timeoutMs: 90_000,
  });
}
function issued(eab: { keyId: string }, name: string) {
  const dir = path.join(env.dir, `lego-${eab.keyId}`, "certificates");
  return readFileSync(path.join(dir, `${name}.crt`), "utf8");
}
/** The leaf and the chain of a lego bundle, verified up to the root by OpenSSL. */
function verifyBundle(bundle: string) {
  const blocks = bundle.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n?/g)!;
  return verifyChain(env.rootPem, blocks.slice(1).join(""), blocks[0], ["-purpose", "sslserver"]).out;
}

describe("lego against Stamp's ACME server", () => {
  it("ok/ http-01: issue, renew, revoke", async () => {
    const eab = await env.eab();
    const http = ["--domains", "web.stamp.test", "--http", "--http.port", `127.0.0.1:${env.ports.http01}`];
    const first = await lego([...http, "run"], eab);
    expect(first.code, first.out).toBe(0);
    expect(verifyBundle(issued(eab, "web.stamp.test"))).toContain("cert.pem: OK");
    const serial1 = issued(eab, "web.stamp.test");
    const renewed = await lego([...http, "renew", "--days", "3650", "--no-random-sleep"], eab);
    expect(renewed.code, renewed.out).toBe(0);
    expect(issued(eab, "web.stamp.test")).not.toBe(serial1);
    expect(verifyBundle(issued(eab, "web.stamp.test"))).toContain("cert.pem: OK");
    const revoked = await lego([...http, "revoke"], eab);
    expect(revoked.code, revoked.out).toBe(0);
  });

  it("ok/ dns-01 through pebble-challtestsrv (exec provider), including a wildcard", { timeout: 150_000 }, async () => {
    const eab = await env.eab();
    const r = await lego(["--domains", "*.stamp.test", "--domains", "stamp.test", "--dns", "exec", "--dns.resolvers", `127.0.0.1:${env.ports.dns}`, "--dns.disable-cp", "run"], eab, { EXEC_PATH: path.join(env.dir, "dns-hook.sh"), EXEC_POLLING_INTERVAL: "1", EXEC_PROPAGATION_TIMEOUT: "10", EXEC_SEQUENCE_INTERVAL: "1" });
    expect(r.code, r.out).toBe(0);
    expect(verifyBundle(issued(eab, "_.stamp.test"))).toContain("cert.pem: OK");
  });

  it("ok/ tls-alpn-01", async () => {
    const eab = await env.eab();
    const r = await lego(["--domains", "alpn.stamp.test", "--tls", "--tls.port", `127.0.0.1:${env.ports.tlsAlpn01}`, "run"], eab);
    expect(r.code, r.out).toBe(0);
    expect(verifyBundle(issued(eab, "alpn.stamp.test"))).toContain("cert.pem: OK");
  });

  it("fail/ without EAB the account is refused with externalAccountRequired; a wrong HMAC is refused", async () => {
    const noEab = await run("lego", ["--server", env.directory, "--accept-tos", "--email", "ops@stamp.test", "--path", path.join(env.dir, "lego-none"), "--domains", "x.stamp.test", "--http", "--http.port", `127.0.0.1:${env.ports.http01}`, "run"], { env: { LEGO_CA_CERTIFICATES: env.s.tlsCaFile } });
    expect(noEab.code).not.toBe(0);
    // lego reads meta.externalAccountRequired from the directory and stops before asking.
    expect(noEab.out).toContain("Server requires External Account Binding");
    const eab = await env.eab();
    const wrong = await lego(["--domains", "x.stamp.test", "--http", "--http.port", `127.0.0.1:${env.ports.http01}`, "run"], { keyId: eab.keyId, hmacKey: Buffer.alloc(32, 7).toString("base64url") });
    expect(wrong.code).not.toBe(0);
    expect(wrong.out).toContain("unauthorized");
  });

  it("fail/ a name the template forbids is refused with rejectedIdentifier", async () => {
    const eab = await env.eab();
    const r = await lego(["--domains", "evil.example.com", "--http", "--http.port", `127.0.0.1:${env.ports.http01}`, "run"], eab);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("rejectedIdentifier");
  });
});
