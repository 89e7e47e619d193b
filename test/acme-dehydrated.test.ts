import { mkdirSync, readFileSync, realpathSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startAcmeEnv, type AcmeEnv } from "./helpers/acme-env.js";
import { pemBlocks, startWebroot } from "./helpers/acme-webroot.js";
import { verifyChain } from "./helpers/openssl.js";

let env: AcmeEnv;
let web: Awaited<ReturnType<typeof startWebroot>>;
beforeAll(async () => {
  env = await startAcmeEnv();
  web = await startWebroot(path.join(env.dir, "www"), env.ports.http01);
});
afterAll(async () => {
  await web?.close();
  await env?.close();
});

const base = () => path.join(env.dir, "dehydrated");
/** dehydrated with a config naming Stamp's directory, an EAB key and the webroot; curl trusts Stamp's TLS CA. */
async function dehydrated(args: string[]) {
  return run("dehydrated", ["--config", path.join(env.dir, "dehydrated.conf"), ...args], { env: { CURL_CA_BUNDLE: env.s.tlsCaFile }, timeoutMs: 90_000 });
}
const live = (name: string, file: string) => realpathSync(path.join(base(), "certs", name, file));
/** The leaf and the chain dehydrated saved, verified up to the root by OpenSSL. */
function verifySaved(name: string) {
  const chain = pemBlocks(readFileSync(live(name, "chain.pem"), "utf8")).join("");
  return verifyChain(env.rootPem, chain, readFileSync(live(name, "cert.pem"), "utf8"), ["-purpose", "sslserver"]).out;
}

describe("dehydrated against Stamp's ACME server", () => {
  it("ok/ http-01 (webroot) with EAB: register, issue, force-renew, revoke", { timeout: 150_000 }, async () => {
    const eab = await env.eab();
    const name = "dehydrated.stamp.test";
    writeFileSync(
      path.join(env.dir, "dehydrated.conf"),
      [
        `CA="${env.directory}"`,
        `BASEDIR="${base()}"`,
        `WELLKNOWN="${web.challengeDir}"`,
        `CHALLENGETYPE="http-01"`,
        `CONTACT_EMAIL="ops@stamp.test"`,
        `EAB_KID="${eab.keyId}"`,
        `EAB_HMAC_KEY="${eab.hmacKey}"`,
        `KEY_ALGO="prime256v1"`,
        "",
      ].join("\n"),
    );
    mkdirSync(base(), { recursive: true });
    const reg = await dehydrated(["--register", "--accept-terms"]);
    expect(reg.code, reg.out).toBe(0);

    const first = await dehydrated(["-c", "-d", name]);
    expect(first.code, first.out).toBe(0);
    expect(verifySaved(name)).toContain("cert.pem: OK");
    const cert1 = readFileSync(live(name, "cert.pem"), "utf8");

    const renewed = await dehydrated(["-c", "-d", name, "--force"]);
    expect(renewed.code, renewed.out).toBe(0);
    expect(readFileSync(live(name, "cert.pem"), "utf8")).not.toBe(cert1);
    expect(verifySaved(name)).toContain("cert.pem: OK");

    const certPath = live(name, "cert.pem");
    const copy = path.join(env.dir, "dehydrated-revoked.pem");
    writeFileSync(copy, readFileSync(certPath));
    const revoked = await dehydrated(["-r", certPath]);
    expect(revoked.code, revoked.out).toBe(0);
    expect(revoked.out).toContain("Done.");
    const again = await dehydrated(["-r", copy]);
    expect(again.code).not.toBe(0);
    expect(again.out).toContain("alreadyRevoked");
  });
});
