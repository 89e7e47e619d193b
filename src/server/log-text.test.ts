import { describe, expect, it } from "vitest";
import { formatLogLine } from "./log-text.js";

const at = Date.UTC(2026, 11, 7, 12, 4, 31);

describe("formatLogLine", () => {
  it("a request record is one readable line with its id last", () => {
    const line = JSON.stringify({ level: 30, time: at, pid: 1, hostname: "h", reqId: "abc-1", method: "GET", path: "/api/v1/auth/me", status: 200, ms: 1.8, msg: "request" });
    expect(formatLogLine(line)).toBe("12:04:31 INFO  GET /api/v1/auth/me 200 1.8 ms  req=abc-1");
  });
  it("other records: the message, then their own fields as key=value, and an error's message", () => {
    const line = JSON.stringify({ level: 50, time: at, pid: 1, hostname: "h", job: "crl", caId: "c1", err: { message: "disk full", stack: "…" }, msg: "job failed" });
    expect(formatLogLine(line)).toBe('12:04:31 ERROR job failed job=crl caId=c1 error="disk full"');
  });
  it("a debug arrival line, and text that is not JSON passes through", () => {
    expect(formatLogLine(JSON.stringify({ level: 20, time: at, reqId: "r", method: "POST", path: "/x?…", msg: "request received" }))).toBe("12:04:31 DEBUG POST /x?… received  req=r");
    expect(formatLogLine("not json\n")).toBe("not json");
  });
});
