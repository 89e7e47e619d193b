import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run, startAcmeEnv, type AcmeEnv } from "./helpers/acme-env.js";

// Debian's python3-acme (the library certbot is built on), run by the system Python: the
// pyenv python3 on PATH does not have it.
const PYTHON = "/usr/bin/python3";
const SCRIPT = path.resolve(import.meta.dirname, "python/acme_account.py");

describe("python-acme (Debian python3-acme)", () => {
  let env: AcmeEnv;
  beforeAll(async () => {
    env = await startAcmeEnv({ eabRequired: true });
  });
  afterAll(async () => env?.close());

  it("ok/ creates an account with EAB, reads it back by re-sending it, updates and deactivates it", async () => {
    const eab = await env.eab();
    const r = await run(PYTHON, [SCRIPT, env.directory, env.s.tlsCaFile, eab.keyId, eab.hmacKey], { timeoutMs: 60_000 });
    expect(r.code, r.out).toBe(0);
    const out = JSON.parse(r.out.trim().split("\n").pop()!);
    expect(out.created.uri).toMatch(/\/account\/[0-9a-f-]{36}$/);
    expect(out.created.status).toBe("valid");
    expect(out.created.contact).toEqual(["mailto:py@stamp.test"]);
    // RFC 8555 §7.1.2: the account object carries no externalAccountBinding of the server's making.
    expect(out.created.body).not.toHaveProperty("externalAccountBinding");
    expect(out.queried).toEqual({ uri: out.created.uri, status: "valid" });
    expect(out.updated.contact).toEqual(["mailto:py2@stamp.test"]);
    expect(out.deactivated.status).toBe("deactivated");
    expect(out.after.error).toBe("urn:ietf:params:acme:error:unauthorized");

    // The account is bound to the EAB key on the server, and the key cannot bind another.
    const keys = await env.s.api("GET", `/api/v1/cert-manager/certificate-profiles/${env.profileId}/acme/eab-keys`, { token: env.s.adminToken });
    const bound = keys.body.eabKeys.find((k: { keyId: string }) => k.keyId === eab.keyId);
    expect(bound.accountId).toBe(out.created.uri.split("/").pop());
  });

  it("fail/ without EAB on a profile that requires it, python-acme gets externalAccountRequired", async () => {
    const r = await run(PYTHON, [SCRIPT, env.directory, env.s.tlsCaFile], { timeoutMs: 60_000 });
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("externalAccountRequired");
  });
});
