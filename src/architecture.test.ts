import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// House rules that dependency-cruiser cannot see: the pure core takes no clock or randomness,
// and only server/main.ts reads the environment (ARCHITECTURE.md).
const root = path.resolve(import.meta.dirname);

const code = (f: string) => readFileSync(f, "utf8").replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, "");

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    if (statSync(p).isDirectory()) return sources(p);
    return p.endsWith(".ts") && !p.endsWith(".test.ts") && !p.includes("test-util") ? [p] : [];
  });
}

describe("architecture", () => {
  it("ok/ pki and policy use no clock, randomness or environment", () => {
    const offenders = [...sources(path.join(root, "pki")), ...sources(path.join(root, "policy"))].filter((f) =>
      /Date\.now\(|new Date\(\)|Math\.random|randomBytes|randomUUID|process\.env|generateKeyPair/.test(code(f)),
    );
    expect(offenders).toEqual([]);
  });
  it("ok/ only server/main.ts reads process.env", () => {
    // cli/main.ts is the CLI's entry point, like the server's: the only other file reading process.env.
    const offenders = sources(root).filter((f) => !f.endsWith(path.join("server", "main.ts")) && !f.endsWith(path.join("cli", "main.ts")) && /process\.env/.test(code(f)));
    expect(offenders.map((f) => path.relative(root, f))).toEqual([]);
  });
});
