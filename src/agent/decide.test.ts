import { describe, expect, it } from "vitest";
import { backoffMs, decide, renewalTime, type DecideInput, type DiskView } from "./decide.js";
import { parseAgentDuration, parseWindow } from "./duration.js";

const DAY = 86_400_000;
const nb = new Date("2030-01-01T00:00:00Z");
const na = new Date(nb.getTime() + 90 * DAY);
const present = (o: Partial<Extract<DiskView, { kind: "present" }>> = {}): DiskView => ({ kind: "present", serialHex: "0a", notBefore: nb, notAfter: na, keyMatches: true, namesMismatch: null, ...o });
const input = (o: Partial<DecideInput> = {}): DecideInput => ({
  renewBefore: { percent: 33 }, disk: present(), state: { failures: 0, certificateId: "id-1", serialHex: "0a", jitter: 0 }, server: { status: "active" },
  now: new Date(nb.getTime() + 10 * DAY), random: 0.5, intervalMs: 300_000, respectBackoff: true, ...o,
});

describe("ok/ decide", () => {
  it("nothing to do early in the lifetime; next check is the interval", () => {
    const d = decide(input());
    expect(d.action).toBe("none");
    expect(d.nextCheck.getTime()).toBe(nb.getTime() + 10 * DAY + 300_000);
    expect(d.renewAt!.getTime()).toBe(na.getTime() - 0.33 * 90 * DAY);
  });
  it("next check is the renewal time when that comes before the interval", () => {
    const renewAt = renewalTime({ percent: 33 }, undefined, nb, na, 0);
    const d = decide(input({ now: new Date(renewAt.getTime() - 1000) }));
    expect(d.action).toBe("none");
    expect(d.nextCheck).toEqual(renewAt);
  });
  it("issues when files are missing or unreadable", () => {
    expect(decide(input({ disk: { kind: "missing", detail: "x" } })).action).toBe("issue");
    expect(decide(input({ disk: { kind: "unreadable", detail: "EACCES" } })).action).toBe("issue");
  });
  it("issues when the key does not match, the names differ, revoked or expired", () => {
    expect(decide(input({ disk: present({ keyMatches: false }) })).reason).toMatch(/key does not match/);
    expect(decide(input({ disk: present({ namesMismatch: "altNames lack dns_name:b" }) })).reason).toMatch(/does not match the config/);
    expect(decide(input({ server: { status: "revoked" } })).reason).toMatch(/revoked/);
    expect(decide(input({ now: new Date(na.getTime() + 1) })).reason).toMatch(/expired/);
  });
  it("renews inside the window (percent and fixed duration)", () => {
    expect(decide(input({ now: new Date(na.getTime() - 20 * DAY) })).action).toBe("renew");
    expect(decide(input({ renewBefore: { ms: 10 * DAY }, now: new Date(na.getTime() - 20 * DAY) })).action).toBe("none");
    expect(decide(input({ renewBefore: { ms: 10 * DAY }, now: new Date(na.getTime() - 9 * DAY) })).action).toBe("renew");
    expect(decide(input({ renewBefore: { percent: 100 }, now: new Date(nb.getTime() + 1) })).action).toBe("renew");
  });
  it("issues instead of renewing when the certificate on disk is not the one the state knows, or was renewed elsewhere", () => {
    const now = new Date(na.getTime() - 20 * DAY);
    expect(decide(input({ now, state: { failures: 0, serialHex: "0b", certificateId: "id-0" } })).action).toBe("issue");
    expect(decide(input({ now, state: { failures: 0 } })).action).toBe("issue");
    expect(decide(input({ now, server: { status: "renewed" } })).action).toBe("issue");
  });
  it("jitter moves renewal earlier by at most 10 % of the window by default, bounded by a day", () => {
    const win = 0.33 * 90 * DAY;
    expect(renewalTime({ percent: 33 }, undefined, nb, na, 0.999).getTime()).toBeGreaterThanOrEqual(na.getTime() - win - DAY);
    const short = new Date(nb.getTime() + 10 * DAY);
    expect(renewalTime({ percent: 50 }, undefined, nb, short, 1).getTime()).toBe(short.getTime() - 5 * DAY - 0.5 * DAY);
    expect(renewalTime({ ms: DAY }, { ms: 7 * DAY }, nb, na, 1).getTime()).toBe(na.getTime() - 2 * DAY);
  });
  it("the state's jitter wins over the random number, so renewal time stays put", () => {
    const a = decide(input({ random: 0.1, state: { failures: 0, certificateId: "id-1", serialHex: "0a", jitter: 0.7 } }));
    const b = decide(input({ random: 0.9, state: { failures: 0, certificateId: "id-1", serialHex: "0a", jitter: 0.7 } }));
    expect(a.renewAt).toEqual(b.renewAt);
  });
  it("backoff grows 5 s → 5 min with equal jitter", () => {
    expect(backoffMs(1, 0)).toBe(2_500);
    expect(backoffMs(1, 1)).toBe(5_000);
    expect(backoffMs(2, 1)).toBe(10_000);
    expect(backoffMs(30, 1)).toBe(300_000);
    expect(backoffMs(30, 0)).toBe(150_000);
  });
  it("durations and windows", () => {
    expect(parseAgentDuration("5m")).toBe(300_000);
    expect(parseWindow("33%")).toEqual({ percent: 33 });
    expect(parseWindow("10d")).toEqual({ ms: 10 * DAY });
  });
});

describe("fail/ decide", () => {
  it("waits out the backoff after failures in long-running mode", () => {
    const now = new Date(nb.getTime() + DAY);
    const retryAt = new Date(now.getTime() + 60_000);
    const d = decide(input({ now, disk: { kind: "missing", detail: "x" }, state: { failures: 3, retryAt: retryAt.toISOString() } }));
    expect(d.action).toBe("none");
    expect(d.reason).toMatch(/waiting to retry/);
    expect(d.nextCheck).toEqual(retryAt);
  });
  it("--once ignores the backoff", () => {
    const now = new Date(nb.getTime() + DAY);
    const d = decide(input({ now, respectBackoff: false, disk: { kind: "missing", detail: "x" }, state: { failures: 3, retryAt: new Date(now.getTime() + 60_000).toISOString() } }));
    expect(d.action).toBe("issue");
  });
  it("retries once the backoff has passed", () => {
    const now = new Date(nb.getTime() + DAY);
    expect(decide(input({ now, disk: { kind: "missing", detail: "x" }, state: { failures: 3, retryAt: new Date(now.getTime() - 1).toISOString() } })).action).toBe("issue");
  });
  it("bad durations and windows are refused", () => {
    for (const s of ["10x", "", "5", "m", "0s", "-1d", "5 m"]) expect(parseAgentDuration(s)).toBeNull();
    for (const s of ["0%", "101%", "abc", "10x"]) expect(parseWindow(s)).toBeNull();
  });
});
