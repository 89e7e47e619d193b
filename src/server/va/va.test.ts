import { describe, expect, it } from "vitest";
import { createVa, VA_DEFAULTS } from "./va.js";

describe("createVa", () => {
  it("ok/ production defaults: RFC ports, public addresses only, 10 s, 3 attempts", () => {
    expect(VA_DEFAULTS).toEqual({ http01Port: 80, tlsAlpn01Port: 443, allowPrivateAddresses: false, timeoutMs: 10_000, retries: 2 });
  });

  it("fail/ garbage input becomes a problem, never an exception", async () => {
    const va = createVa({ timeoutMs: undefined, retries: 0 });
    const bad = null as never;
    await expect(va.http01(bad, "t", "k")).resolves.toMatchObject({ ok: false, problem: { type: "malformed" } });
    await expect(va.dns01(bad, "k")).resolves.toMatchObject({ ok: false, problem: { type: "malformed" } });
    await expect(va.tlsAlpn01(bad, () => null)).resolves.toMatchObject({ ok: false, problem: { type: "malformed" } });
    await expect(va.http01({ type: "ip", value: "not an ip" }, "t", "k")).resolves.toMatchObject({ ok: false, problem: { type: "malformed" } });
  });

  it("fail/ a resolver that throws synchronously is a dns problem", async () => {
    const va = createVa({ retries: 0, resolveHost: () => {
      throw new Error("broken resolver");
    } });
    await expect(va.http01({ type: "dns", value: "example.test" }, "t", "k")).resolves.toMatchObject({ ok: false, problem: { type: "dns" } });
  });

  it("fail/ an unusable dns server setting is a dns problem", async () => {
    const va = createVa({ retries: 0, dnsServer: { host: "not a host", port: 53 } });
    await expect(va.dns01({ type: "dns", value: "example.test" }, "k")).resolves.toMatchObject({ ok: false, problem: { type: "dns" } });
  });
});
