import { createHmac, createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import http from "node:http";
import type net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { open, seal } from "../src/server/keys/envelope.js";
import { openDb, type Db } from "../src/server/store/db.js";
import { makeKeyring, type Keyring } from "../src/server/keys/keyring.js";
import { formatRootKey, parseKeyring } from "../src/server/keys/root-key.js";
import { rotateRootKeyCommand } from "../src/server/root-key/command.js";
import { aadOf } from "../src/server/root-key/rewrap.js";
import { secretsAad } from "../src/server/ra/external/settings.js";
import { SEALED_COLUMNS } from "../src/server/store/sealed.repo.js";
import { AcmeClient } from "./helpers/acme-client.js";
import { dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";
import { opensslAsync, verifyChain } from "./helpers/openssl.js";
import { scanEnvelopes, type FoundEnvelope } from "./helpers/sealed-scan.js";

// Root key rotation (issue 13 item 9, docs/adr/0005-root-key-rotation.md): every sealed value is
// re-wrapped under a new root key, in resumable batches; afterwards everything works with the new
// key alone and the old key opens nothing. On PostgreSQL two servers keep serving through it.

const CA = "/api/v1/cert-manager/ca/internal";
const CERTS = "/api/v1/cert-manager/certificates";

let db: Awaited<ReturnType<typeof freshDatabase>>;
let a: TestServer | null = null;
let b: TestServer | null = null;
let keyFile = "";
let hooks: { url: string; hits: { body: string; signature: string }[]; close(): Promise<void> };
const seed = { rootId: "", intId: "", rootPem: "", intPem: "", profileId: "", leafId: "", leafPem: "", token: "", eabs: [] as { keyId: string; hmacKey: string }[], webhookSecret: "" };

const start = () => startServer({ db, tls: true, httpListener: true, env: { STAMP_EGRESS_ALLOW: "127.0.0.1" } });
const ok = async (r: Promise<{ status: number; body: any }>) => {
  const x = await r;
  if (x.status !== 200) throw new Error(JSON.stringify(x.body));
  return x.body;
};
const readRing = async () => parseKeyring(await readFile(keyFile, "utf8"), keyFile);

/** Runs the command in this process against the test database; `stopAfter` batches simulates a crash. */
async function rotate(args: string[], stopAfter?: number) {
  const out: string[] = [];
  const where = db.databaseUrl ? ["--database-url", db.databaseUrl] : ["--data-dir", db.dataDir];
  let batches = 0;
  const onBatch = () => {
    if (stopAfter !== undefined && ++batches >= stopAfter) throw new Error("simulated crash");
  };
  const code = await rotateRootKeyCommand([...args, "--root-key-file", keyFile, ...where], {}, { out: (l) => out.push(l), onBatch });
  return { code, out: out.join("\n") };
}

/** Runs `fn` on the test database directly. */
async function stray(fn: (x: Db["db"]) => Promise<unknown>) {
  const h = await openDb(db.databaseUrl ? { kind: "postgres", url: db.databaseUrl, poolSize: 1 } : { kind: "pglite", dataDir: `${db.dataDir}/db` });
  try {
    await fn(h.db);
  } finally {
    await h.close();
  }
}

/** A server-made certificate of the seeded profile. */
async function issue(s: TestServer, cn: string, headers: Record<string, string> = {}) {
  const r = await s.api("POST", CERTS, { token: s.adminToken, body: { profileId: seed.profileId, attributes: { commonName: cn, altNames: [{ type: "dns_name", value: cn }] } }, headers });
  if (r.status !== 200) throw new Error(JSON.stringify(r.body));
  return r.body.certificate as { certificateId: string; certificate: string; privateKey: string };
}

/** Opens an envelope with `ring`, binding the AAD its column gives it; the error when it does not open. */
function tryOpen(f: FoundEnvelope, ring: Keyring): unknown {
  const c = SEALED_COLUMNS.find((x) => x.table === f.table && x.column === f.column)!;
  const aad = aadOf(c, c.key.map((k) => String(f.row[k])), f.value, f.path);
  try {
    open(ring, f.sealed, aad!);
    return null;
  } catch (e) {
    return e;
  }
}

/** Everything sealed still does its job: CA keys sign, server-made keys download, OCSP signers answer, EAB, webhook, tokens, idempotent answers. */
async function everythingWorks(s: TestServer) {
  const fresh = await issue(s, "after.rotate.test");
  expect(verifyChain(seed.rootPem, seed.intPem, fresh.certificate).ok).toBe(true);
  const key = await ok(s.api("GET", `${CERTS}/${seed.leafId}/private-key`, { token: s.adminToken, headers: { accept: "application/json" } }));
  expect(createPublicKey(createPrivateKey(key.privateKey)).export({ format: "jwk" })).toEqual(new X509Certificate(seed.leafPem).publicKey.export({ format: "jwk" }));
  const replay = await s.api("POST", CERTS, { token: s.adminToken, body: { profileId: seed.profileId, attributes: { commonName: "leaf.rotate.test", altNames: [{ type: "dns_name", value: "leaf.rotate.test" }] } }, headers: { "idempotency-key": "rotate-1" } });
  expect(replay.headers.get("idempotent-replayed")).toBe("true");
  expect(replay.body.certificate.certificateId).toBe(seed.leafId);
  // A token signed before the rotation still verifies (the HMAC key is the same, re-wrapped).
  expect((await s.api("GET", "/api/v1/projects", { token: seed.token })).status).toBe(200);
  const ocsp = await opensslAsync(() => ["ocsp", "-issuer", "int.pem", "-cert", "leaf.pem", "-url", `${s.httpUrl}/api/v1/cert-manager/ocsp/${seed.intId}`, "-CAfile", "chain.pem", "-timeout", "10"], { "int.pem": seed.intPem, "leaf.pem": seed.leafPem, "chain.pem": seed.rootPem + seed.intPem });
  expect(ocsp.out).toContain("Response verify OK");
  expect(ocsp.out).toContain("leaf.pem: good");
  const before = hooks.hits.length;
  await issue(s, "hook.rotate.test");
  await s.server.jobs.runNow("alert-delivery");
  expect(hooks.hits.length).toBeGreaterThan(before);
  const hit = hooks.hits[hooks.hits.length - 1];
  expect(hit.signature).toBe(`sha256=${createHmac("sha256", seed.webhookSecret).update(hit.body, "utf8").digest("hex")}`);
}

/** An ACME account with one of the seeded EAB keys (the HMAC key opens). */
async function acmeAccountWorks(s: TestServer) {
  const c = new AcmeClient(`${s.url}/api/v1/cert-manager/acme/profiles/${seed.profileId}/directory`, { ca: await readFile(s.tlsCaFile, "utf8") });
  await c.init();
  const r = await c.newAccount({ contact: ["mailto:ops@rotate.test"] }, seed.eabs.shift());
  expect(r.status, r.text).toBe(201);
}

beforeAll(async () => {
  const received: { body: string; signature: string }[] = [];
  const srv = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ body, signature: String(req.headers["x-stamp-signature"]) });
      res.end("ok");
    });
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  hooks = { url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/hook`, hits: received, close: () => new Promise<void>((r) => srv.close(() => r())) };

  db = await freshDatabase();
  a = await start();
  keyFile = a.config.rootKeyFile;
  const t = a.adminToken;
  const p = a.defaultProjectId;
  const root = await ok(a.api("POST", CA, { token: t, body: { projectId: p, name: "rot-root", configuration: { type: "root", commonName: "Rotate Root", keyAlgorithm: "EC_prime256v1" } } }));
  const int = await ok(a.api("POST", CA, { token: t, body: { projectId: p, name: "rot-int", configuration: { type: "intermediate", commonName: "Rotate Issuing", keyAlgorithm: "RSA_2048", parentCaId: root.id } } }));
  Object.assign(seed, { rootId: root.id, intId: int.id, token: t });
  seed.rootPem = (await ok(a.api("GET", `${CA}/${root.id}/certificate`, { token: t }))).certificate;
  seed.intPem = (await ok(a.api("GET", `${CA}/${int.id}/certificate`, { token: t }))).certificate;
  const tpl = await ok(a.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: p, name: "rot-tpl", preset: "tls-server" } }));
  const prof = await ok(a.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: p, slug: "rot", templateId: tpl.certificateTemplate.id, caId: int.id, enrollmentMethods: ["api", "acme", "scep"], acmeConfig: { eabRequired: true } } }));
  seed.profileId = prof.certificateProfile.id;
  // The SCEP RA certificate (its key sealed in scep_ra_certificates) is made on first use.
  expect((await a.api("GET", `/scep/${seed.profileId}/pkiclient.exe?operation=GetCACert`)).status).toBe(200);
  const leaf = await issue(a, "leaf.rotate.test", { "idempotency-key": "rotate-1" });
  Object.assign(seed, { leafId: leaf.certificateId, leafPem: leaf.certificate });
  for (let i = 0; i < 2; i++) {
    const e = await ok(a.api("POST", `/api/v1/cert-manager/certificate-profiles/${seed.profileId}/acme/eab-keys`, { token: t, body: { description: `rotate ${i}` } }));
    seed.eabs.push({ keyId: e.eabKey.keyId, hmacKey: e.eabKey.hmacKey });
  }
  const rule = await ok(a.api("POST", `/api/v1/projects/${p}/alert-rules`, { token: t, body: { name: "rotate", events: ["issued"], channel: "webhook", webhookUrl: hooks.url, filters: { namePattern: "hook.rotate.test" } } }));
  seed.webhookSecret = rule.webhookSecret;
  // An external ACME CA's secrets (external_cas.secrets_sealed): written through the store with the
  // RA's AAD, as creating one would (a real one needs a public CA; test/external-ca.test.ts has it).
  const extId = crypto.randomUUID();
  const secrets = seal(await readRing(), Buffer.from(JSON.stringify({ accountKey: "pem" })), secretsAad(extId));
  await a.server.store.external.insertCa({ id: extId, projectId: p, name: "rot-public", status: "disabled", configuration: { directoryUrl: "https://acme.invalid/directory", accountEmail: "ops@rotate.test", eabKid: null, dnsSolver: { type: "hook", hook: "none" }, trustBundle: null, propagationTimeoutSeconds: 60 }, secretsSealed: secrets, accountUrl: "https://acme.invalid/acct/1", at: new Date() });
  // Every sealed kind exists before the rotation (the delegated OCSP signer is made on first use).
  await everythingWorks(a);
}, 120_000);

afterAll(async () => {
  await b?.close();
  await a?.close();
  await hooks?.close();
  await db?.drop();
});

describe(`root key rotation (${dbKind})`, () => {
  it("ok/ every sealed value sits in a column the rotation knows, and each known column is seeded", async () => {
    if (dbKind === "pglite") {
      // The embedded database has one writer: stop the server to read it.
      await a!.close();
      a = null;
    }
    const found = await scanEnvelopes(db);
    const where = new Set(found.map((f) => `${f.table}.${f.column}`));
    expect([...where].sort()).toEqual(SEALED_COLUMNS.map((c) => `${c.table}.${c.column}`).sort());
    // And the rotation knows the AAD of each one (it refuses to guess).
    for (const f of found) expect(tryOpen(f, await readRing())).toBeNull();
  });

  it("ok/ a rotation stopped half-way leaves every value openable, and running it again completes it; --finish drops the old key, which then opens nothing", async () => {
    const old = (await readRing()).current;
    const onPg = dbKind === "postgres";
    if (onPg) {
      // Stage the new key on every server first: they open with it before anything is sealed under it.
      const prep = await rotate(["--prepare"]);
      expect(prep.code, prep.out).toBe(0);
      await a!.close();
      a = await start();
      b = await start();
      expect((await readRing()).others.map((k) => k.role)).toEqual(["next"]);
      expect(a.server.notices.join("\n")).toContain(`Root key rotation in progress: sealing with root key ${old.id}`);
    } else {
      // The embedded store: the server holds the data dir, so the rotation runs while it is stopped.
      a = await start();
      const refused = await rotate([]);
      expect(refused.code).toBe(1);
      expect(refused.out).toContain("another Stamp server");
      expect((await readRing()).current.id).toBe(old.id);
      await a.close();
      a = null;
    }
    const crashed = await rotate(["--batch-size", "1"], 3);
    expect(crashed.code).toBe(1);
    expect(crashed.out).toContain("simulated crash");
    const ring = await readRing();
    expect(ring.current.id).not.toBe(old.id);
    expect(ring.others).toEqual([expect.objectContaining({ id: old.id, role: "previous" })]);
    const mid = await scanEnvelopes(db);
    expect(mid.filter((f) => f.sealed.kid === ring.current.id).length).toBeGreaterThanOrEqual(2);
    expect(mid.filter((f) => f.sealed.kid !== ring.current.id).length).toBeGreaterThan(0);
    for (const f of mid) expect(tryOpen(f, ring)).toBeNull();

    if (onPg) {
      // During the change: A has the new file, B still the staged one. Each opens what the other seals.
      await a!.close();
      a = await start();
      const byB = await issue(b!, "b.rotate.test");
      const byA = await issue(a, "a.rotate.test");
      expect((await a.api("GET", `${CERTS}/${byB.certificateId}/private-key`, { token: a.adminToken })).status).toBe(200);
      expect((await b!.api("GET", `${CERTS}/${byA.certificateId}/private-key`, { token: b!.adminToken })).status).toBe(200);
      expect((await b!.api("GET", "/api/v1/projects", { token: a.adminToken })).status).toBe(200);
    }

    const resumed = await rotate(["--batch-size", "2"]);
    expect(resumed.code, resumed.out).toBe(0);
    expect(resumed.out).toContain("resuming");
    if (onPg) {
      await b!.close();
      b = await start();
    }
    // --finish refuses, changing nothing, while a value is still under the old key (here one it cannot re-wrap).
    await stray((x) => x.insertInto("server_secrets").values({ name: "stray", sealed: JSON.stringify(seal(old.key, Buffer.from("x"), "not its aad")) }).execute());
    const refused = await rotate(["--finish"]);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain("could not re-wrap server_secrets.sealed (name = stray)");
    expect(refused.out).toContain(`not finished: 1 under ${old.id}`);
    expect((await readRing()).others.map((k) => k.id)).toEqual([old.id]);
    await stray((x) => x.deleteFrom("server_secrets").where("name", "=", "stray").execute());
    const done = await rotate(["--finish"]);
    expect(done.code, done.out).toBe(0);
    expect(done.out).toContain(`Dropped root key ${old.id}`);
    const final = await readRing();
    expect(final.current.id).toBe(ring.current.id);
    expect(final.others).toEqual([]);
    expect(await readFile(keyFile, "utf8")).toMatch(/^stamp-root-key-v1:/);

    const after = await scanEnvelopes(db);
    expect(after.length).toBeGreaterThanOrEqual(mid.length);
    const oldAlone = makeKeyring(old.key);
    for (const f of after) {
      expect(f.sealed.kid).toBe(final.current.id);
      expect(tryOpen(f, final)).toBeNull();
      expect(tryOpen(f, oldAlone)).not.toBeNull();
    }
    // Running it again changes nothing.
    expect((await rotate(["--finish"])).out).toContain("no previous key to drop");
    // A server given only the old key refuses to start, saying why.
    const oldFile = path.join(db.dataDir, "old.key");
    await writeFile(oldFile, formatRootKey(old.key), { mode: 0o600 });
    await expect(startServer({ db, args: ["--root-key-file", oldFile] })).rejects.toThrow(/root key does not match this database/);
  }, 180_000);

  it("ok/ with only the new key, every sealed thing works: CA signs (openssl verify), keys download, OCSP, EAB, webhook, tokens, idempotent answers", async () => {
    await b?.close();
    b = null;
    await a?.close();
    a = await start();
    await everythingWorks(a);
    await acmeAccountWorks(a);
  }, 120_000);
});
