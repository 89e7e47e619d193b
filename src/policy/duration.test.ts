import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.js";

const H = 3_600_000;
const D = 24 * H;

describe("parseDuration", () => {
  it.each([
    ["ok/seconds", "3600s", 3600_000],
    ["ok/hours", "12h", 12 * H],
    ["ok/days", "90d", 90 * D],
    ["ok/weeks", "2w", 14 * D],
    ["ok/years are 365 days", "1y", 365 * D],
    ["ok/397 days", "397d", 397 * D],
    ["ok/upper bound", "1000y", 1000 * 365 * D],
  ])("%s", (_, s, ms) => expect(parseDuration(s)).toEqual({ ms }));

  it.each([
    ["fail/empty", ""],
    ["fail/no unit", "90"],
    ["fail/no number", "d"],
    ["fail/zero", "0d"],
    ["fail/negative", "-1d"],
    ["fail/fraction", "1.5d"],
    ["fail/space", "90 d"],
    ["fail/compound", "1d12h"],
    ["fail/unknown unit", "3x"],
    ["fail/too long", "1001y"],
    ["fail/upper-case unit", "90D"],
    ["fail/absurd length", "9".repeat(100) + "d"],
  ])("%s", (_, s) => expect(parseDuration(s)).toHaveProperty("error"));

  it.each([["fail/minutes or months: m", "5m"], ["fail/minutes or months: M", "5M"]])("%s says why", (_, s) => {
    const r = parseDuration(s);
    expect("error" in r && r.error).toMatch(/ambiguous.*minutes or months/);
  });

  it("fail/not a string", () => expect(parseDuration(42 as unknown as string)).toHaveProperty("error"));
});

describe("formatDuration", () => {
  it.each([
    ["ok/years", 365 * D, "1y"],
    ["ok/weeks", 14 * D, "2w"],
    ["ok/days", 90 * D, "90d"],
    ["ok/hours", 12 * H, "12h"],
    ["ok/seconds", 90_000, "90s"],
    ["ok/sub-second rounds up", 1500, "2s"],
    ["ok/zero", 0, "0s"],
  ])("%s", (_, ms, s) => expect(formatDuration(ms)).toBe(s));

  it("ok/round-trips whole seconds", () => {
    for (const s of ["1y", "2w", "90d", "12h", "45s", "397d"]) {
      const r = parseDuration(s);
      expect("ms" in r && formatDuration(r.ms)).toBe(s);
    }
  });
});
