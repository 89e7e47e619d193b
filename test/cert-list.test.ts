import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { explainList } from "./helpers/explain-list.js";
import { dbKind, startServer, type TestServer } from "./helpers/harness.js";

// GET /api/v1/cert-manager/certificates: filters, search, cursor pagination, and (PostgreSQL)
// the query plan with a million rows.

const CA = "/api/v1/cert-manager/ca/internal";
const TPL = "/api/v1/cert-manager/certificate-templates";
const PRO = "/api/v1/cert-manager/certificate-profiles";
const CERTS = "/api/v1/cert-manager/certificates";
const HOUR = 3600_000;
/** The million-row plan and timing run (two minutes) only when asked for. */
const LIST_MILLION = process.env.STAMP_LIST_MILLION === "1";

type View = { id: string; status: string; lifecycleStatus: string; profileId: string | null; caId: string | null; commonName: string; subjectAlternativeNames: { value: string }[]; notAfter: string; createdAt: string };
type Res = { status: number; body: any; headers: Headers };

let s: TestServer;
let t: string;
// The clock starts 12 hours back, so a certificate issued then with a 1-hour ttl is expired once it is set to now.
let offsetMs = -12 * HOUR;
const ids = { caA: "", caB: "", profA: "", profB: "", profClient: "" };

async function must(r: Promise<Res>, what: string) {
  const res = await r;
  if (res.status !== 200) throw new Error(`setup ${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}
const issue = async (profileId: string, attributes: Record<string, unknown>) => (await must(s.api("POST", CERTS, { token: t, body: { profileId, attributes } }), `issue ${JSON.stringify(attributes)}`)).certificate.certificateId as string;
const list = (projectId: string, query: Record<string, string> = {}) => s.api<{ certificates: View[]; nextCursor: string | null }>("GET", `${CERTS}?${new URLSearchParams({ projectId, ...query })}`, { token: t });

/** Every row of a listing, walking its cursor pages of `limit`. */
async function walk(projectId: string, query: Record<string, string>, limit: number) {
  const rows: View[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await list(projectId, { ...query, limit: String(limit), ...(cursor ? { cursor } : {}) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.certificates.length).toBeLessThanOrEqual(limit);
    rows.push(...res.body.certificates);
    cursor = res.body.nextCursor;
    expect(++pages).toBeLessThan(200);
  } while (cursor);
  return rows;
}

beforeAll(async () => {
  s = await startServer({ rt: { clock: () => new Date(Date.now() + offsetMs) }, env: { STAMP_ACCESS_TOKEN_TTL: "86400" } });
  t = s.adminToken;
  const p = s.defaultProjectId;
  const ca = async (name: string) => (await must(s.api("POST", CA, { token: t, body: { projectId: p, name, configuration: { type: "root", commonName: name, keyAlgorithm: "EC_prime256v1" } } }), name)).id as string;
  ids.caA = await ca("list-ca-a");
  ids.caB = await ca("list-ca-b");
  const server = (await must(s.api("POST", TPL, { token: t, body: { projectId: p, name: "list-server", preset: "tls-server" } }), "template")).certificateTemplate.id;
  const client = (await must(s.api("POST", TPL, { token: t, body: { projectId: p, name: "list-client", preset: "tls-client" } }), "client template")).certificateTemplate.id;
  const profile = async (slug: string, templateId: string, caId: string) => (await must(s.api("POST", PRO, { token: t, body: { projectId: p, slug, templateId, caId } }), slug)).certificateProfile.id as string;
  ids.profA = await profile("list-a", server, ids.caA);
  ids.profB = await profile("list-b", server, ids.caB);
  ids.profClient = await profile("list-client", client, ids.caB);

  // Issued 12 hours ago with a 1-hour lifetime: expired now.
  await issue(ids.profA, { commonName: "old.acme.com", ttl: "1h" });
  offsetMs = 0;
  await issue(ids.profA, { commonName: "API.acme.com" });
  await issue(ids.profA, { commonName: "www.acme.com", altNames: [{ type: "dns_name", value: "www.acme.com" }, { type: "dns_name", value: "Unique-San.example.net" }] });
  const toRevoke = await issue(ids.profB, { commonName: "revoke-me.acme.com" });
  const toRenew = await issue(ids.profB, { commonName: "renew-me.acme.com", ttl: "2d" });
  await issue(ids.profB, { commonName: "db.internal.acme.com", ttl: "30d" });
  // Client certificates: the CN is free text, so `%` and `_` can appear in it.
  await issue(ids.profClient, { commonName: "billing_svc" });
  await issue(ids.profClient, { commonName: "billingXsvc" });
  await issue(ids.profClient, { commonName: "100% uptime" });
  await issue(ids.profClient, { commonName: "100 uptime" });
  await issue(ids.profClient, { commonName: "back\\slash" });
  await must(s.api("POST", `${CERTS}/${toRevoke}/revoke`, { token: t, body: { revocationReason: "KEY_COMPROMISE" } }), "revoke");
  await must(s.api("POST", `${CERTS}/${toRenew}/renew`, { token: t, body: {} }), "renew");
});
afterAll(async () => s?.close());

describe("ok/ list and search", () => {
  let all: View[];
  beforeAll(async () => {
    const res = await list(s.defaultProjectId, { limit: "500" });
    expect(res.status).toBe(200);
    all = res.body.certificates;
    expect(res.body.nextCursor).toBeNull();
  });
  const names = (rows: View[]) => rows.map((r) => r.commonName).sort();
  const expectSame = async (query: Record<string, string>, pred: (v: View) => boolean) => {
    const res = await list(s.defaultProjectId, { limit: "500", ...query });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const want = all.filter(pred);
    expect(res.body.certificates.map((r) => r.id), JSON.stringify(query)).toEqual(want.map((r) => r.id));
    return res.body.certificates;
  };

  it("newest first, every certificate once", () => {
    expect(all).toHaveLength(12);
    expect(new Set(all.map((r) => r.id)).size).toBe(12);
    const created = all.map((r) => r.createdAt);
    expect([...created].sort().reverse()).toEqual(created);
  });
  it("status: active, expired, revoked, renewed", async () => {
    expect(names(await expectSame({ status: "expired" }, (v) => v.lifecycleStatus === "expired"))).toEqual(["old.acme.com"]);
    expect(names(await expectSame({ status: "revoked" }, (v) => v.lifecycleStatus === "revoked"))).toEqual(["revoke-me.acme.com"]);
    expect(names(await expectSame({ status: "renewed" }, (v) => v.lifecycleStatus === "renewed"))).toEqual(["renew-me.acme.com"]);
    const active = await expectSame({ status: "active" }, (v) => v.lifecycleStatus === "active");
    expect(active).toHaveLength(9);
  });
  it("profileId and caId", async () => {
    expect(await expectSame({ profileId: ids.profA }, (v) => v.profileId === ids.profA)).toHaveLength(3);
    expect(await expectSame({ caId: ids.caB }, (v) => v.caId === ids.caB)).toHaveLength(9);
    expect(await expectSame({ caId: ids.caB, profileId: ids.profB, status: "active" }, (v) => v.caId === ids.caB && v.profileId === ids.profB && v.lifecycleStatus === "active")).toHaveLength(2);
    expect(await expectSame({ profileId: crypto.randomUUID() }, () => false)).toHaveLength(0);
  });
  it("search: CN or SAN substring, case-insensitive", async () => {
    expect(names(await expectSame({ search: "api.ACME" }, (v) => v.commonName === "api.acme.com"))).toEqual(["api.acme.com"]);
    expect(names(await expectSame({ search: "unique-san" }, (v) => v.commonName === "www.acme.com"))).toEqual(["www.acme.com"]);
    expect(names(await expectSame({ search: "ME.ACME.COM" }, (v) => /me\.acme\.com$/.test(v.commonName)))).toEqual(["renew-me.acme.com", "renew-me.acme.com", "revoke-me.acme.com"]);
  });
  it("search: `%`, `_` and `\\` are literal", async () => {
    expect(names(await expectSame({ search: "_" }, (v) => v.commonName.includes("_")))).toEqual(["billing_svc"]);
    expect(names(await expectSame({ search: "g_s" }, (v) => v.commonName.includes("g_s")))).toEqual(["billing_svc"]);
    expect(names(await expectSame({ search: "%" }, (v) => v.commonName.includes("%")))).toEqual(["100% uptime"]);
    expect(names(await expectSame({ search: "100%" }, (v) => v.commonName.includes("100%")))).toEqual(["100% uptime"]);
    expect(names(await expectSame({ search: "\\" }, (v) => v.commonName.includes("\\")))).toEqual(["back\\slash"]);
    expect(await expectSame({ search: "%%" }, () => false)).toHaveLength(0);
  });
  it("expiresBefore", async () => {
    const inThreeDays = new Date(Date.now() + 72 * HOUR).toISOString();
    expect(names(await expectSame({ expiresBefore: inThreeDays }, (v) => v.notAfter < inThreeDays))).toEqual(["old.acme.com", "renew-me.acme.com", "renew-me.acme.com"]);
    expect(await expectSame({ expiresBefore: new Date(Date.now() + 400 * 24 * HOUR).toISOString() }, () => true)).toHaveLength(12);
    expect(await expectSame({ expiresBefore: "2000-01-01T00:00:00Z" }, () => false)).toHaveLength(0);
  });
  it("cursor pages of 3 walk every row once, in order, with and without filters", async () => {
    expect((await walk(s.defaultProjectId, {}, 3)).map((r) => r.id)).toEqual(all.map((r) => r.id));
    expect((await walk(s.defaultProjectId, { caId: ids.caB }, 3)).map((r) => r.id)).toEqual(all.filter((v) => v.caId === ids.caB).map((r) => r.id));
    expect((await walk(s.defaultProjectId, { status: "active" }, 1)).map((r) => r.id)).toEqual(all.filter((v) => v.lifecycleStatus === "active").map((r) => r.id));
  });
  it("rows sharing one created_at (one transaction) page without gaps", async () => {
    // Rows written in one transaction share now() to the microsecond; the cursor must keep the
    // microseconds (JavaScript dates keep milliseconds) and break ties on the id.
    const project = (await must(s.api("POST", "/api/v1/projects", { token: t, body: { name: "list-same-instant" } }), "project")).project.id as string;
    await s.server.store.transaction(async (tx) => {
      for (let i = 0; i < 10; i++) {
        await tx.cert.insertCertificate({
          id: crypto.randomUUID(), projectId: project, profileId: null, caId: null, caCertificateId: null, caKeyId: null, serial: `0${i}`, commonName: `same-${i}.acme.com`, altNames: [],
          notBefore: new Date(), notAfter: new Date(Date.now() + 24 * HOUR), keyAlgorithm: "EC_prime256v1", keyUsages: [], extendedKeyUsages: [], certificate: Uint8Array.of(0),
          chainPem: "", keySource: "csr", keyRef: null, request: {}, renewedFromId: null,
        });
      }
    });
    const full = await list(project, { limit: "500" });
    expect(full.body.certificates).toHaveLength(10);
    expect(new Set(full.body.certificates.map((r) => r.createdAt)).size).toBe(1);
    for (const limit of [1, 3, 4]) expect((await walk(project, {}, limit)).map((r) => r.id), `limit ${limit}`).toEqual(full.body.certificates.map((r) => r.id));
  });
});

// Search through the indexes of migration 0016 (pg_trgm on search_text, a btree on serial), on
// rows written by the repository: SAN types the list-server template does not allow, chosen
// serials, and one name and serial prefix shared with another project.
describe("ok/ search by SAN and serial, within the project", () => {
  const SERIAL_A = "4fa2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4";
  const SERIAL_B = "7e01020304050607080910111213141516171819";
  const SERIAL_OTHER = "4fa2b3c4d5e6f708ffffffffffffffffffffffff";
  const p = { one: "", two: "" };
  const row = (projectId: string, serial: string, commonName: string, altNames: { type: string; value: string }[]) =>
    s.server.store.cert.insertCertificate({
      id: crypto.randomUUID(), projectId, profileId: null, caId: null, caCertificateId: null, caKeyId: null, serial, commonName, altNames,
      notBefore: new Date(), notAfter: new Date(Date.now() + 24 * HOUR), keyAlgorithm: "EC_prime256v1", keyUsages: [], extendedKeyUsages: [], certificate: Uint8Array.of(0),
      chainPem: "", keySource: "csr", keyRef: null, request: {}, renewedFromId: null,
    });
  const found = async (projectId: string, search: string) => {
    const res = await list(projectId, { search, limit: "500" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.certificates.map((c) => `${c.commonName}`).sort();
  };
  beforeAll(async () => {
    p.one = (await must(s.api("POST", "/api/v1/projects", { token: t, body: { name: "search-one" } }), "project")).project.id;
    p.two = (await must(s.api("POST", "/api/v1/projects", { token: t, body: { name: "search-two" } }), "project")).project.id;
    await row(p.one, SERIAL_A, "alpha.example.com", [
      { type: "dns_name", value: "alpha.example.com" },
      { type: "dns_name", value: "Alias-Host.Internal.example" },
      { type: "ip_address", value: "192.0.2.17" },
      { type: "ip_address", value: "2001:db8::5" },
      { type: "email", value: "Ops.Team@Example.org" },
    ]);
    await row(p.one, SERIAL_B, "beta.example.com", [{ type: "dns_name", value: "beta.example.com" }]);
    await row(p.two, SERIAL_OTHER, "alpha.example.com", [{ type: "dns_name", value: "alpha.example.com" }, { type: "ip_address", value: "192.0.2.17" }]);
  });

  it("by CN and DNS SAN: substring, any case", async () => {
    expect(await found(p.one, "ALPHA.example")).toEqual(["alpha.example.com"]);
    expect(await found(p.one, "example.com")).toEqual(["alpha.example.com", "beta.example.com"]);
    expect(await found(p.one, "alias-host.INTERNAL")).toEqual(["alpha.example.com"]);
    expect(await found(p.one, "st.int")).toEqual(["alpha.example.com"]);
    // Whole words (`example`) find the rows through certificates_search_words; the substring decides.
    expect(await found(p.one, ".example.")).toEqual(["alpha.example.com", "beta.example.com"]);
    expect(await found(p.one, "ha.example.c")).toEqual(["alpha.example.com"]);
    expect(await found(p.one, "x.example.com")).toEqual([]);
    expect(await found(p.one, "example.com.")).toEqual([]);
  });
  it("by IP address SAN (IPv4 and IPv6, whole or part)", async () => {
    expect(await found(p.one, "192.0.2.17")).toEqual(["alpha.example.com"]);
    expect(await found(p.one, "192.0.2.")).toEqual(["alpha.example.com"]);
    expect(await found(p.one, "2001:DB8::5")).toEqual(["alpha.example.com"]);
    expect(await found(p.one, "192.0.2.18")).toEqual([]);
  });
  it("by email SAN, any case", async () => {
    expect(await found(p.one, "ops.team@example.ORG")).toEqual(["alpha.example.com"]);
    expect(await found(p.one, "@example.org")).toEqual(["alpha.example.com"]);
  });
  it("by serial: whole or a prefix of ≥ 8 hex digits, with or without colons, any case, 0x or a leading 00 octet", async () => {
    expect(await found(p.one, SERIAL_A)).toEqual(["alpha.example.com"]);
    expect(await found(p.one, SERIAL_A.toUpperCase())).toEqual(["alpha.example.com"]);
    expect(await found(p.one, SERIAL_A.toUpperCase().match(/../g)!.join(":"))).toEqual(["alpha.example.com"]);
    expect(await found(p.one, SERIAL_A.match(/../g)!.join(":"))).toEqual(["alpha.example.com"]);
    expect(await found(p.one, `00:${SERIAL_A.slice(0, 16).match(/../g)!.join(":")}`)).toEqual(["alpha.example.com"]);
    expect(await found(p.one, `0x${SERIAL_A.slice(0, 8)}`)).toEqual(["alpha.example.com"]);
    expect(await found(p.one, SERIAL_A.slice(0, 8))).toEqual(["alpha.example.com"]);
    expect(await found(p.one, SERIAL_B.slice(0, 12).toUpperCase())).toEqual(["beta.example.com"]);
  });
  it("by serial: not a short hex word, not the middle of a serial, not a changed digit", async () => {
    // Under 8 digits a term is a word ("cafe", "db"), never a serial: nothing here has 4fa2b3 in a name.
    expect(await found(p.one, SERIAL_A.slice(0, 6))).toEqual([]);
    expect(await found(p.one, SERIAL_A.slice(8, 24))).toEqual([]);
    expect(await found(p.one, `${SERIAL_A.slice(0, 39)}5`)).toEqual([]);
  });
  it("never returns another project's certificate, by name, SAN or serial", async () => {
    expect(await found(p.two, "alpha")).toEqual(["alpha.example.com"]);
    expect(await found(p.two, "ops.team")).toEqual([]);
    expect(await found(p.two, SERIAL_A)).toEqual([]);
    expect(await found(p.two, SERIAL_B)).toEqual([]);
    // The shared 16-digit prefix: each project sees its own certificate only.
    const list1 = await list(p.one, { search: SERIAL_A.slice(0, 16) });
    const list2 = await list(p.two, { search: SERIAL_A.slice(0, 16) });
    expect(list1.body.certificates.map((c) => c.commonName)).toEqual(["alpha.example.com"]);
    expect(list2.body.certificates.map((c) => c.commonName)).toEqual(["alpha.example.com"]);
    expect(list1.body.certificates[0].id).not.toBe(list2.body.certificates[0].id);
    expect(await found(p.two, SERIAL_OTHER)).toEqual(["alpha.example.com"]);
    expect(await found(p.one, SERIAL_OTHER)).toEqual([]);
    expect(await found(s.defaultProjectId, SERIAL_A)).toEqual([]);
  });
});

describe("fail/ list", () => {
  it.each(["garbage", "123_not-a-uuid", `12345678901234567_${crypto.randomUUID()}`, `_${crypto.randomUUID()}`, "1_2", `1_${"-".repeat(36)}`, `1_${crypto.randomUUID().toUpperCase()}`, "x".repeat(201)])("a bad cursor %j → 400", async (cursor) => {
    const res = await list(s.defaultProjectId, { cursor });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect((res.body as any).violations.map((v: { field: string }) => v.field)).toContain("query.cursor");
  });
  it.each([["status", "valid"], ["limit", "0"], ["limit", "501"], ["expiresBefore", "tomorrow"], ["profileId", "nope"], ["search", ""]])("a bad %s=%j → 400", async (k, v) => {
    const res = await list(s.defaultProjectId, { [k]: v });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.headers.get("content-type")).toMatch(/^application\/problem\+json/);
  });
  it("another project's list → 404", async () => {
    const res = await list(crypto.randomUUID());
    expect(res.status).toBe(404);
  });
});

// A million synthetic rows in one project (PostgreSQL only: PGlite is one process and this is about
// the planner). The plan must walk certificates_project_page, never scan the table.
// It takes two minutes, so it runs on demand (bench/README.md): STAMP_LIST_MILLION=1 npx vitest run --project postgres test/cert-list.test.ts
describe.skipIf(dbKind !== "postgres" || !LIST_MILLION)("plan/ a million certificates", () => {
  const ROWS = 1_000_000;
  const SERIAL_4242 = `7${(4242).toString(16).padStart(39, "0")}`;
  let db: pg.Client;
  let project = "";
  beforeAll(async () => {
    project = (await must(s.api("POST", "/api/v1/projects", { token: t, body: { name: "list-million" } }), "project")).project.id;
    db = new pg.Client({ connectionString: s.config.databaseUrl! });
    await db.connect();
    const t0 = performance.now();
    await db.query("set synchronous_commit = off");
    // Groups of three rows share a created_at with sub-millisecond digits: ties and microseconds.
    await db.query(
      `insert into certificates (id, project_id, serial, status, common_name, alt_names, search_text, not_before, not_after, key_algorithm,
         key_usages, extended_key_usages, certificate, chain_pem, key_source, request, created_at)
       select gen_random_uuid(), $1, '7' || lpad(to_hex(g), 39, '0'), case when g % 50 = 0 then 'revoked' else 'active' end, 'host-' || g || '.bulk.acme.com',
         jsonb_build_array(jsonb_build_object('type', 'dns_name', 'value', 'host-' || g || '.bulk.acme.com')), 'host-' || g || '.bulk.acme.com',
         now() - interval '1 day', now() + (g % 400) * interval '1 day', 'EC_prime256v1', '["digital_signature"]', '["server_auth"]', '\\x00', '', 'csr', '{}',
         now() - interval '1 hour' - (g / 3) * interval '1.5 milliseconds'
       from generate_series(1, ${ROWS}) g`,
      [project],
    );
    await db.query("analyze certificates");
    console.log(`inserted ${ROWS} rows and analyzed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }, 180_000);
  afterAll(async () => db?.end());

  const plan = async (q: Record<string, unknown>, opts?: { analyze?: boolean }) => explainList(s.server.store, db, { projectId: project, now: new Date(), limit: 100, ...q }, opts);
  /** The deep page's cursor: the row at `offset` in list order, as the server encodes it. */
  const cursorAt = async (offset: number) => {
    const r = await db.query(`select (extract(epoch from created_at) * 1000000)::bigint::text as us, id from certificates where project_id = $1 order by created_at desc, id desc offset ${offset} limit 1`, [project]);
    return { cursor: `${r.rows[0].us}_${r.rows[0].id}`, raw: r.rows[0] };
  };

  it("EXPLAIN of the first page and of a cursor page use certificates_project_page, no Seq Scan", async () => {
    const first = await plan({});
    const deep = await cursorAt(900_000);
    const m = /^(\d+)_(.+)$/.exec(deep.cursor)!;
    const paged = await plan({ cursor: { createdAtMicros: m[1], id: m[2] } });
    console.log(`EXPLAIN first page:\n${first}\n\nEXPLAIN cursor page:\n${paged}`);
    for (const p of [first, paged]) {
      expect(p).toContain("certificates_project_page");
      expect(p).not.toMatch(/Seq Scan on certificates/);
    }
    // The cursor is an index condition (a seek), not a filter over every newer row.
    expect(paged).toMatch(/Index Cond: .*ROW\(created_at, id\) < ROW\(/);
    expect(paged).not.toMatch(/Rows Removed by Filter/);
    console.log(`EXPLAIN (ANALYZE, BUFFERS) cursor page:\n${await plan({ cursor: { createdAtMicros: m[1], id: m[2] } }, { analyze: true })}`);
  });
  it("EXPLAIN of a search by name uses a search index (words or trigrams), by serial certificates_serial; no Seq Scan", async () => {
    const byName = await plan({ search: "host-4242." });
    const bySerial = await plan({ search: SERIAL_4242 });
    console.log(`EXPLAIN search by name:\n${byName}\n\nEXPLAIN search by serial:\n${bySerial}`);
    // Which of the two search indexes depends on ANALYZE's random sample of the word's frequency.
    expect(byName).toMatch(/certificates_search(_words)?\b/);
    expect(bySerial).toContain("certificates_serial");
    for (const p of [byName, bySerial]) expect(p).not.toMatch(/Seq Scan on certificates/);
  });
  it("the API's first page and a deep cursor page (timings printed, not asserted)", async () => {
    const timings: { query: string; ms: number; rows: number }[] = [];
    const time = async (label: string, query: Record<string, string>) => {
      const t0 = performance.now();
      const res = await list(project, query);
      timings.push({ query: label, ms: Math.round((performance.now() - t0) * 10) / 10, rows: res.body.certificates?.length ?? -1 });
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
      return res.body;
    };
    await time("warm-up", { limit: "100" });
    const page1 = await time("first page, limit=100", { limit: "100" });
    const page2 = await time("second page (its nextCursor)", { limit: "100", cursor: page1.nextCursor! });
    expect(page2.certificates[0].id).not.toBe(page1.certificates[99].id);
    const deep = await cursorAt(900_000);
    const deepPage = await time("cursor page after row 900,000", { limit: "100", cursor: deep.cursor });
    // No gap at depth: the page starts with the row right after the cursor's.
    expect(deepPage.certificates[0].id).toBe((await cursorAt(900_001)).raw.id);
    await time("status=active, limit=100", { limit: "100", status: "active" });
    await time("expiresBefore=+10d, limit=100", { limit: "100", expiresBefore: new Date(Date.now() + 10 * 24 * HOUR).toISOString() });
    await time("search=host-4242., limit=100", { limit: "100", search: "host-4242." });
    expect((await time("search=<serial of row 4242>, limit=100", { limit: "100", search: SERIAL_4242.toUpperCase().match(/../g)!.join(":") })).certificates.map((c: View) => c.commonName)).toEqual(["host-4242.bulk.acme.com"]);
    await time("search=nohost.example.org (no match)", { limit: "100", search: "nohost.example.org" });
    console.log(`GET ${CERTS}?projectId=… over ${ROWS.toLocaleString("en")} rows\n${timings.map((x) => `| ${x.query.padEnd(34)} | ${String(x.ms).padStart(8)} ms | ${String(x.rows).padStart(4)} rows |`).join("\n")}`);
  });
});
