import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dbKind } from "./helpers/harness.js";
import { call, spawnServer } from "./helpers/spawned-server.js";

const env = { STAMP_BOOTSTRAP_EMAIL: "durable@example.com", STAMP_BOOTSTRAP_PASSWORD: "durable durable durable" };
const hasStrace = spawnSync("strace", ["-V"]).status === 0;
if (!hasStrace) console.log("durability test skipped: strace is not installed (.ci/run installs it)");

/** fsync(2)/fdatasync(2) calls strace saw so far. */
async function flushes(traceFile: string): Promise<number> {
  const text = await readFile(traceFile, "utf8").catch(() => "");
  return text.split("\n").filter((l) => /\b(fsync|fdatasync)\(/.test(l)).length;
}

/** Starts a server under strace on a fresh data dir, issues `n` certificates, and counts the flushes they caused. */
async function flushesPerIssuance(dirs: string[], durability: string, n: number): Promise<number> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "stamp-durable-"));
  dirs.push(dir);
  const trace = path.join(dir, "strace.out");
  const s = await spawnServer(["--data-dir", dir, "--embedded-durability", durability], { env, prefix: ["strace", "-f", "-qq", "-e", "trace=fsync,fdatasync", "-o", trace] });
  try {
    const token = (await call(s.url, "POST", "/api/v1/auth/login", { body: { email: env.STAMP_BOOTSTRAP_EMAIL, password: env.STAMP_BOOTSTRAP_PASSWORD } })).body.accessToken;
    const projectId = (await call(s.url, "GET", "/api/v1/projects", { token })).body.projects[0].id;
    const ca = await call(s.url, "POST", "/api/v1/cert-manager/ca/internal", { token, body: { projectId, name: "d-root", configuration: { type: "root", commonName: "Durable Root", keyAlgorithm: "EC_prime256v1" } } });
    const tpl = await call(s.url, "POST", "/api/v1/cert-manager/certificate-templates", { token, body: { projectId, name: "d-tpl", preset: "tls-server" } });
    const prof = await call(s.url, "POST", "/api/v1/cert-manager/certificate-profiles", { token, body: { projectId, slug: "d", templateId: tpl.body.certificateTemplate.id, caId: ca.body.id } });
    expect(prof.status, JSON.stringify(prof.body)).toBe(200);
    const before = await flushes(trace);
    for (let i = 0; i < n; i++) {
      const r = await call(s.url, "POST", "/api/v1/cert-manager/certificates", { token, body: { profileId: prof.body.certificateProfile.id, attributes: { commonName: `c${i}.durable.test`, ttl: "1d" } } });
      expect(r.status).toBe(200);
    }
    return (await flushes(trace)) - before;
  } finally {
    // strace is the child; the server is its tracee, whose PID the data-dir lock names.
    const pid = JSON.parse(await readFile(path.join(dir, "db", "stamp.lock"), "utf8")).pid as number;
    process.kill(pid, "SIGTERM");
    await new Promise((r) => (s.alive() ? s.child.once("exit", r) : r(null)));
  }
}

// RFC-style promise of a CA: an acknowledged certificate is on disk. PGlite never flushes on its
// own (fsync off, and no fsync in its Node filesystem); Stamp's durable mount flushes the WAL at
// every commit. strace counts the real fsync(2) calls a server makes while it issues.
describe.skipIf(dbKind !== "pglite" || !hasStrace)("embedded store durability", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it("ok/ by default every acknowledged issuance was flushed with fsync(2); 'relaxed' flushes nothing", async () => {
    const n = 15;
    const durable = await flushesPerIssuance(dirs, "fsync", n);
    expect(durable).toBeGreaterThanOrEqual(n);
    const relaxed = await flushesPerIssuance(dirs, "relaxed", n);
    expect(relaxed).toBe(0);
  }, 180_000);
});
