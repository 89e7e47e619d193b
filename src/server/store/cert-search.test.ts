import { describe, expect, it } from "vitest";
import { searchWords, serialSearchPrefix } from "./cert-list.repo.js";

// The two pure halves of certificate search: which serial prefix a term stands for, and which
// words any match must hold whole (test/cert-list.test.ts runs them against both stores).

describe("ok/ serialSearchPrefix", () => {
  it.each([
    ["4fa2b3c4", "4fa2b3c4"],
    ["4FA2B3C4D5", "4fa2b3c4d5"],
    ["4F:A2:B3:C4", "4fa2b3c4"],
    ["4f:a2:b3:c4:", "4fa2b3c4"],
    ["0x4fa2b3c4", "4fa2b3c4"],
    ["00:C1:02:03:04", "c1020304"],
    ["00c1020304", "c1020304"],
    ["4fa2b3c4d", "4fa2b3c4d"],
    [" 4fa2b3c4 ", "4fa2b3c4"],
  ])("%j → %j", (term, want) => expect(serialSearchPrefix(term)).toBe(want));
});
describe("fail/ serialSearchPrefix: not a serial", () => {
  it.each(["cafe", "deadbee", "db", "00:01:02", "4fa2-b3c4-d5e6", "4fa2b3cg", "host-4242", "192.0.2.17", "2001:db8::5", "4f::a2:b3:c4:d5", ""])("%j → null", (term) => expect(serialSearchPrefix(term)).toBeNull());
});
describe("ok/ searchWords", () => {
  it.each([
    ["host-4242.acme.com", ["4242", "acme"]],
    ["HOST-4242.", ["4242"]],
    [".example.", ["example"]],
    ["db-4242.prod.corp7.example.com", ["4242", "prod", "corp7", "example"]],
    ["ops.team@example.org", ["team", "example"]],
    ["192.0.2.17", ["0", "2"]],
    ["a.b.a.b", ["b", "a"]],
    ["null.null.x", ["null"]],
  ])("%j → %j", (term, want) => expect(searchWords(term)).toEqual(want));
  it.each(["acme", "api-4", "st.int", "%", "..", "-", "a.b", "100% uptime"])("%j has no whole word", (term) => expect(searchWords(term)).toEqual([]));
});
