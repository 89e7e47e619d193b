import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PART_BYTES } from "../src/server/ca/crl-body.js";
import { startServer, type TestServer } from "./helpers/harness.js";

const CA = "/api/v1/cert-manager/ca/internal";
const CERTS = "/api/v1/cert-manager/certificates";
/** Enough entries for two cursor batches of 10,000 and a CRL of a few PART_BYTES (stored in parts). */
const N = 12_000;

let s: TestServer;
beforeAll(async () => {
  s = await startServer();
});
afterAll(async () => s?.close());

async function must(method: string, path: string, body?: unknown) {
  const r = await s.api(method, path, { token: s.adminToken, body });
  if (r.status !== 200) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}

/** A root CA of `alg` with one certificate issued and revoked through the API, then `N` more revoked rows written through the store. */
async function caWithManyRevoked(alg: "EC_prime256v1" | "RSA_2048", slug: string) {
  const p = s.defaultProjectId;
  const ca = await must("POST", CA, { projectId: p, name: slug, configuration: { type: "root", commonName: `Large ${alg}`, keyAlgorithm: alg } });
  const tpl = await must("POST", "/api/v1/cert-manager/certificate-templates", { projectId: p, name: `${slug}-tpl`, preset: "tls-server" });
  const prof = await must("POST", "/api/v1/cert-manager/certificate-profiles", { projectId: p, slug, templateId: tpl.certificateTemplate.id, caId: ca.id });
  const cert = (await must("POST", CERTS, { profileId: prof.certificateProfile.id, attributes: { commonName: `${slug}.large.test` } })).certificate;
  await must("POST", `${CERTS}/${cert.certificateId}/revoke`, { revocationReason: "KEY_COMPROMISE" });
  const caPem = (await must("GET", `${CA}/${ca.id}/certificate`)).certificate as string;

  // The N rows are written straight into the table, 1,000 per statement, copying the real
  // certificate's columns (row-at-a-time inserts took two minutes on PGlite).
  const db = s.server.db.db;
  const seq = await s.server.store.cert.nextRevocationSeq(ca.id);
  const serials = new Set<string>([String(cert.serialNumber).toLowerCase()]);
  const reasons = ["KEY_COMPROMISE", "SUPERSEDED", "CESSATION_OF_OPERATION", "AFFILIATION_CHANGED", "UNSPECIFIED", "CERTIFICATE_HOLD"];
  for (let done = 0; done < N; ) {
    const rows = { serial: [] as string[], at: [] as string[], reason: [] as string[], invalidity: [] as (string | null)[], cn: [] as string[] };
    for (let i = 0; i < 1000 && done < N; i++, done++) {
      // 20 octets, positive, some with a leading 00 octet after the sign bit rule (first nibble 0-7).
      const serial = (randomBytes(1)[0] & 0x7f).toString(16).padStart(2, "0") + randomBytes(19).toString("hex");
      serials.add(serial.replace(/^(00)+/, ""));
      const at = new Date(Date.now() - (done % 86_400) * 1000);
      rows.serial.push(serial);
      rows.at.push(at.toISOString());
      rows.reason.push(reasons[done % reasons.length]);
      rows.invalidity.push(done % 10 === 0 ? new Date(at.getTime() - 3_600_000).toISOString() : null);
      rows.cn.push(`n${done}.large.test`);
    }
    await sql`
      insert into certificates (id, project_id, profile_id, ca_id, ca_certificate_id, ca_key_id, serial, status, revocation_seq,
        common_name, alt_names, search_text, not_before, not_after, key_algorithm, key_usages, extended_key_usages,
        certificate, chain_pem, key_source, request, revoked_at, revocation_reason, invalidity_date)
      select gen_random_uuid(), c.project_id, c.profile_id, c.ca_id, c.ca_certificate_id, c.ca_key_id, r.serial, 'revoked', ${seq}::bigint,
        r.cn, '[]'::jsonb, r.cn, c.not_before, c.not_after, c.key_algorithm, '[]'::jsonb, '[]'::jsonb,
        '\\x00'::bytea, '', 'csr', '{}'::jsonb, r.at, r.reason, r.invalidity
      from certificates c,
        unnest(${rows.serial}::text[], ${rows.at}::timestamptz[], ${rows.reason}::text[], ${rows.invalidity}::timestamptz[], ${rows.cn}::text[]) as r(serial, at, reason, invalidity, cn)
      where c.id = ${cert.certificateId}`.execute(db);
  }
  return { caId: ca.id as string, caPem, serials };
}

/** `openssl crl …` on the given files, with room for the text of thousands of entries (the shared helper keeps 1 MB). */
function opensslCrl(args: string[], files: Record<string, Uint8Array | string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-crl-large-"));
  try {
    for (const [name, content] of Object.entries(files)) writeFileSync(path.join(dir, name), content);
    const r = spawnSync("openssl", ["crl", ...args], { cwd: dir, encoding: "utf8", maxBuffer: 256 * 1024 * 1024, timeout: 120_000 });
    return `${r.stdout ?? ""}${r.stderr ?? ""}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The serial numbers `openssl crl -text` lists, as lower-case hex without leading zero octets. */
function listedSerials(text: string): string[] {
  return [...text.matchAll(/Serial Number: ([0-9A-F]+)/g)].map((m) => m[1].toLowerCase().replace(/^(00)+/, ""));
}

describe("ok/ a CRL of many entries, streamed", () => {
  it.each([
    ["EC_prime256v1", "large-ec"],
    ["RSA_2048", "large-rsa"],
  ] as const)("%s: OpenSSL verifies it and lists every serial; stored in parts; DER and PEM served alike", async (alg, slug) => {
    const { caId, caPem, serials } = await caWithManyRevoked(alg, slug);
    const rebuilt = await must("POST", `${CA}/${caId}/crls`);
    expect(rebuilt.results).toHaveLength(1);
    expect(rebuilt.results[0]).toMatchObject({ status: "built", entries: N + 1 });
    const keyId = rebuilt.results[0].caKeyId as string;

    // Two requests at once get the same bytes (the body is loaded once per server and cached).
    const [der, der2] = await Promise.all([0, 1].map(async () => Buffer.from(await (await fetch(`${s.url}/api/v1/cert-manager/crl/${keyId}`)).arrayBuffer())));
    expect(der.length).toBeGreaterThan(PART_BYTES);
    expect(der.equals(der2)).toBe(true);
    const stored = (await s.server.store.revocation.crlsOf(caId, 10)).find((c) => c.delta_base === null)!;
    const info = await s.server.store.revocation.crlById(stored.id);
    expect(info?.size).toBe(der.length); // in crl_parts, not one bytea

    const out = opensslCrl(["-inform", "DER", "-in", "c.der", "-CAfile", "ca.pem", "-noout", "-text"], { "c.der": der, "ca.pem": caPem });
    expect(out).toContain("verify OK");
    const listed = listedSerials(out);
    expect(listed).toHaveLength(N + 1);
    expect(new Set(listed)).toEqual(serials);
    expect(out).toContain("Key Compromise");
    expect(out).toContain("Invalidity Date");
    expect(out).toContain("Certificate Hold");

    const pem = await (await fetch(`${s.url}/api/v1/cert-manager/crl/${keyId}?format=pem`)).text();
    expect(pem.startsWith("-----BEGIN X509 CRL-----\n")).toBe(true);
    expect(pem.split("\n").every((l) => l.length <= 64)).toBe(true);
    expect(opensslCrl(["-in", "c.pem", "-CAfile", "ca.pem", "-noout"], { "c.pem": pem, "ca.pem": caPem })).toContain("verify OK");
    const archived = Buffer.from(await (await fetch(`${s.url}/api/v1/cert-manager/crl/archive/${stored.id}`)).arrayBuffer());
    expect(archived.equals(der)).toBe(true);
    expect(Buffer.from(pem.replace(/-----[A-Z0-9 ]+-----|\n/g, ""), "base64").equals(der)).toBe(true);
  }, 300_000);
});
