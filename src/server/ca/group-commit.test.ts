import { describe, expect, it } from "vitest";
import { createGroupCommit } from "./group-commit.js";

describe("group commit", () => {
  it("ok/ items submitted together share a batch; a lone item runs on the next turn; results go to their own callers", async () => {
    const batches: number[][] = [];
    const g = createGroupCommit<number, number>({ maxBatch: 100, maxInFlight: 1, run: async (items) => (batches.push(items), items.map((i) => (i === 3 ? new Error("three") : i * 10))) });
    const all = [1, 2, 3, 4].map((i) => g.submit(i).catch((e: Error) => e.message));
    expect(await Promise.all(all)).toEqual([10, 20, "three", 40]);
    expect(batches).toEqual([[1, 2, 3, 4]]);
    expect(await g.submit(5)).toBe(50);
    expect(batches).toHaveLength(2);
  });

  it("ok/ items arriving while a batch runs wait for the next one, capped at maxBatch", async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const g = createGroupCommit<number, number>({ maxBatch: 3, maxInFlight: 1, run: async (items) => (batches.push(items), items[0] === 0 && (await gate), items) });
    const first = g.submit(0);
    await new Promise((r) => setImmediate(r));
    const rest = [1, 2, 3, 4, 5].map((i) => g.submit(i));
    release();
    await Promise.all([first, ...rest]);
    expect(batches).toEqual([[0], [1, 2, 3], [4, 5]]);
  });

  it("fail/ a batch that throws rejects each of its items, and the next batch still runs", async () => {
    let n = 0;
    const g = createGroupCommit<number, number>({ maxBatch: 10, maxInFlight: 1, run: async (items) => { if (n++ === 0) throw new Error("database gone"); return items; } });
    const a = await Promise.allSettled([g.submit(1), g.submit(2)]);
    expect(a.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(await g.submit(3)).toBe(3);
  });

  it("ok/ drain resolves once nothing is queued or running, also when called between batches", async () => {
    const g = createGroupCommit<number, number>({ maxBatch: 10, maxInFlight: 1, run: async (items) => items });
    await expect(g.drain()).resolves.toBeUndefined();
    const p = g.submit(1);
    const drained = g.drain();
    await p;
    await drained;
    // Right after a batch the next turn is already scheduled: drain must still end.
    await g.submit(2);
    await Promise.race([g.drain(), new Promise((_, rej) => setTimeout(() => rej(new Error("drain hung")), 2000))]);
    expect(g.depth).toEqual({ queued: 0, inFlight: 0 });
  });
});
