import { mkdtemp, readFile, rm, stat, chmod, writeFile, readdir } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { isStampError } from "../../errors.js";
import { makeKeyring } from "./keyring.js";
import { formatKeyring, loadOrCreateRootKey, parseKeyring, writeKeyring } from "./root-key.js";
import { randomBytes } from "node:crypto";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "stamp-root-key-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("loadOrCreateRootKey", () => {
  it("ok/creates a 32-byte key with mode 0600 in a new 0700 directory", async () => {
    const file = join(dir, "secrets", "root.key");
    const r = await loadOrCreateRootKey(file);
    expect(r.created).toBe(true);
    expect(r.key.length).toBe(32);
    expect(r.warnings).toEqual([]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, "secrets"))).mode & 0o777).toBe(0o700);
    expect(await readFile(file, "utf8")).toMatch(/^stamp-root-key-v1:[A-Za-z0-9+/]{43}=\n$/);
    expect(await readdir(join(dir, "secrets"))).toEqual(["root.key"]); // no temp file left
  });

  it("ok/re-reading gives the same key", async () => {
    const file = join(dir, "root.key");
    const a = await loadOrCreateRootKey(file);
    const b = await loadOrCreateRootKey(file);
    expect(b.created).toBe(false);
    expect(b.key.equals(a.key)).toBe(true);
    expect(b.warnings).toEqual([]);
  });

  it("ok/concurrent first starts agree on one key", async () => {
    const file = join(dir, "root.key");
    const all = await Promise.all([1, 2, 3, 4].map(() => loadOrCreateRootKey(file)));
    for (const r of all) expect(r.key.equals(all[0]!.key)).toBe(true);
    expect(all.filter((r) => r.created).length).toBe(1);
  });

  it("ok/warns when the mode is broader than 0600", async () => {
    const file = join(dir, "root.key");
    await loadOrCreateRootKey(file);
    await chmod(file, 0o644);
    const r = await loadOrCreateRootKey(file);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toContain("0644");
  });

  const bad: Array<[string, string]> = [
    ["empty", ""],
    ["hex instead", "00".repeat(32)],
    ["wrong header", `other-key-v1:${Buffer.alloc(32).toString("base64")}\n`],
    ["short key", `stamp-root-key-v1:${Buffer.alloc(16).toString("base64")}\n`],
    ["long key", `stamp-root-key-v1:${Buffer.alloc(33).toString("base64")}\n`],
    ["not base64", `stamp-root-key-v1:${"!".repeat(44)}\n`],
    ["trailing junk", `stamp-root-key-v1:${Buffer.alloc(32).toString("base64")}\nmore\n`],
    ["oversized", "x".repeat(4096)],
  ];
  for (const [name, content] of bad) {
    it(`fail/refuses a bad file: ${name}`, async () => {
      const file = join(dir, "root.key");
      await writeFile(file, content, { mode: 0o600 });
      const e = await loadOrCreateRootKey(file).catch((x: unknown) => x);
      expect(isStampError(e, "internal")).toBe(true);
      expect(String((e as Error).message)).toContain(file);
      expect(await readFile(file, "utf8")).toBe(content); // never overwritten
    });
  }

  it("fail/refuses a directory", async () => {
    const e = await loadOrCreateRootKey(dir).catch((x: unknown) => x);
    expect(isStampError(e, "internal")).toBe(true);
  });
});

describe("root key file with several keys (rotation)", () => {
  const cur = randomBytes(32);
  const prev = randomBytes(32);

  it("ok/a keyring round-trips through the v2 file; a lone key is written as v1", async () => {
    const ring = makeKeyring(cur, [{ role: "previous", key: prev }]);
    const text = formatKeyring(ring);
    expect(text).toMatch(/^stamp-root-key-v2\ncurrent [0-9a-f]{16} \S+\nprevious [0-9a-f]{16} \S+\n$/);
    expect(parseKeyring(text, "f")).toEqual(ring);
    expect(formatKeyring(makeKeyring(cur))).toMatch(/^stamp-root-key-v1:/);
    const file = join(dir, "root.key");
    await writeKeyring(file, ring);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const loaded = await loadOrCreateRootKey(file);
    expect(loaded.key.equals(cur)).toBe(true);
    expect(loaded.ring.others.map((k) => k.role)).toEqual(["previous"]);
    expect(await readdir(dir)).toEqual(["root.key"]);
  });

  it("fail/a v2 file with an edited id, two current keys, no current key or a duplicate is refused", () => {
    const good = formatKeyring(makeKeyring(cur, [{ role: "previous", key: prev }]));
    const bad = [
      good.replace(/current ([0-9a-f])/, (_m, c: string) => `current ${c === "0" ? "1" : "0"}`),
      good.replace("previous", "current"),
      good.replace("current", "next"),
      formatKeyring(makeKeyring(cur, [{ role: "previous", key: cur }])),
    ];
    for (const text of bad) expect(() => parseKeyring(text, "f")).toThrow(/not a valid Stamp root key file/);
  });
});
