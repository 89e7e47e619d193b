import { describe, expect, it } from "vitest";
import { formatMessage } from "./smtp.js";

const m = { to: ["a@example.com"], subject: "hi", text: "line\n.starts with a dot\n..two", date: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)), messageId: "x@stamp" };

describe("SMTP message", () => {
  it("ok/ CRLF line ends, dot-stuffing (RFC 5321 §4.5.2), headers", () => {
    const s = formatMessage("stamp@example.com", m);
    expect(s).toContain("\r\n\r\nline\r\n..starts with a dot\r\n...two\r\n");
    expect(s).toContain("Date: Fri, 02 Jan 2026 03:04:05 +0000\r\n");
    expect(s.split("\n").every((l) => l === "" || l.endsWith("\r") || l === s.split("\n").at(-1))).toBe(true);
  });
  it("fail/ a CR or LF in the subject cannot add headers", () => {
    const s = formatMessage("stamp@example.com", { ...m, subject: "x\r\nBcc: evil@example.com" });
    expect(s).not.toMatch(/^Bcc:/m);
  });
});
