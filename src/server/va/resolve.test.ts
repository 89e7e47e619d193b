import { describe, expect, it } from "vitest";
import { candidates, resolveVetted } from "./resolve.js";

// No sockets here: the resolver is injected, so public-looking addresses are never contacted.
const signal = new AbortController().signal;
const strict = (answer: string[]) => ({ allowPrivateAddresses: false, resolveHost: async () => answer });

describe("resolveVetted", () => {
  it("ok/ public addresses pass", async () => {
    expect(await resolveVetted("www.example.test", strict(["93.184.216.34", "2606:2800:220:1::1"]), signal, true)).toEqual({
      ok: true,
      addresses: ["93.184.216.34", "2606:2800:220:1::1"],
    });
  });
  it("fail/ an IP identifier in a refused range is rejectedIdentifier", async () => {
    expect(await resolveVetted("10.0.0.1", strict([]), signal, true)).toMatchObject({ ok: false, problem: { type: "rejectedIdentifier" } });
  });
  it("fail/ a redirect target (not the identifier) in a refused range is a connection problem naming it", async () => {
    const r = await resolveVetted("169.254.169.254", strict([]), signal, false);
    expect(r).toMatchObject({ ok: false, problem: { type: "connection" } });
    expect(!r.ok && r.problem.detail).toContain("169.254.169.254 is a link-local");
    const byName = await resolveVetted("metadata.example.test", strict(["fd00::1"]), signal, false);
    expect(!byName.ok && byName.problem.detail).toContain("resolves to fd00::1, a unique local");
  });
  it("fail/ ACME validation shares the egress policy: metadata names and odd IPv4 spellings are refused", async () => {
    const r = await resolveVetted("metadata.google.internal", strict(["93.184.216.34"]), signal, true);
    expect(!r.ok && r.problem.detail).toContain("metadata.google.internal is a cloud instance metadata host name");
    const odd = await resolveVetted("2130706433", strict(["93.184.216.34"]), signal, false);
    expect(!odd.ok && odd.problem.detail).toContain("2130706433 means 127.0.0.1, a loopback address");
  });
  it("ok/ --egress-allow applies to ACME validation too", async () => {
    expect(await resolveVetted("10.1.2.3", { allowPrivateAddresses: false, egressAllow: ["10.0.0.0/8"] }, signal, true)).toEqual({ ok: true, addresses: ["10.1.2.3"] });
    expect(await resolveVetted("10.1.2.3", { allowPrivateAddresses: false, egressAllow: ["10.0.0.0/16"] }, signal, true)).toMatchObject({ ok: false, problem: { type: "rejectedIdentifier" } });
  });
  it("ok/ lab mode allows private addresses", async () => {
    expect(await resolveVetted("127.0.0.1", { allowPrivateAddresses: true }, signal, true)).toEqual({ ok: true, addresses: ["127.0.0.1"] });
  });
  it("fail/ a resolver that never answers is bounded by the signal", async () => {
    const r = await resolveVetted("slow.example.test", { allowPrivateAddresses: false, resolveHost: () => new Promise<string[]>(() => {}) }, AbortSignal.timeout(50), true);
    expect(r).toMatchObject({ ok: false, problem: { type: "dns" }, transient: true });
  });
  it("fail/ empty and garbage answers are dns problems", async () => {
    expect(await resolveVetted("x.example.test", strict(["not-an-ip"]), signal, true)).toMatchObject({ ok: false, problem: { type: "dns" } });
  });
  it("ok/ candidates: first IPv6, then first IPv4", () => {
    expect(candidates(["1.1.1.1", "2.2.2.2", "2001:db8::1", "2001:db8::2"])).toEqual(["2001:db8::1", "1.1.1.1"]);
    expect(candidates(["1.1.1.1"])).toEqual(["1.1.1.1"]);
  });
});
