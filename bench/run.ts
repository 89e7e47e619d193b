/** Runs every benchmark in bench/ (each top-level *.ts except this file), one child process each, in name order. */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const dir = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2); // `npm run bench -- issuance` runs only the named benches
/** Long runs that only run when named (`npm run bench -- soak`). */
const OPT_IN = new Set(["soak"]);
const benches = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && !f.endsWith(".d.ts"))
  .filter((f) => (only.length === 0 ? !OPT_IN.has(path.basename(f, ".ts")) : only.includes(path.basename(f, ".ts"))))
  .sort();
if (benches.length === 0) {
  console.error(`no benchmark matches ${only.join(", ")}`);
  process.exit(2);
}
let failed = 0;
for (const f of benches) {
  console.log(`\n## ${path.basename(f, ".ts")}`);
  // A separate process per bench: no shared JIT state, heap or open handles between them.
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(dir, f)], { stdio: "inherit", env: process.env });
  if (r.status !== 0) {
    failed++;
    console.error(`${f}: exited with ${r.status ?? r.signal}`);
  }
}
process.exit(failed ? 1 : 0);
