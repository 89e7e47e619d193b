import { randomUUID } from "node:crypto";
import { sql } from "kysely";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDb, type Db } from "../src/server/store/db.js";
import { migrate } from "../src/server/store/migrations.js";
import type { Listener } from "../src/server/store/cache-listener.js";
import { dbKind, freshDatabase } from "./helpers/harness.js";

/** Waits (at most `ms`) until `ok()` holds. */
async function until(ms: number, ok: () => boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

// Migration 0017's triggers and the listener, below the cache: what arrives, and when.
describe(`cache notifications (${dbKind})`, () => {
  let fresh: Awaited<ReturnType<typeof freshDatabase>>;
  let db: Db;
  let listener: Listener;
  const heard: string[] = [];
  const events: string[] = [];

  beforeAll(async () => {
    fresh = await freshDatabase();
    db = await openDb(fresh.databaseUrl ? { kind: "postgres", url: fresh.databaseUrl } : { kind: "pglite", dataDir: fresh.dataDir, durable: false });
    await migrate(db.db);
    listener = await db.listen({ notify: (p) => heard.push(p), up: () => events.push("up"), down: () => events.push("down") });
  });
  afterAll(async () => {
    await listener?.close();
    await db?.close();
    await fresh?.drop();
  });

  const wait = dbKind === "postgres" ? 1000 : 0;
  /** Runs `write`, then expects `payloads` heard: on PGlite before the write returned, on PostgreSQL within a second. */
  async function expectHeard(write: () => Promise<unknown>, payloads: string[]) {
    heard.length = 0;
    await write();
    if (wait) await until(wait, () => payloads.every((p) => heard.includes(p)));
    expect(heard).toEqual(expect.arrayContaining(payloads));
  }

  it("ok/ insert, update and delete of a user announce users:<id>; a truncate announces the table", async () => {
    expect(events).toEqual(["up"]);
    const id = randomUUID();
    await expectHeard(() => db.db.insertInto("users").values({ id, email: `${id}@example.com`, password_hash: "x", is_server_admin: false }).execute(), [`users:${id}`]);
    await expectHeard(() => db.db.updateTable("users").set({ token_generation: 2 }).where("id", "=", id).execute(), [`users:${id}`]);
    await expectHeard(() => db.db.deleteFrom("users").where("id", "=", id).execute(), [`users:${id}`]);
    await expectHeard(() => sql`truncate revoked_tokens`.execute(db.db), ["revoked_tokens"]);
  });

  it("ok/ memberships are announced by their lookup key, alert rules by project; a changed key announces old and new", async () => {
    const project = (await db.db.insertInto("projects").values({ id: randomUUID(), name: "p" }).returningAll().executeTakeFirstOrThrow()).id;
    const other = (await db.db.insertInto("projects").values({ id: randomUUID(), name: "q" }).returningAll().executeTakeFirstOrThrow()).id;
    const principal = randomUUID();
    const mid = randomUUID();
    await expectHeard(
      () => db.db.insertInto("memberships").values({ id: mid, project_id: project, principal_type: "identity", principal_id: principal, role: "member", profiles: JSON.stringify(null) }).execute(),
      [`memberships:${project}/identity/${principal}`],
    );
    await expectHeard(() => db.db.updateTable("memberships").set({ project_id: other }).where("id", "=", mid).execute(), [`memberships:${project}/identity/${principal}`, `memberships:${other}/identity/${principal}`]);
    const rule = randomUUID();
    await expectHeard(
      () =>
        db.db
          .insertInto("alert_rules")
          .values({ id: rule, project_id: project, name: "r", events: JSON.stringify(["issued"]), expiration_days: JSON.stringify([]), filters: JSON.stringify({ profileIds: [], caIds: [], commonNames: [] }), channel: "email", email_to: JSON.stringify(["a@example.com"]), enabled: true, created_at: new Date(), updated_at: new Date() } as never)
          .execute(),
      [`alert_rules:${project}`],
    );
  });

  it("ok/ a write inside a transaction is announced at commit, not before; a rolled-back one never", async () => {
    const id = randomUUID();
    heard.length = 0;
    await db.db
      .transaction()
      .execute(async (tx) => {
        await tx.insertInto("users").values({ id, email: `${id}@example.com`, password_hash: "x", is_server_admin: false }).execute();
        await new Promise((r) => setTimeout(r, 50));
        expect(heard).not.toContain(`users:${id}`);
        throw new Error("roll back");
      })
      .catch(() => {});
    await new Promise((r) => setTimeout(r, 100));
    expect(heard).not.toContain(`users:${id}`);
  });

  it.skipIf(dbKind !== "postgres")("fail/ the listener's connection killed: down, then up again, and it hears again", async () => {
    const admin = new pg.Client({ connectionString: fresh.databaseUrl! });
    await admin.connect();
    try {
      events.length = 0;
      const r = await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where application_name = 'stamp-cache-listener' and datname = current_database()");
      expect(r.rowCount).toBe(1);
      await until(1000, () => events.includes("down"));
      await until(10_000, () => events.includes("up"));
      expect(events).toEqual(["down", "up"]);
      const id = randomUUID();
      await expectHeard(() => db.db.insertInto("users").values({ id, email: `${id}@example.com`, password_hash: "x", is_server_admin: false }).execute(), [`users:${id}`]);
    } finally {
      await admin.end();
    }
  });
});
