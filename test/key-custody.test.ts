import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_ALGORITHMS } from "../src/pki/algorithms.js";
import { openDb } from "../src/server/store/db.js";
import { open, type Sealed } from "../src/server/keys/envelope.js";
import { parseRootKey } from "../src/server/keys/root-key.js";
import { dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";

// Key custody: after CAs of every key algorithm exist, no byte of any private key is in the
// database in the clear — not as PEM, not as PKCS#8 DER, not as the raw private scalar or
// exponent, in binary, hex or base64 — while the sealed copies open with the root key.

const CA = "/api/v1/cert-manager/ca/internal";
let db: Awaited<ReturnType<typeof freshDatabase>>;
let s: TestServer;
let stopped = false;
let rootKeyFile = "";
const caIds: Record<string, string> = {};

beforeAll(async () => {
  db = await freshDatabase();
  s = await startServer({ db });
  rootKeyFile = s.config.rootKeyFile;
});
afterAll(async () => {
  if (!stopped) await s?.close();
  await db?.drop();
});

/** Every value of every row of every table, serialised: bytea as its raw bytes, the rest as text. */
async function dumpDatabase() {
  const h = await openDb(db.databaseUrl ? { kind: "postgres", url: db.databaseUrl } : { kind: "pglite", dataDir: `${db.dataDir}/db` });
  try {
    const tables = (
      await sql<{ table_schema: string; table_name: string }>`
        select table_schema, table_name from information_schema.tables
        where table_type = 'BASE TABLE' and table_schema not in ('pg_catalog', 'information_schema')
        order by 1, 2`.execute(h.db)
    ).rows;
    const binary: Buffer[] = [];
    const text: string[] = [];
    const rows: Record<string, Record<string, unknown>[]> = {};
    for (const t of tables) {
      const r = (await sql.raw<Record<string, unknown>>(`select * from "${t.table_schema}"."${t.table_name}"`).execute(h.db)).rows;
      rows[t.table_name] = r;
      for (const row of r) {
        for (const [col, v] of Object.entries(row)) {
          if (v === null || v === undefined) continue;
          if (v instanceof Uint8Array) {
            const b = Buffer.from(v);
            binary.push(b);
            text.push(`${col}=${b.toString("hex")}`, b.toString("base64"), b.toString("latin1"));
          } else if (v instanceof Date) {
            text.push(v.toISOString());
          } else if (typeof v === "object") {
            text.push(JSON.stringify(v));
          } else {
            text.push(String(v));
          }
        }
      }
    }
    return { tables: tables.map((t) => t.table_name), rows, binary, text: text.join("\n") };
  } finally {
    await h.close();
  }
}

/** The bytes hidden in every hex or base64(url) run of `text`, so a needle is found at any alignment. */
function decodedRuns(text: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of text.matchAll(/[0-9a-fA-F]{32,}/g)) out.push(Buffer.from(m[0].slice(0, m[0].length & ~1), "hex"));
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{24,}={0,2}/g)) {
    for (let shift = 0; shift < 4; shift++) {
      const run = m[0].replace(/=+$/, "").slice(shift);
      out.push(Buffer.from(run.replace(/-/g, "+").replace(/_/g, "/"), "base64"));
    }
  }
  return out;
}

/** The PKCS#8 header up to the privateKey OCTET STRING tag: version 0 + AlgorithmIdentifier + 0x04 (RFC 5208 §5). */
function pkcs8Prefix(der: Buffer): Buffer {
  let i = 1;
  i += der[i] & 0x80 ? 1 + (der[i] & 0x7f) : 1; // outer SEQUENCE length
  expect(der.subarray(i, i + 3).toString("hex")).toBe("020100");
  const algLen = der[i + 4]; // short-form length: every AlgorithmIdentifier here is < 128 bytes
  const end = i + 3 + 2 + algLen;
  expect(der[end]).toBe(0x04);
  return der.subarray(i, end + 1);
}

/** The secret parts of a private key as raw big-endian bytes (from its JWK). */
function secretParts(pkcs8: Buffer): Record<string, Buffer> {
  const jwk = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" }).export({ format: "jwk" }) as Record<string, string>;
  const parts: Record<string, Buffer> = {};
  for (const k of ["d", "p", "q", "dp", "dq", "qi"]) if (jwk[k]) parts[k] = Buffer.from(jwk[k], "base64url");
  return parts;
}

describe("ok/ key custody", () => {
  it("creates a CA of every key algorithm (and one awaiting an outside signature)", async () => {
    await Promise.all(
      KEY_ALGORITHMS.map(async (alg) => {
        const r = await s.api("POST", CA, { token: s.adminToken, body: { projectId: s.defaultProjectId, name: `ca-${alg}`, configuration: { type: "root", commonName: `Custody ${alg}`, keyAlgorithm: alg } } });
        expect(r.status, JSON.stringify(r.body)).toBe(200);
        caIds[alg] = r.body.id;
        expect(JSON.stringify(r.body)).not.toMatch(/PRIVATE KEY/);
      }),
    );
    const ext = await s.api("POST", CA, { token: s.adminToken, body: { projectId: s.defaultProjectId, name: "outside", configuration: { type: "intermediate", commonName: "Outside", keyAlgorithm: "EC_secp384r1" } } });
    expect(ext.status).toBe(200);
    caIds.outside = ext.body.id;
  });

  it("a certificate issued with a server-made key under an Idempotency-Key: the answer kept for replays holds the key only sealed", async () => {
    const t = s.adminToken;
    const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", { token: t, body: { projectId: s.defaultProjectId, name: "custody-tpl", preset: "tls-server" } });
    const prof = await s.api("POST", "/api/v1/cert-manager/certificate-profiles", { token: t, body: { projectId: s.defaultProjectId, slug: "custody", templateId: tpl.body.certificateTemplate.id, caId: caIds.EC_prime256v1 } });
    const body = { profileId: prof.body.certificateProfile.id, attributes: { commonName: "custody.example.com", ttl: "1d" } };
    const first = await s.api("POST", "/api/v1/cert-manager/certificates", { token: t, body, headers: { "idempotency-key": "custody-1" } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.certificate.privateKey).toMatch(/PRIVATE KEY/);
    const again = await s.api("POST", "/api/v1/cert-manager/certificates", { token: t, body, headers: { "idempotency-key": "custody-1" } });
    expect(again.body.certificate.privateKey).toBe(first.body.certificate.privateKey);
  });

  it("the root key file is mode 0600", async () => {
    const st = await stat(rootKeyFile);
    expect((st.mode & 0o777).toString(8)).toBe("600");
  });

  it("no private key material is anywhere in the database; the sealed keys open with the root key", async () => {
    await s.close();
    stopped = true;
    const rootKey = parseRootKey(await readFile(rootKeyFile, "utf8"), rootKeyFile);
    const dump = await dumpDatabase();
    expect(dump.tables).toEqual(expect.arrayContaining(["audit_log", "ca_certificates", "ca_keys", "cas", "server_secrets", "users", "idempotency_keys"]));
    expect(dump.rows.idempotency_keys).toHaveLength(1);
    const haystack = Buffer.concat([...dump.binary, Buffer.from(dump.text, "utf8"), ...decodedRuns(dump.text)]);
    const textLower = dump.text.toLowerCase();

    // Positive control: public keys are found by the same search.
    const keys = dump.rows.ca_keys as { ca_id: string; key_algorithm: string; backend: string; key_ref: { backend: string; label: string; sealed: Sealed }; spki: Uint8Array }[];
    expect(keys).toHaveLength(KEY_ALGORITHMS.length + 1);
    for (const k of keys) expect(haystack.includes(Buffer.from(k.spki))).toBe(true);

    expect(dump.text).not.toMatch(/PRIVATE KEY/i);
    // Detector control: a key planted as base64 at any alignment, or as hex, would be found.
    const planted = open(rootKey, keys[0].key_ref.sealed, "stamp-key:" + keys[0].key_ref.label);
    for (const lead of ["", "A", "AB", "ABC"]) expect(Buffer.concat(decodedRuns(`{"x":"${lead}${planted.toString("base64")}"}`)).includes(secretParts(planted).d)).toBe(true);
    expect(Buffer.concat(decodedRuns(`x=ab${planted.toString("hex")}`)).includes(pkcs8Prefix(planted))).toBe(true);
    for (const k of keys) {
      expect(k.backend).toBe("software");
      expect(Object.keys(k.key_ref).sort()).toEqual(["backend", "label", "sealed"]);
      // The real key is there, sealed: it opens with the root key and the label-bound AAD...
      const pkcs8 = open(rootKey, k.key_ref.sealed, "stamp-key:" + k.key_ref.label);
      expect(() => open(rootKey, k.key_ref.sealed, "stamp-key:someone-else")).toThrow();
      const priv = createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
      // ...and is the key behind the stored public key and the CA's certificate.
      expect(Buffer.from(createPublicKey(priv).export({ type: "spki", format: "der" })).equals(Buffer.from(k.spki))).toBe(true);
      const cert = (dump.rows.ca_certificates as { ca_key_id: string; certificate: Uint8Array }[]).find((c) => c.ca_key_id === (k as unknown as { id: string }).id);
      if (k.ca_id !== caIds.outside) expect(new X509Certificate(Buffer.from(cert!.certificate)).checkPrivateKey(priv)).toBe(true);

      // Nothing of the clear key is stored: not the PKCS#8, not its header, not a private part.
      const needles: [string, Buffer][] = [["pkcs8", pkcs8], ["pkcs8 prefix", pkcs8Prefix(pkcs8)], ...Object.entries(secretParts(pkcs8)).map(([n, b]) => [n, b] as [string, Buffer])];
      for (const [what, bytes] of needles) {
        expect(bytes.length, `${k.key_algorithm} ${what}`).toBeGreaterThanOrEqual(what === "pkcs8 prefix" ? 11 : 16);
        expect(haystack.includes(bytes), `${k.key_algorithm} ${what} in binary`).toBe(false);
        expect(textLower.includes(bytes.toString("hex")), `${k.key_algorithm} ${what} in hex`).toBe(false);
        for (const b64 of [bytes.toString("base64"), bytes.toString("base64url")]) expect(dump.text.includes(b64.replace(/=+$/, "")), `${k.key_algorithm} ${what} in base64`).toBe(false);
      }
      expect(dump.text).not.toContain(priv.export({ type: "pkcs8", format: "pem" }).toString().split("\n")[1]);
    }
    expect(new Set(keys.map((k) => k.key_algorithm))).toEqual(new Set(KEY_ALGORITHMS));
  });

  it("nor in the embedded database's files on disk (PGlite)", async () => {
    if (dbKind !== "pglite") return;
    const rootKey = parseRootKey(await readFile(rootKeyFile, "utf8"), rootKeyFile);
    const dump = await dumpDatabase();
    const needles = (dump.rows.ca_keys as { key_ref: { label: string; sealed: Sealed } }[]).flatMap((k) => {
      const pkcs8 = open(rootKey, k.key_ref.sealed, "stamp-key:" + k.key_ref.label);
      return [pkcs8, ...Object.values(secretParts(pkcs8))];
    });
    const files: string[] = [];
    const walk = async (dir: string) => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) await walk(p);
        else if (e.isFile()) files.push(p);
      }
    };
    await walk(path.join(db.dataDir, "db"));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const bytes = await readFile(f);
      expect(bytes.includes("PRIVATE KEY"), f).toBe(false);
      for (const n of needles) expect(bytes.includes(n), f).toBe(false);
    }
  });
});
