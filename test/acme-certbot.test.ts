import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startAcmeEnv, type AcmeEnv } from "./helpers/acme-env.js";
import { pemBlocks } from "./helpers/acme-webroot.js";
import { verifyChain } from "./helpers/openssl.js";

let env: AcmeEnv;
beforeAll(async () => {
  env = await startAcmeEnv();
});
afterAll(async () => env?.close());

/** certbot with Stamp's TLS CA trusted and its state under the env's temp dir. */
async function certbot(args: string[]) {
  const base = path.join(env.dir, "certbot");
  return run("certbot", [...args, "--non-interactive", "--config-dir", path.join(base, "config"), "--work-dir", path.join(base, "work"), "--logs-dir", path.join(base, "logs")], {
    env: { REQUESTS_CA_BUNDLE: env.s.tlsCaFile },
    timeoutMs: 120_000,
  });
}
const live = (name: string, file: string) => realpathSync(path.join(env.dir, "certbot", "config", "live", name, file));
/** The leaf and the chain certbot saved, verified up to the root by OpenSSL. */
function verifyLive(name: string) {
  const leaf = readFileSync(live(name, "cert.pem"), "utf8");
  const chain = pemBlocks(readFileSync(live(name, "chain.pem"), "utf8")).join("");
  return verifyChain(env.rootPem, chain, leaf, ["-purpose", "sslserver"]).out;
}

describe("certbot against Stamp's ACME server", () => {
  it("ok/ http-01 (standalone) with EAB: issue, force-renew, revoke", { timeout: 150_000 }, async () => {
    const eab = await env.eab();
    const name = "certbot.stamp.test";
    // "--opt=value": a base64url HMAC key may start with "-", which argparse would take for an option.
    const http = ["--standalone", "--http-01-address", "127.0.0.1", "--http-01-port", String(env.ports.http01), "--server", env.directory];
    const first = await certbot(["certonly", ...http, "--agree-tos", "-m", "ops@stamp.test", `--eab-kid=${eab.keyId}`, `--eab-hmac-key=${eab.hmacKey}`, "-d", name]);
    expect(first.code, first.out).toBe(0);
    expect(verifyLive(name)).toContain("cert.pem: OK");
    const cert1 = readFileSync(live(name, "cert.pem"), "utf8");

    const renewed = await certbot(["renew", "--force-renewal", "--no-random-sleep-on-renew", "--cert-name", name]);
    expect(renewed.code, renewed.out).toBe(0);
    const cert2 = readFileSync(live(name, "cert.pem"), "utf8");
    expect(cert2).not.toBe(cert1);
    expect(verifyLive(name)).toContain("cert.pem: OK");

    const revoked = await certbot(["revoke", "--cert-path", live(name, "cert.pem"), "--reason", "superseded", "--server", env.directory, "--no-delete-after-revoke"]);
    expect(revoked.code, revoked.out).toBe(0);
    expect(revoked.out).toContain("Congratulations! You have successfully revoked");
    const again = await certbot(["revoke", "--cert-path", live(name, "cert.pem"), "--server", env.directory, "--no-delete-after-revoke"]);
    expect(again.code).not.toBe(0);
    // certbot 2.1 on Python 3.11 prints "AttributeError: can't set attribute" over ACME errors; its log has the problem.
    expect(readFileSync(path.join(env.dir, "certbot", "logs", "letsencrypt.log"), "utf8")).toContain("urn:ietf:params:acme:error:alreadyRevoked");
  });
});
