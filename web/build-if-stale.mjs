// Builds the web UI into web/dist when it is missing or older than its sources, so a clean
// clone's `npm ci` (prepare) and `npm start` (prestart) serve the UI with no other step.
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const web = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(web);
const built = path.join(web, "dist", "index.html");

/** The newest modification time under `p` (a file or a directory tree). */
function newest(p) {
  if (!existsSync(p)) return 0;
  const st = statSync(p);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(st.mtimeMs, ...readdirSync(p).map((n) => newest(path.join(p, n))));
}

const sources = ["src", "public", "index.html", "vite.config.ts"].map((p) => newest(path.join(web, p)));
const stale = !existsSync(built) || Math.max(...sources, newest(path.join(root, "package-lock.json"))) > statSync(built).mtimeMs;
if (stale || process.argv.includes("--force")) {
  const { build } = await import("vite");
  await build({ configFile: path.join(web, "vite.config.ts"), logLevel: "warn" });
  console.log("web UI built into web/dist");
}
