import { describe, expect, it } from "vitest";
import { createCacheHub } from "./cache.js";
import { tablesWritten } from "./cached-store.js";

/** A fake table: reads count, and a read can be held open to race an invalidation. */
function table() {
  const rows = new Map<string, string>();
  let reads = 0;
  let gate: Promise<void> | null = null;
  return {
    rows,
    reads: () => reads,
    hold() {
      let open!: () => void;
      gate = new Promise((r) => (open = r));
      return () => {
        gate = null;
        open();
      };
    },
    async read(id: string) {
      reads++;
      const v = rows.get(id);
      if (gate) await gate;
      return v;
    },
  };
}

function setup(max = 100) {
  const hub = createCacheHub();
  const t = table();
  const byId = hub.cached({ max, key: (id: string) => id, tags: (id: string) => [`things:${id}`] }, t.read);
  hub.setLive(true);
  return { hub, t, byId };
}

describe("cache hub", () => {
  it("ok/ a second read of the same key is a hit; another key is a miss", async () => {
    const { hub, t, byId } = setup();
    t.rows.set("a", "A1");
    expect(await byId("a")).toBe("A1");
    expect(await byId("a")).toBe("A1");
    expect(await byId("b")).toBeUndefined();
    expect(t.reads()).toBe(2);
    expect(hub.stats).toMatchObject({ hits: 1, misses: 2 });
  });

  it("ok/ a notification for a row drops that row only; a table-wide one drops every row", async () => {
    const { hub, t, byId } = setup();
    t.rows.set("a", "A1").set("b", "B1");
    await byId("a");
    await byId("b");
    t.rows.set("a", "A2").set("b", "B2");
    hub.invalidate("things:a");
    expect(await byId("a")).toBe("A2");
    expect(await byId("b")).toBe("B1");
    hub.invalidateTable("things");
    expect(await byId("b")).toBe("B2");
    hub.invalidate("others:b");
    expect(await byId("b")).toBe("B2");
    expect(t.reads()).toBe(4);
  });

  it("ok/ a value made from the whole table is dropped by a change of any row", async () => {
    const hub = createCacheHub();
    let reads = 0;
    const all = hub.cached({ max: 1, key: () => "", tags: () => ["keys"] }, async () => ++reads);
    hub.setLive(true);
    expect(await all()).toBe(1);
    expect(await all()).toBe(1);
    hub.invalidate("keys:some-id");
    expect(await all()).toBe(2);
  });

  it("fail/ a read that an invalidation overtook is returned but not stored (race guard)", async () => {
    const { hub, t, byId } = setup();
    t.rows.set("a", "A1");
    const release = t.hold();
    const pending = byId("a");
    // The row changes and its notification arrives while the old value is still on its way.
    t.rows.set("a", "A2");
    hub.invalidate("things:a");
    release();
    expect(await pending).toBe("A1");
    expect(await byId("a")).toBe("A2");
    expect(hub.stats.discarded).toBe(1);
  });

  it("fail/ a read overtaken by a flush is not stored; a caller arriving after an invalidation does not join the stale read", async () => {
    const { hub, t, byId } = setup();
    t.rows.set("a", "A1");
    const release = t.hold();
    const first = byId("a");
    const joined = byId("a");
    hub.flush();
    t.rows.set("a", "A2");
    const release2 = t.hold();
    const after = byId("a");
    release();
    release2();
    expect(await first).toBe("A1");
    expect(await joined).toBe("A1");
    expect(await after).toBe("A2");
    expect(t.reads()).toBe(2);
    expect(await byId("a")).toBe("A2");
    expect(t.reads()).toBe(2);
  });

  it("fail/ while the listener is down nothing is served or stored; coming back up starts empty", async () => {
    const { hub, t, byId } = setup();
    t.rows.set("a", "A1");
    await byId("a");
    hub.setLive(false);
    t.rows.set("a", "A2");
    expect(await byId("a")).toBe("A2");
    expect(await byId("a")).toBe("A2");
    expect(t.reads()).toBe(3);
    expect(hub.size()).toBe(0);
    // A notification missed while down: the reconnect flush covers it.
    hub.setLive(true);
    t.rows.set("a", "A3");
    expect(await byId("a")).toBe("A3");
    expect(hub.stats.flushes).toBeGreaterThanOrEqual(2);
  });

  it("fail/ a read under way when the listener reconnects is not stored", async () => {
    const { hub, t, byId } = setup();
    t.rows.set("a", "A1");
    const release = t.hold();
    const pending = byId("a");
    hub.setLive(false);
    hub.setLive(true);
    t.rows.set("a", "A2");
    release();
    await pending;
    expect(await byId("a")).toBe("A2");
  });

  it("ok/ each cache keeps at most its bound, dropping the least recently used", async () => {
    const { hub, t, byId } = setup(3);
    for (const id of ["a", "b", "c", "d", "e"]) t.rows.set(id, id.toUpperCase());
    await byId("a");
    await byId("b");
    await byId("c");
    await byId("a"); // a is now the most recently used
    await byId("d"); // evicts b
    expect(hub.size()).toBe(3);
    const before = t.reads();
    await byId("a");
    await byId("c");
    await byId("d");
    expect(t.reads()).toBe(before);
    await byId("b");
    expect(t.reads()).toBe(before + 1);
    // An evicted entry also leaves the tag index: invalidating it is harmless.
    hub.invalidate("things:b");
    expect(hub.size()).toBe(2);
  });

  it("ok/ errors are not cached", async () => {
    const hub = createCacheHub();
    let n = 0;
    const f = hub.cached({ max: 10, key: () => "", tags: () => ["x:1"] }, async () => {
      if (++n === 1) throw new Error("connection lost");
      return n;
    });
    hub.setLive(true);
    await expect(f()).rejects.toThrow("connection lost");
    expect(await f()).toBe(2);
    expect(await f()).toBe(2);
  });
});

describe("tablesWritten", () => {
  it("ok/ finds cached tables in Kysely's and raw SQL writes, not in reads or locks", () => {
    expect(tablesWritten('update "certificate_profiles" set "enrollment_methods" = $1 where "id" = $2')).toEqual(["certificate_profiles"]);
    expect(tablesWritten('insert into "memberships" ("id") values ($1) on conflict ("project_id") do update set "role" = $2')).toEqual(["memberships"]);
    expect(tablesWritten('delete from "revoked_tokens" where "expires_at" < $1')).toEqual(["revoked_tokens"]);
    expect(tablesWritten("insert into ca_certificates (id) values ($1)")).toEqual(["ca_certificates"]);
    expect(tablesWritten('select * from "cas" where "id" = $1 for update')).toEqual([]);
    expect(tablesWritten('insert into "certificates" ("id") values ($1)')).toEqual([]);
  });
});
