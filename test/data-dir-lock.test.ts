import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dbKind } from "./helpers/harness.js";
import { call, spawnServer, type SpawnedServer } from "./helpers/spawned-server.js";

const env = { STAMP_BOOTSTRAP_EMAIL: "lock@example.com", STAMP_BOOTSTRAP_PASSWORD: "lock lock lock lock" };

// The embedded store is one process's database: a second server on the same data dir must be
// refused before it opens PGlite (two writers lose commits and corrupt the store).
describe.skipIf(dbKind !== "pglite")("one server per embedded data dir", () => {
  const running: SpawnedServer[] = [];
  let dir = "";
  afterAll(async () => {
    for (const s of running) await s.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("fail/ a second server on the same --data-dir exits 1 with one line naming the first; a lock left by kill -9 is taken over", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "stamp-lock-"));
    const first = await spawnServer(["--data-dir", dir], { env });
    running.push(first);
    const lock = JSON.parse(await readFile(path.join(dir, "db", "stamp.lock"), "utf8"));
    expect(lock.pid).toBe(first.child.pid);
    expect(lock.listen).toBe("127.0.0.1:0");

    const second = await spawnServer(["--data-dir", dir], { env, waitMs: 30_000 }).then(
      (s) => {
        running.push(s);
        return "";
      },
      (e: Error) => e.message,
    );
    expect(second).toMatch(/exited with 1/);
    const line = second.split("\n").find((l) => l.startsWith("stamp: failed to start:"));
    expect(line).toMatch(new RegExp(`another Stamp server \\(PID ${first.child.pid}, listening on 127\\.0\\.0\\.1:0, started [0-9T:.-]+Z\\) is using the embedded database in ${dir}/db; stop it first`));
    // The first server kept serving throughout.
    expect((await call(first.url, "GET", "/readyz")).status).toBe(200);

    first.child.kill("SIGKILL");
    await new Promise((r) => first.child.once("exit", r));
    const third = await spawnServer(["--data-dir", dir], { env });
    running.push(third);
    expect(third.output()).toContain(`took over the data directory lock left by PID ${first.child.pid}`);
    const login = await call(third.url, "POST", "/api/v1/auth/login", { body: { email: env.STAMP_BOOTSTRAP_EMAIL, password: env.STAMP_BOOTSTRAP_PASSWORD } });
    expect(login.status).toBe(200);

    // A clean stop leaves the lock free and empty: the next start takes it without a notice.
    await third.stop();
    expect((await readFile(path.join(dir, "db", "stamp.lock"), "utf8")).trim()).toBe("");
    const fourth = await spawnServer(["--data-dir", dir], { env });
    running.push(fourth);
    expect(fourth.output()).not.toContain("took over");
  }, 180_000);
});
