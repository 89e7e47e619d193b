import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { core } from "zod";
import { renderViolationsDoc, VIOLATIONS_DOC } from "../tools/violations-doc.js";
import type { Violation } from "./errors.js";
import { isViolationCode, VIOLATION_CODES, type ViolationCode } from "./violations.js";

/** zod's issue codes reach the wire as violation codes (problem.ts); unrecognized_keys becomes unknown_field. */
const ZOD_ONLY = ["custom", "invalid_element", "invalid_format", "invalid_key", "invalid_union", "not_multiple_of", "too_big", "too_small"];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return p.endsWith(".ts") && !p.endsWith(".test.ts") && !p.endsWith("test-util.ts") && !p.endsWith("violations.ts") ? [p] : [];
  });
}

describe("the violation-code catalog", () => {
  it("ok/docs/violations.md is generated from it (run `npm run docs:violations` after changing src/violations.ts)", () => {
    expect(readFileSync(VIOLATIONS_DOC, "utf8")).toBe(renderViolationsDoc());
  });

  it("ok/every zod issue code the HTTP edge reports is a catalog code", () => {
    expectTypeOf<Exclude<core.$ZodIssueCode, "unrecognized_keys">>().toExtend<ViolationCode>();
    expect(isViolationCode("too_big")).toBe(true);
  });

  it("fail/a code outside the catalog does not compile, and isViolationCode refuses it", () => {
    // @ts-expect-error: "no_such_code" is not a ViolationCode (tsc fails this file if the line compiles).
    const v: Violation = { field: "x", code: "no_such_code", message: "m" };
    expect(isViolationCode(v.code)).toBe(false);
    expect(isViolationCode("toString")).toBe(false);
  });

  it("ok/every catalog code is still sent by some code in src/ (no dead entries)", () => {
    const text = sources(join(import.meta.dirname)).map((f) => readFileSync(f, "utf8")).join("\n");
    const unused = Object.keys(VIOLATION_CODES).filter((code) => {
      if (ZOD_ONLY.includes(code)) return false;
      if (text.includes(`"${code}"`)) return false;
      // A lint reports its name without the prefix (pki/lint.ts `add("ski_missing", …)`).
      return !(code.startsWith("lint_") && text.includes(`add("${code.slice(5)}"`));
    });
    expect(unused).toEqual([]);
  });
});
