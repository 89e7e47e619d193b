import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConfigError, parseAgentConfig } from "./config.js";

const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-agent-config-"));
writeFileSync(path.join(dir, "secret"), "s3cret\n");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const yaml = (over: string) => `server: http://127.0.0.1:1
auth: { clientId: 6f1c2a8e-1111-4222-8333-944445555666, clientSecretFile: secret }
interval: 1m
certificates:
  - name: web
    profile: web
    commonName: web.acme.com
    altNames: ["dns:web.acme.com", "ip:10.0.0.1"]
    files: { certificate: web.pem, privateKey: web.key }
${over}`;
const parse = (text: string, env: Record<string, string> = {}) => parseAgentConfig(text, path.join(dir, "agent.yaml"), env);
const fieldOf = (text: string, env: Record<string, string> = {}) => {
  try {
    parse(text, env);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).field;
  }
  throw new Error("expected a ConfigError");
};

describe("ok/ agent config", () => {
  it("defaults and resolved paths", () => {
    const c = parse(yaml(""));
    expect(c.clientSecret).toBe("s3cret");
    expect(c.intervalMs).toBe(60_000);
    expect(c.stateFile).toBe(path.join(dir, "agent.state.json"));
    const x = c.certificates[0];
    expect(x).toMatchObject({ keyAlgorithm: "EC_prime256v1", keyMode: "local", renewBefore: { percent: 33 } });
    expect(x.files).toMatchObject({ certificate: path.join(dir, "web.pem"), mode: 0o644, keyMode: 0o600 });
    expect(x.altNames).toEqual([{ type: "dns_name", value: "web.acme.com" }, { type: "ip_address", value: "10.0.0.1" }]);
  });
  it("secret from the environment", () => {
    const c = parse(yaml("").replace("clientSecretFile: secret", "clientSecretEnv: AGENT_SECRET"), { AGENT_SECRET: "e" });
    expect(c.clientSecret).toBe("e");
  });
});

describe("fail/ agent config", () => {
  it("names the field of each mistake", () => {
    expect(fieldOf(yaml("    renewBefore: 10x"))).toBe("certificates[0].renewBefore");
    expect(fieldOf(yaml("").replace("interval: 1m", "interval: 10x"))).toBe("interval");
    expect(fieldOf(yaml("").replace("clientSecretFile: secret", "clientSecretFile: nope"))).toBe("auth.clientSecretFile");
    expect(fieldOf(yaml("").replace("privateKey: web.key", "privateKey: no/such/dir/web.key"))).toBe("certificates[0].files.privateKey");
    expect(fieldOf(yaml("    keyMode: hsm"))).toBe("certificates[0].keyMode");
    expect(fieldOf(yaml("    ttl: 5m"))).toBe("certificates[0].ttl");
    expect(fieldOf(yaml("    colour: red"))).toBe("certificates[0]");
    expect(fieldOf(yaml("").replace("clientSecretFile: secret", "clientSecretEnv: UNSET_VAR"))).toBe("auth.clientSecretEnv");
    expect(fieldOf("server: [")).toBe("(config)");
  });
});
