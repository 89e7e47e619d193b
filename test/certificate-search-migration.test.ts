import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { certRepo } from "../src/server/store/cert.repo.js";
import { openDb, type Db } from "../src/server/store/db.js";
import { migrate, MIGRATIONS } from "../src/server/store/migrations.js";
import { freshDatabase } from "./helpers/harness.js";

// Migration 0016 on a database that already holds certificates (both stores): it installs
// pg_trgm, indexes the existing rows, and the index set is the one docs/certificate-list.md lists;
// the database reopens (PGlite must load pg_trgm at every open) and search finds old and new rows.

let fresh: Awaited<ReturnType<typeof freshDatabase>>;
let h: Db;
const open = () => openDb(fresh.databaseUrl ? { kind: "postgres", url: fresh.databaseUrl } : { kind: "pglite", dataDir: `${fresh.dataDir}/db`, durable: false });
const project = crypto.randomUUID();
const SERIAL_OLD = "1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d";

async function insert(db: Db, serial: string, commonName: string, ip: string) {
  await certRepo(db.db).insertCertificate({
    id: crypto.randomUUID(), projectId: project, profileId: null, caId: null, caCertificateId: null, caKeyId: null, serial, commonName,
    altNames: [{ type: "dns_name", value: commonName }, { type: "ip_address", value: ip }], notBefore: new Date(), notAfter: new Date(Date.now() + 86_400_000),
    keyAlgorithm: "EC_prime256v1", keyUsages: [], extendedKeyUsages: [], certificate: Uint8Array.of(0), chainPem: "", keySource: "csr", keyRef: null, request: {}, renewedFromId: null,
  });
}
const search = async (db: Db, term: string) => (await certRepo(db.db).list({ projectId: project, search: term, now: new Date(), limit: 100 })).map((r) => r.common_name).sort();
const indexes = async (db: Db) => (await sql<{ n: string }>`select indexname as n from pg_indexes where tablename = 'certificates' order by 1`.execute(db.db)).rows.map((r) => r.n);

beforeAll(async () => {
  fresh = await freshDatabase({ blank: true });
  h = await open();
  // The database as the previous release left it: every migration before 0016, with rows.
  await migrate(h.db, MIGRATIONS.filter((m) => m.name !== "0016_certificate_search"));
  await h.db.insertInto("projects").values({ id: project, name: "search-migration" }).execute();
  for (let i = 0; i < 50; i++) await insert(h, `7${String(i).padStart(39, "0")}`, `host-${i}.old.example.com`, `10.0.0.${i}`);
  await insert(h, SERIAL_OLD, "legacy-api.old.example.com", "192.0.2.9");
});
afterAll(async () => {
  await h?.close();
  await fresh?.drop();
});

describe("ok/ migration 0016 on a database with certificates", () => {
  it("before: no search index, the ca_status index, full renewed_* indexes", async () => {
    const before = await indexes(h);
    expect(before).not.toContain("certificates_search");
    expect(before).toContain("certificates_ca_status");
  });
  it("applies, and the index set is the documented one", async () => {
    expect(await migrate(h.db)).toEqual(["0016_certificate_search"]);
    const after = await indexes(h);
    for (const i of ["certificates_search", "certificates_search_words", "certificates_serial", "certificates_renewed_from", "certificates_renewed_by"]) expect(after).toContain(i);
    expect(after).not.toContain("certificates_ca_status");
    const partial = await sql<{ n: string; d: string }>`select indexname as n, indexdef as d from pg_indexes where indexname in ('certificates_renewed_from', 'certificates_renewed_by')`.execute(h.db);
    for (const r of partial.rows) expect(r.d, r.n).toMatch(/WHERE \(renewed_(from|by)_id IS NOT NULL\)/);
    expect(await migrate(h.db)).toEqual([]);
  });
  it("finds the rows written before it, by name, SAN and serial", async () => {
    expect(await search(h, "LEGACY-api.old")).toEqual(["legacy-api.old.example.com"]);
    expect(await search(h, "host-42.old.")).toEqual(["host-42.old.example.com"]);
    expect(await search(h, "192.0.2.9")).toEqual(["legacy-api.old.example.com"]);
    expect(await search(h, SERIAL_OLD.toUpperCase().match(/../g)!.join(":"))).toEqual(["legacy-api.old.example.com"]);
    expect(await search(h, "host-4")).toHaveLength(11);
  });
  it("reopens, takes new rows into the indexes, and finds old and new", async () => {
    await h.close();
    h = await open();
    await insert(h, "3c0ffee0000000000000000000000000000000aa", "new-api.example.com", "192.0.2.10");
    expect(await search(h, "api.")).toEqual(["legacy-api.old.example.com", "new-api.example.com"]);
    expect(await search(h, "3c0ffee0")).toEqual(["new-api.example.com"]);
    expect(await search(h, ".0.2.")).toEqual(["legacy-api.old.example.com", "new-api.example.com"]);
    expect(await search(h, "nothing-like-this")).toEqual([]);
  });
});
