import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

// The import rules of ARCHITECTURE.md, proven able to fail: dependency-cruiser runs with the
// project's own configuration over a fixture tree where each rule has one offender (and a few
// look-alikes that are allowed), and must name exactly those offenders.
const run = promisify(execFile);
const repo = path.resolve(import.meta.dirname, "..");
const fixture = path.join(repo, "test/fixtures/boundaries");

describe("import boundaries (.dependency-cruiser.cjs)", () => {
  it("fail/ each rule catches its fixture offender, and only those", async () => {
    const bin = path.join(repo, "node_modules/.bin/depcruise");
    const r = await run(bin, ["src", "--config", path.join(repo, ".dependency-cruiser.cjs"), "--output-type", "json"], { cwd: fixture, maxBuffer: 32 << 20 }).catch((e: { stdout: string }) => e);
    const violations = (JSON.parse(r.stdout).summary.violations as { from: string; to: string; rule: { name: string } }[]).map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
    expect(violations).toEqual([
      "ca-not-upstream: src/server/ca/imports-ra.ts -> src/server/ra/context.ts",
      "envelope-custody: src/server/ra/opens-envelope.ts -> src/server/keys/envelope.ts",
      "outbound-network-in-va: src/server/ca/calls-out.ts -> net",
      "pure-core-no-io: src/pki/reads-files.ts -> fs",
      "ra-no-http-keys-ca: src/server/ra/opens-envelope.ts -> src/server/keys/envelope.ts",
      "ra-store-types-only: src/server/ra/store-at-runtime.ts -> src/server/store/db.ts",
      "testkit-for-tests-only: src/server/ra/uses-testkit.ts -> src/server/testkit/world.ts",
    ]);
  }, 60_000);
});
