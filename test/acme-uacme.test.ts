import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startAcmeEnv, type AcmeEnv } from "./helpers/acme-env.js";
import { pemBlocks, startWebroot } from "./helpers/acme-webroot.js";
import { verifyChain } from "./helpers/openssl.js";

let env: AcmeEnv;
let web: Awaited<ReturnType<typeof startWebroot>>;
let bundle: string;
let hook: string;
beforeAll(async () => {
  env = await startAcmeEnv();
  web = await startWebroot(path.join(env.dir, "www"), env.ports.http01);
  // uacme (libcurl) has no CA-file option: the system bundle plus Stamp's TLS CA, bind-mounted over the system one.
  bundle = path.join(env.dir, "ca-bundle.crt");
  writeFileSync(bundle, readFileSync("/etc/ssl/certs/ca-certificates.crt", "utf8") + "\n" + readFileSync(env.s.tlsCaFile, "utf8"));
  // The uacme.sh hook protocol: method type ident token auth; http-01 files go to the webroot.
  hook = path.join(env.dir, "uacme-hook.sh");
  writeFileSync(hook, `#!/bin/sh\n[ "$2" = http-01 ] || exit 1\ncase "$1" in\n  begin) printf %s "$5" > "${web.challengeDir}/$4" ;;\n  done|failed) rm -f "${web.challengeDir}/$4" ;;\nesac\n`);
  chmodSync(hook, 0o755);
});
afterAll(async () => {
  await web?.close();
  await env?.close();
});

/** uacme in a private mount namespace where the system CA bundle also trusts Stamp's TLS CA. */
async function uacme(args: string[]) {
  const script = 'mount --bind "$1" /etc/ssl/certs/ca-certificates.crt && shift && exec uacme "$@"';
  return run("unshare", ["-m", "sh", "-c", script, "sh", bundle, "-v", "-a", env.directory, "-c", path.join(env.dir, "uacme"), ...args], { timeoutMs: 90_000 });
}
const certFile = (name: string) => path.join(env.dir, "uacme", name, "cert.pem");
/** The leaf and the chain uacme saved (one file, leaf first), verified up to the root by OpenSSL. */
function verifySaved(name: string) {
  const blocks = pemBlocks(readFileSync(certFile(name), "utf8"));
  return verifyChain(env.rootPem, blocks.slice(1).join(""), blocks[0]!, ["-purpose", "sslserver"]).out;
}

describe("uacme against Stamp's ACME server", () => {
  it("ok/ http-01 (hook + webroot) with EAB: issue, force-renew, revoke", { timeout: 150_000 }, async () => {
    const eab = await env.eab();
    const name = "uacme.stamp.test";
    const created = await uacme(["-y", "-e", `${eab.keyId}:${eab.hmacKey}`, "new", "ops@stamp.test"]);
    expect(created.code, created.out).toBe(0);

    const first = await uacme(["-h", hook, "issue", name]);
    expect(first.code, first.out).toBe(0);
    expect(verifySaved(name)).toContain("cert.pem: OK");
    const cert1 = readFileSync(certFile(name), "utf8");

    const renewed = await uacme(["-f", "-h", hook, "issue", name]);
    expect(renewed.code, renewed.out).toBe(0);
    expect(readFileSync(certFile(name), "utf8")).not.toBe(cert1);
    expect(verifySaved(name)).toContain("cert.pem: OK");

    // uacme renames a certificate it revoked: ask again with a copy, which the server refuses.
    const copy = path.join(env.dir, "uacme-revoked.pem");
    writeFileSync(copy, readFileSync(certFile(name)));
    const revoked = await uacme(["-r", "4", "revoke", certFile(name)]);
    expect(revoked.code, revoked.out).toBe(0);
    const again = await uacme(["revoke", copy]);
    expect(again.code).not.toBe(0);
    expect(again.out).toContain("alreadyRevoked");
  });
});
