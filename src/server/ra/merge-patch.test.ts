import { describe, expect, it } from "vitest";
import { isEmptyPatch, mergePatch, withoutNulls } from "./merge-patch.js";

describe("mergePatch", () => {
  it("ok/an absent member stays", () => {
    expect(mergePatch({ a: 1, b: 2 }, { a: 3 })).toEqual({ a: 3, b: 2 });
    expect(mergePatch({ a: 1 }, undefined)).toEqual({ a: 1 });
    expect(mergePatch({ a: 1 }, { a: undefined })).toEqual({ a: 1 });
  });
  it("ok/nested objects merge member by member", () => {
    expect(mergePatch({ acme: { eab: false, types: ["http-01"], life: 600 } }, { acme: { life: 900 } })).toEqual({ acme: { eab: false, types: ["http-01"], life: 900 } });
  });
  it("ok/arrays and scalars replace", () => {
    expect(mergePatch({ types: ["http-01", "dns-01"] }, { types: ["dns-01"] })).toEqual({ types: ["dns-01"] });
    expect(mergePatch({ days: null as number | null }, { days: 5 })).toEqual({ days: 5 });
  });
  it("ok/null is a value; withoutNulls then removes those members", () => {
    const merged = mergePatch<Record<string, unknown>>({ ttl: "30d", organization: "Acme" }, { organization: null });
    expect(merged).toEqual({ ttl: "30d", organization: null });
    expect(withoutNulls(merged)).toEqual({ ttl: "30d" });
  });
  it("ok/the stored object is not changed", () => {
    const stored = { a: { b: 1 } };
    mergePatch(stored, { a: { b: 2 } });
    expect(stored).toEqual({ a: { b: 1 } });
  });
});

describe("isEmptyPatch", () => {
  it.each([
    [{}, true],
    [{ a: undefined }, true],
    [{ a: null }, false],
    [{ a: false }, false],
  ])("%j → %s", (body, empty) => {
    expect(isEmptyPatch(body)).toBe(empty);
  });
});
