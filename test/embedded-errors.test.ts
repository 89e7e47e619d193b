import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKind } from "./helpers/harness.js";
import { spawnServer } from "./helpers/spawned-server.js";

const env = { STAMP_BOOTSTRAP_EMAIL: "errors@example.com", STAMP_BOOTSTRAP_PASSWORD: "errors errors errors" };

/** Starts a server that must fail; returns its one "failed to start" line. */
async function failedStart(args: string[]): Promise<string> {
  const msg = await spawnServer(args, { env, waitMs: 60_000 }).then(
    async (s) => {
      await s.stop();
      return "started";
    },
    (e: Error) => e.message,
  );
  expect(msg).toMatch(/exited with 1/);
  expect(msg).not.toContain("[object Object]");
  expect(msg).not.toContain("failed to initialize properly");
  return msg.split("\n").find((l) => l.startsWith("stamp: failed to start:")) ?? msg;
}

/** Mounts a small tmpfs (root only); null with the reason when this machine cannot. */
function mountTmpfs(dir: string, opts: string): string | null {
  const r = spawnSync("mount", ["-t", "tmpfs", "-o", opts, "tmpfs", dir], { encoding: "utf8" });
  return r.status === 0 ? null : r.stderr.trim() || `mount exited with ${r.status}`;
}

// Each way the embedded store can fail to open gets one sentence that says what to do.
describe.skipIf(dbKind !== "pglite")("embedded store: clear errors at start", () => {
  let dir = "";
  const mounts: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "stamp-errors-"));
  });
  afterAll(async () => {
    for (const m of mounts) spawnSync("umount", [m]);
    await rm(dir, { recursive: true, force: true });
  });

  it("fail/ a missing root key with a database that holds sealed keys: refused, and no new key is made", async () => {
    const d = path.join(dir, "rootkey");
    const s = await spawnServer(["--data-dir", d], { env });
    await s.stop();
    await rm(path.join(d, "root.key"));
    const line = await failedStart(["--data-dir", d]);
    expect(line).toContain(`the root key file ${path.join(d, "root.key")} is missing, but this database holds keys sealed under a root key: restore the file from your backup`);
    expect(existsSync(path.join(d, "root.key"))).toBe(false);
  }, 120_000);

  it("fail/ a damaged database: says so and points at the backup", async () => {
    const d = path.join(dir, "damaged");
    const s = await spawnServer(["--data-dir", d], { env });
    await s.stop();
    await writeFile(path.join(d, "db", "global", "pg_control"), "not a control file");
    const line = await failedStart(["--data-dir", d]);
    expect(line).toContain(`the embedded database in ${path.join(d, "db")} could not be opened and looks damaged`);
    expect(line).toContain("restore it from a backup");
  }, 120_000);

  it("fail/ a full disk at first start, and a read-only data dir (small tmpfs mounts)", async (ctx) => {
    const full = path.join(dir, "full");
    await mkdir(full);
    const why = mountTmpfs(full, "size=1m");
    if (why) {
      console.log(`disk-full and read-only cases skipped: cannot mount a tmpfs here (${why})`);
      ctx.skip();
    }
    mounts.push(full);
    expect(await failedStart(["--data-dir", path.join(full, "data")])).toContain(`the disk holding the embedded database (${path.join(full, "data", "db")}) is full: free some space`);

    const ro = path.join(dir, "ro");
    await mkdir(ro);
    expect(mountTmpfs(ro, "size=4m,ro")).toBeNull();
    mounts.push(ro);
    const line = await failedStart(["--data-dir", path.join(ro, "data")]);
    expect(line).toMatch(/is not writable \(EROFS: read-only file system\): give the user running Stamp write access/);
  }, 120_000);
});
