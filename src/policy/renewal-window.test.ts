import { describe, expect, it } from "vitest";
import { renewalWindowViolation } from "./renewal-window.js";

const DAY = 86_400_000;

describe("renewalWindowViolation", () => {
  it("ok/ a lifetime longer than the window passes", () => {
    expect(renewalWindowViolation(10 * DAY + 1, 10, "attributes.ttl", "The certificate would live")).toBeNull();
    expect(renewalWindowViolation(90 * DAY, 30, "defaults.ttl", "x")).toBeNull();
  });
  it("fail/ a lifetime equal to or shorter than the window is refused, naming both figures", () => {
    const v = renewalWindowViolation(5 * DAY, 10, "attributes.ttl", "The certificate would live");
    expect(v).toMatchObject({ field: "attributes.ttl", code: "not_longer_than_renewal_window", value: 5 });
    expect(v!.message).toContain("The certificate would live 5 days, not longer than the renewal window of 10 days");
    expect(renewalWindowViolation(10 * DAY, 10, "f", "x")?.code).toBe("not_longer_than_renewal_window");
  });
});
