import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { dbKind } from "./helpers/harness.js";
import { openssl } from "./helpers/openssl.js";
import { call, spawnServer, type SpawnedServer } from "./helpers/spawned-server.js";

const env = { STAMP_BOOTSTRAP_EMAIL: "full@example.com", STAMP_BOOTSTRAP_PASSWORD: "disk full disk full", STAMP_EMBEDDED_DURABILITY: "relaxed" };
const CERTS = "/api/v1/cert-manager/certificates";

// A full disk under the embedded store: requests that need to write get 503 with Retry-After,
// /readyz says why, OCSP keeps answering (or says tryLater), and when space comes back everything
// works again with nothing lost. The disk is a small tmpfs the test mounts (root only).
describe.skipIf(dbKind !== "pglite")("disk full on the embedded store", () => {
  let base = "";
  let mounted = "";
  let s: SpawnedServer | undefined;
  afterAll(async () => {
    await s?.stop();
    if (mounted) spawnSync("umount", [mounted]);
    if (base) await rm(base, { recursive: true, force: true });
  });

  it("ok/ 503 + Retry-After and /readyz not ready while full; OCSP never internalError; recovery when space returns; nothing lost", async (ctx) => {
    base = await mkdtemp(path.join(os.tmpdir(), "stamp-full-"));
    const disk = path.join(base, "disk");
    await mkdir(disk);
    const m = spawnSync("mount", ["-t", "tmpfs", "-o", "size=96m", "tmpfs", disk], { encoding: "utf8" });
    if (m.status !== 0) {
      console.log(`disk-full test skipped: cannot mount a tmpfs here (${m.stderr.trim()})`);
      ctx.skip();
    }
    mounted = disk;
    const dir = path.join(disk, "data");
    s = await spawnServer(["--data-dir", dir], { env });
    const token = (await call(s.url, "POST", "/api/v1/auth/login", { body: { email: env.STAMP_BOOTSTRAP_EMAIL, password: env.STAMP_BOOTSTRAP_PASSWORD } })).body.accessToken;
    const projectId = (await call(s.url, "GET", "/api/v1/projects", { token })).body.projects[0].id;
    const ca = await call(s.url, "POST", "/api/v1/cert-manager/ca/internal", { token, body: { projectId, name: "full-root", configuration: { type: "root", commonName: "Full Root", keyAlgorithm: "EC_prime256v1" } } });
    const caPem = (await call(s.url, "GET", `/api/v1/cert-manager/ca/internal/${ca.body.id}/certificate`, { token })).body.certificate;
    const tpl = await call(s.url, "POST", "/api/v1/cert-manager/certificate-templates", { token, body: { projectId, name: "full-tpl", preset: "tls-server" } });
    const prof = await call(s.url, "POST", "/api/v1/cert-manager/certificate-profiles", { token, body: { projectId, slug: "full", templateId: tpl.body.certificateTemplate.id, caId: ca.body.id } });
    const issue = (cn: string) => call(s!.url, "POST", CERTS, { token, body: { profileId: prof.body.certificateProfile.id, attributes: { commonName: cn, ttl: "1d" } } });
    const issued: string[] = [];
    const first = await issue("first.full.test");
    expect(first.status).toBe(200);
    issued.push(first.body.certificate.certificateId);

    // Fill the disk.
    spawnSync("dd", ["if=/dev/zero", `of=${path.join(disk, "filler")}`, "bs=1M", "count=200"]);
    const full = (await call(s.url, "GET", "/readyz")).body;
    expect(full.reason).toMatch(/the disk holding the embedded database is nearly full \(\d+ MiB free/);
    expect(full.checks).toEqual([{ name: "database", ok: true, detail: "the embedded database (PGlite) answers" }, { name: "disk", ok: false, detail: full.reason }]);
    expect((await call(s.url, "GET", "/readyz")).status).toBe(503);
    // Writes fail once PostgreSQL's preallocated space is used up; each failure is a 503.
    let refused: Awaited<ReturnType<typeof issue>> | undefined;
    for (let i = 0; i < 60 && !refused; i++) {
      const r = await issue(`n${i}.full.test`);
      if (r.status === 200) issued.push(r.body.certificate.certificateId);
      else refused = r;
    }
    expect(refused?.status, JSON.stringify(refused?.body)).toBe(503);
    expect(refused!.headers.get("retry-after")).toBe("2");
    expect(refused!.body.detail).toContain("disk is full");
    expect(s.alive()).toBe(true);
    // OCSP for a certificate issued before: an answer or tryLater, never internalError.
    const ocsp = openssl((d) => ["ocsp", "-issuer", `${d}/ca.pem`, "-cert", `${d}/leaf.pem`, "-url", `${s!.url}/api/v1/cert-manager/ocsp/${ca.body.id}`, "-noverify", "-resp_text"], { "ca.pem": caPem, "leaf.pem": first.body.certificate.certificate });
    expect(ocsp.out).not.toMatch(/internalError|internal error/i);
    expect(ocsp.out).toMatch(/Cert Status: good|tryLater|try later/i);

    // Space comes back: issuance works again, and the store is whole after a restart.
    spawnSync("rm", ["-f", path.join(disk, "filler")]);
    const again = await issue("again.full.test");
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    issued.push(again.body.certificate.certificateId);
    const ready = await call(s.url, "GET", "/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: "ready", checks: [{ name: "database", ok: true, detail: "the embedded database (PGlite) answers" }, { name: "disk", ok: true, detail: "enough free space for the embedded database" }] });
    await s.stop();
    s = await spawnServer(["--data-dir", dir], { env });
    const t2 = (await call(s.url, "POST", "/api/v1/auth/login", { body: { email: env.STAMP_BOOTSTRAP_EMAIL, password: env.STAMP_BOOTSTRAP_PASSWORD } })).body.accessToken;
    for (const id of issued) expect((await call(s.url, "GET", `${CERTS}/${id}`, { token: t2 })).status, id).toBe(200);
    const after = await call(s.url, "POST", CERTS, { token: t2, body: { profileId: prof.body.certificateProfile.id, attributes: { commonName: "after-restart.full.test", ttl: "1d" } } });
    expect(after.status, JSON.stringify(after.body)).toBe(200);
  }, 180_000);
});
