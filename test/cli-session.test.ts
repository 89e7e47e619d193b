import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runStamp, type StampRun } from "./helpers/cli-run.js";
import { startServer } from "./helpers/harness.js";

// `stamp passwd` and `stamp logout` as real processes against a real server: the server
// side of both (other sessions end, the token is revoked) is checked through the API.

const s = await startServer();
const dir = await mkdtemp(path.join(os.tmpdir(), "stamp-cli-session-"));
afterAll(async () => {
  await s.close();
  await rm(dir, { recursive: true, force: true });
});

const stamp = (args: string[], o: { stdin?: string; env?: Record<string, string>; config: string }) => runStamp(args, o);
const show = (r: StampRun) => `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;
/** An error is one `stamp: …` line (then violations), never a stack trace. */
function expectCleanError(r: StampRun) {
  expect(r.stderr, show(r)).toMatch(/^stamp: /);
  expect(r.stderr).not.toMatch(/\n\s+at |Error:|node:internal/);
}

describe("passwd and logout", () => {
  const GIL = { email: "gil@example.com", password: "gil's first password" };
  const NEW = "gil's second password";
  const gilConfig = path.join(dir, "gil-session.json");
  const gil = (args: string[], o: { stdin?: string; env?: Record<string, string> } = {}) => stamp(args, { ...o, config: gilConfig });
  const token = async () => JSON.parse(await readFile(gilConfig, "utf8")).token as string;
  const meStatus = async (t: string) => (await s.api("GET", "/api/v1/auth/me", { token: t })).status;

  it("ok/ stamp passwd changes the password, keeps this session and ends the others", async () => {
    expect((await s.api("POST", "/api/v1/users", { token: s.adminToken, body: GIL })).status).toBe(200);
    const login = await gil(["login", "--server", s.url, "--email", GIL.email, "--password-stdin"], { stdin: `${GIL.password}\n` });
    expect(login.code, show(login)).toBe(0);
    const other = (await s.api("POST", "/api/v1/auth/login", { body: GIL })).body.accessToken;
    const before = await token();

    const weak = await gil(["passwd", "--password-stdin"], { stdin: `${GIL.password}\ngil@example.com\n` });
    expect(weak.code, show(weak)).toBe(1);
    expect(weak.stderr).toContain("newPassword");
    expectCleanError(weak);

    const r = await gil(["passwd", "--password-stdin"], { stdin: `${GIL.password}\n${NEW}\n` });
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain("Password changed");
    expect(r.stdout + r.stderr).not.toContain(NEW);
    expect(await token()).not.toBe(before);
    expect(await meStatus(await token())).toBe(200);
    expect(await meStatus(before)).toBe(401);
    expect(await meStatus(other)).toBe(401);
  });

  it("fail/ stamp passwd without both passwords is a usage error (2)", async () => {
    const r = await gil(["passwd"], { env: { STAMP_PASSWORD: NEW } });
    expect(r.code, show(r)).toBe(2);
    expectCleanError(r);
  });

  it("ok/ stamp logout revokes the token on the server and deletes the session file", async () => {
    const t = await token();
    const r = await gil(["logout"]);
    expect(r.code, show(r)).toBe(0);
    expect(r.stdout).toContain("Logged out");
    await expect(stat(gilConfig)).rejects.toThrow();
    expect(await meStatus(t)).toBe(401);
    const again = await gil(["logout"]);
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout).toContain("Not logged in");
  });

  it("ok/ stamp logout --all ends every session of the account", async () => {
    const login = await gil(["login", "--server", s.url, "--email", GIL.email, "--password-stdin"], { stdin: `${NEW}\n` });
    expect(login.code, show(login)).toBe(0);
    const other = (await s.api("POST", "/api/v1/auth/login", { body: { email: GIL.email, password: NEW } })).body.accessToken;
    const r = await gil(["logout", "--all"]);
    expect(r.code, show(r)).toBe(0);
    expect(await meStatus(other)).toBe(401);
  });
});
