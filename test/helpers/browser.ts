import { chromium, type Browser } from "playwright-core";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

/** Debian's chromium (installed by .ci/run); playwright's own browser download cannot work here. */
export const CHROMIUM = "/usr/bin/chromium";

/** One headless Chromium for a test file. */
export function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

/** Builds the web UI if its sources changed since the last build (npm ci and npm start do the same). */
export function buildWebUi(): void {
  execFileSync(process.execPath, ["web/build-if-stale.mjs"], { stdio: "inherit", timeout: 120_000 });
}
