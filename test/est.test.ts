import { rmSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dbKind, freshDatabase, startServer, type TestServer } from "./helpers/harness.js";
import { estBed, sh, type EstBed } from "./helpers/est.js";
import { ADMIN_EMAIL, ADMIN_PASSWORD } from "./helpers/harness.js";
import { runStamp } from "./helpers/cli-run.js";

// EST (RFC 7030) with real curl and openssl, as the RFC's examples drive it (issue 10).
const CA = "/api/v1/cert-manager/ca/internal";
const PROFILES = "/api/v1/cert-manager/certificate-profiles";
const CT = "-H 'Content-Type: application/pkcs10'";

let db: Awaited<ReturnType<typeof freshDatabase>>;
let s: TestServer;
let bed: EstBed;
let profileId: string;
let passphrase: string;
let ids: { tpl: string; int: string };
const est = (op: string) => `/.well-known/est/est-dev/${op}`;

/** openssl verify -x509_strict of `certFile` against the root with the intermediate untrusted. */
const verify = (certFile: string) => sh(`openssl verify -x509_strict -purpose sslclient -CAfile root.pem -untrusted int.pem ${certFile}`, { cwd: bed.dir });

beforeAll(async () => {
  db = await freshDatabase();
  s = await startServer({ db, tls: true });
  bed = estBed(s);
  const t = s.adminToken;
  const p = s.defaultProjectId;
  const root = await s.api("POST", CA, { token: t, body: { projectId: p, name: "est-root", configuration: { type: "root", commonName: "EST Root", keyAlgorithm: "EC_prime256v1" } } });
  const int = await s.api("POST", CA, { token: t, body: { projectId: p, name: "est-int", configuration: { type: "intermediate", commonName: "EST Issuing", keyAlgorithm: "EC_prime256v1", parentCaId: root.body.id } } });
  bed.write("root.pem", (await s.api("GET", `${CA}/${root.body.id}/certificate`, { token: t })).body.certificate);
  bed.write("int.pem", (await s.api("GET", `${CA}/${int.body.id}/certificate`, { token: t })).body.certificate);
  const tpl = await s.api("POST", "/api/v1/cert-manager/certificate-templates", {
    token: t,
    body: { projectId: p, name: "est-tpl", preset: "dual-purpose-server", subject: [{ type: "common_name", allowed: ["*.est.test"] }], sans: [{ type: "dns_name", allowed: ["*.est.test"] }], algorithms: { keyAlgorithm: ["EC_prime256v1", "EC_secp384r1", "RSA_2048"] } },
  });
  expect(tpl.status, JSON.stringify(tpl.body)).toBe(200);
  // A bootstrap CA outside Stamp (a manufacturer's), whose device certificates may enroll.
  const boot = await sh(
    [
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout boot-ca.key -out boot-ca.pem -subj '/CN=Factory CA' -days 2 -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign",
      "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout idevid.key -out idevid.csr -subj '/CN=serial-1234'",
      "openssl x509 -req -in idevid.csr -CA boot-ca.pem -CAkey boot-ca.key -CAcreateserial -out idevid.pem -days 1",
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout stranger.key -out stranger.pem -subj '/CN=stranger' -days 1",
    ].join(" && "),
    { cwd: bed.dir },
  );
  expect(boot.code, boot.err).toBe(0);
  const prof = await s.api("POST", PROFILES, { token: t, body: { projectId: p, slug: "est-dev", templateId: tpl.body.certificateTemplate.id, caId: int.body.id, enrollmentMethods: ["api", "est"], defaults: { ttl: "30d" }, estConfig: { caChain: bed.read("boot-ca.pem") } } });
  expect(prof.status, JSON.stringify(prof.body)).toBe(200);
  profileId = prof.body.certificateProfile.id;
  ids = { tpl: tpl.body.certificateTemplate.id, int: int.body.id };
  const pass = await s.api("POST", `${PROFILES}/${profileId}/est/passphrase`, { token: t });
  expect(pass.status, JSON.stringify(pass.body)).toBe(200);
  passphrase = pass.body.passphrase;
});
afterAll(async () => {
  await s?.close();
  await db?.drop();
  if (bed) rmSync(bed.dir, { recursive: true, force: true });
});

describe("EST with curl and openssl (RFC 7030)", () => {
  it("ok/ the profile shows its EST settings, never the passphrase", async () => {
    const p = (await s.api("GET", `${PROFILES}/${profileId}`, { token: s.adminToken })).body.certificateProfile;
    expect(p.enrollmentMethods).toEqual(["api", "est"]);
    expect(p.estConfig).toMatchObject({ baseUrl: `${s.config.publicUrl}/.well-known/est/${profileId}`, passphraseSet: true, disableBootstrapCaValidation: false });
    expect(p.estConfig.caChain).toContain("BEGIN CERTIFICATE");
    expect(JSON.stringify(p)).not.toContain(passphrase);
    expect(passphrase).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // The OpenAPI document describes the management route and the profile's estConfig.
    const doc = await s.api("GET", "/api/docs/json");
    expect(Object.keys(doc.body.paths)).toContain("/api/v1/cert-manager/certificate-profiles/{id}/est/passphrase");
    expect(JSON.stringify(doc.body)).toContain("passphraseSet");
  });

  it("ok/ cacerts: a certs-only PKCS#7 that openssl pkcs7 -print_certs reads (the issuing CA and the root)", async () => {
    const r = await bed.curl("-o cacerts.p7.b64", est("cacerts"));
    expect(r.status).toBe(200);
    expect(r.headers).toMatch(/content-type: application\/pkcs7-mime; smime-type=certs-only/i);
    const pem = await bed.printCerts("cacerts.p7.b64");
    expect(pem).toContain("subject=CN = EST Issuing");
    expect(pem).toContain("subject=CN = EST Root");
  });

  it("ok/ simpleenroll with HTTP Basic; the certificate verifies against the chain; by slug and by id", async () => {
    await bed.csr("dev1", "/CN=dev1.est.test", "DNS:dev1.est.test");
    const r = await bed.curl(`--user est:${passphrase} ${CT} --data-binary @dev1.csr.b64 -o dev1.p7.b64`, est("simpleenroll"));
    expect(r.status, bed.read("dev1.p7.b64")).toBe(200);
    bed.write("dev1.pem", await bed.printCerts("dev1.p7.b64"));
    expect((await verify("dev1.pem")).out).toContain("dev1.pem: OK");
    const text = await sh("openssl x509 -in dev1.pem -noout -text", { cwd: bed.dir });
    expect(text.out).toContain("DNS:dev1.est.test");
    // The same certificate lists like an API-issued one, and the audit names EST.
    const listed = await s.api("GET", `${PROFILES}/${profileId}/certificates`, { token: s.adminToken });
    expect(listed.body.certificates.map((c: { commonName: string }) => c.commonName)).toContain("dev1.est.test");
    const log = await s.api("GET", "/api/v1/audit-log?action=certificate.issue&outcome=success&limit=5", { token: s.adminToken });
    expect(log.body.auditLogs.find((e: { detail: { commonName?: string } }) => e.detail.commonName === "dev1.est.test")).toMatchObject({ actorType: "est-passphrase", actorId: "passphrase" });
    // PEM bodies are accepted too, and the profile id works as the label.
    await sh("openssl req -in dev1.csr.der -inform DER -out dev1.csr.pem", { cwd: bed.dir });
    const byId = await bed.curl(`--user est:${passphrase} ${CT} --data-binary @dev1.csr.pem -o dev1b.p7.b64`, `/.well-known/est/${profileId}/simpleenroll`);
    expect(byId.status).toBe(200);
    bed.write("dev1b.pem", await bed.printCerts("dev1b.p7.b64"));
    expect((await verify("dev1b.pem")).out).toContain("OK");
  });

  it("ok/ simplereenroll with --cert/--key of the issued certificate keeps the names and marks the old one renewed", async () => {
    await bed.csr("dev1r", "/CN=dev1.est.test", "DNS:dev1.est.test");
    const r = await bed.curl(`--cert dev1.pem --key dev1.key ${CT} --data-binary @dev1r.csr.b64 -o dev1r.p7.b64`, est("simplereenroll"));
    expect(r.status, bed.read("dev1r.p7.b64")).toBe(200);
    bed.write("dev1r.pem", await bed.printCerts("dev1r.p7.b64"));
    expect((await verify("dev1r.pem")).out).toContain("OK");
    const renewed = await s.api("GET", `${PROFILES}/${profileId}/certificates?status=renewed`, { token: s.adminToken });
    expect(renewed.body.certificates).toHaveLength(1);
    // The renewed certificate cannot re-enroll again; the new one can.
    const again = await bed.curl(`--cert dev1.pem --key dev1.key ${CT} --data-binary @dev1r.csr.b64`, est("simplereenroll"));
    expect(again.status).toBe(403);
    expect(again.body).toMatch(/already renewed/);
  });

  it("ok/ serverkeygen: a multipart reply whose PKCS#8 key matches its certificate", async () => {
    await bed.csr("gen", "/CN=gen.est.test", "DNS:gen.est.test");
    const r = await bed.curl(`--user est:${passphrase} ${CT} --data-binary @gen.csr.b64 -o gen.multipart`, est("serverkeygen"));
    expect(r.status, bed.read("gen.multipart")).toBe(200);
    expect(r.headers).toMatch(/content-type: multipart\/mixed; boundary=/i);
    const multipart = bed.read("gen.multipart");
    expect(multipart).toMatch(/Content-Type: application\/pkcs8\r\nContent-Transfer-Encoding: base64\r\n\r\n[A-Za-z0-9+/=\r\n]+--stamp-est-[0-9a-f-]+\r\nContent-Type: application\/pkcs7-mime; smime-type=certs-only\r\n/);
    // docs/est.md's shell lines split the reply, exactly as written there.
    const split = await sh(
      [
        `B=$(sed -n 's/^content-type: multipart\\/mixed; boundary=\\([^;[:space:]]*\\).*/\\1/ip' headers.txt)`,
        `tr -d '\\r' < gen.multipart | awk -v b="--$B" 'index($0, b) == 1 {n++; body=0; next} !body && $0 == "" {body=1; next} body {print > ("part" n ".b64")}'`,
        "openssl base64 -d -in part1.b64 | openssl pkey -inform DER -out gen.key",
        "openssl base64 -d -in part2.b64 | openssl pkcs7 -inform DER -print_certs -out gen.pem",
        `[ "$(openssl pkey -in gen.key -pubout)" = "$(openssl x509 -in gen.pem -noout -pubkey)" ] && echo key matches`,
      ].join("\n"),
      { cwd: bed.dir },
    );
    expect(split.out + split.err).toContain("key matches");
    expect((await verify("gen.pem")).out).toContain("OK");
  });

  it("ok/ a device certificate under the profile's bootstrap CA enrolls without a passphrase", async () => {
    await bed.csr("boot", "/CN=boot.est.test", "DNS:boot.est.test");
    const r = await bed.curl(`--cert idevid.pem --key idevid.key ${CT} --data-binary @boot.csr.b64 -o boot.p7.b64`, est("simpleenroll"));
    expect(r.status, bed.read("boot.p7.b64")).toBe(200);
    bed.write("boot.pem", await bed.printCerts("boot.p7.b64"));
    expect((await verify("boot.pem")).out).toContain("OK");
  });

  it("ok/ csrattrs names what the template asks for (openssl asn1parse)", async () => {
    const r = await bed.curl("-o attrs.b64", est("csrattrs"));
    expect(r.status).toBe(200);
    const parsed = await sh("openssl base64 -d -in attrs.b64 | openssl asn1parse -inform DER", { cwd: bed.dir });
    expect(parsed.code, parsed.err).toBe(0);
    for (const x of ["commonName", "X509v3 Subject Alternative Name", "id-ecPublicKey", "prime256v1", "secp384r1", "rsaEncryption"]) expect(parsed.out).toContain(x);
  });
});

describe("EST refusals: the RFC's status and a plain-text reason, never a 500", () => {
  const expectPlain = (r: { status: number; body: string; headers: string }, status: number, reason: RegExp) => {
    expect(r.status, r.body).toBe(status);
    expect(r.headers).toMatch(/content-type: text\/plain/i);
    expect(r.body).toMatch(reason);
  };

  it("fail/ no credentials and a wrong passphrase: 401 with a Basic challenge", async () => {
    await bed.csr("neg", "/CN=neg.est.test", "DNS:neg.est.test");
    const none = await bed.curl(`${CT} --data-binary @neg.csr.b64`, est("simpleenroll"));
    expectPlain(none, 401, /HTTP Basic authentication with the profile's EST passphrase/);
    expect(none.headers).toMatch(/www-authenticate: Basic realm="stamp-est"/i);
    const wrong = await bed.curl(`--user est:not-the-passphrase ${CT} --data-binary @neg.csr.b64`, est("simpleenroll"));
    expectPlain(wrong, 401, /passphrase is wrong/);
    expect(wrong.headers).toMatch(/www-authenticate: Basic/i);
  });

  it("fail/ a chosen passphrase: after 10 wrong ones from an address, 429 with Retry-After, the right one too", async () => {
    const chosen = "a-chosen-passphrase-42";
    const made = await s.api("POST", PROFILES, { token: s.adminToken, body: { projectId: s.defaultProjectId, slug: "est-chosen", templateId: ids.tpl, caId: ids.int, enrollmentMethods: ["est"], estConfig: { passphrase: chosen } } });
    expect(made.status, JSON.stringify(made.body)).toBe(200);
    expect(made.body.certificateProfile.estConfig.passphraseSet).toBe(true);
    const body = bed.read("neg.csr.b64");
    const post = (pw: string) => s.api("POST", "/.well-known/est/est-chosen/simpleenroll", { body, headers: { "content-type": "application/pkcs10", authorization: `Basic ${Buffer.from(`dev:${pw}`).toString("base64")}` } });
    const ok = await post(chosen);
    expect(ok.status, String(ok.body)).toBe(200);
    for (let i = 0; i < 10; i++) expect((await post(`wrong-${i}`)).status).toBe(401);
    const locked = await post(chosen);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(locked.body).toMatch(/Too many wrong EST passphrases/);
  });

  it("fail/ an untrusted client certificate: 403", async () => {
    const r = await bed.curl(`--cert stranger.pem --key stranger.key ${CT} --data-binary @neg.csr.b64`, est("simpleenroll"));
    expectPlain(r, 403, /does not chain to the profile's bootstrap CA/);
  });

  it("fail/ a CSR the template refuses: 400 naming the rule; garbage: 400; wrong content type: 415", async () => {
    await bed.csr("evil", "/CN=evil.example.org", "DNS:evil.example.org");
    const refused = await bed.curl(`--user est:${passphrase} ${CT} --data-binary @evil.csr.b64`, est("simpleenroll"));
    expectPlain(refused, 400, /breaks the rules[\s\S]*evil\.example\.org|evil\.example\.org[\s\S]*not allowed/i);
    bed.write("garbage.b64", "bm90IGEgY3NyIGF0IGFsbA==\n");
    expectPlain(await bed.curl(`--user est:${passphrase} ${CT} --data-binary @garbage.b64`, est("simpleenroll")), 400, /not a PKCS#10 certificate request/);
    expectPlain(await bed.curl(`--user est:${passphrase} -H 'Content-Type: application/json' --data-binary @neg.csr.b64`, est("simpleenroll")), 415, /application\/pkcs10/);
    expectPlain(await bed.curl(`--user est:${passphrase} ${CT} --data-binary ''`, est("simpleenroll")), 400, /empty/);
  });

  it("fail/ re-enrollment: without a client certificate 401, changed names 400, a revoked certificate 403", async () => {
    expectPlain(await bed.curl(`--user est:${passphrase} ${CT} --data-binary @neg.csr.b64`, est("simplereenroll")), 401, /certificate being renewed/);
    await bed.csr("other", "/CN=other.est.test", "DNS:other.est.test");
    const changed = await bed.curl(`--cert dev1r.pem --key dev1r.key ${CT} --data-binary @other.csr.b64`, est("simplereenroll"));
    expectPlain(changed, 400, /keeps the subject/);
    const thumb = (await sh("openssl x509 -in boot.pem -noout -fingerprint -sha256", { cwd: bed.dir })).out.trim().split("=")[1].replace(/:/g, "");
    const rev = await s.api("POST", `/api/v1/cert-manager/certificates/${thumb}/revoke`, { token: s.adminToken, body: { revocationReason: "KEY_COMPROMISE" } });
    expect(rev.status, JSON.stringify(rev.body)).toBeLessThan(300);
    await bed.csr("boot2", "/CN=boot.est.test", "DNS:boot.est.test");
    expectPlain(await bed.curl(`--cert boot.pem --key boot.key ${CT} --data-binary @boot2.csr.b64`, est("simplereenroll")), 403, /revoked/);
  });

  it("fail/ unknown profile 404, wrong method 405, unknown operation 404", async () => {
    expectPlain(await bed.curl("", "/.well-known/est/no-such-profile/cacerts"), 404, /not found/);
    expectPlain(await bed.curl("", est("simpleenroll")), 405, /takes POST/);
    expectPlain(await bed.curl("", est("fullcmc")), 404, /Unknown EST operation/);
  });
});

// The CLI talks to the same API on either store: once is enough.
describe.skipIf(dbKind !== "pglite")("stamp profile create --est, stamp est passphrase, stamp est enable", () => {
  it("ok/ the passphrase is printed once and works; a new one replaces it; --disable turns EST off", async () => {
    const config = `${bed.dir}/session.json`;
    const login = await runStamp(["login", "--server", s.url, "--ca-file", s.tlsCaFile, "--email", ADMIN_EMAIL, "--password-stdin"], { config, stdin: `${ADMIN_PASSWORD}\n` });
    expect(login.code, login.stderr).toBe(0);
    const made = await runStamp(["profile", "create", "--slug", "est-cli", "--template", "est-tpl", "--ca", "est-int", "--est", "--est-ca-chain", `${bed.dir}/boot-ca.pem`], { config });
    expect(made.code, made.stderr).toBe(0);
    expect(made.stderr).toContain("shown only now");
    const first = /est passphrase:\s+(\S+)/.exec(made.stdout)![1];
    await bed.csr("cli", "/CN=cli.est.test", "DNS:cli.est.test");
    const enroll = (pw: string) => bed.curl(`--user est:${pw} ${CT} --data-binary @cli.csr.b64`, "/.well-known/est/est-cli/simpleenroll");
    expect((await enroll(first)).status).toBe(200);
    const rotated = await runStamp(["est", "passphrase", "--profile", "est-cli"], { config });
    expect(rotated.code, rotated.stderr).toBe(0);
    const second = /passphrase:\s+(\S+)/.exec(rotated.stdout)![1];
    expect(second).not.toBe(first);
    expect((await enroll(first)).status).toBe(401);
    expect((await enroll(second)).status).toBe(200);
    const off = await runStamp(["est", "enable", "--profile", "est-cli", "--disable"], { config });
    expect(off.code, off.stderr).toBe(0);
    expect((await bed.curl("", "/.well-known/est/est-cli/cacerts")).status).toBe(404);
  });
});

// PGlite is one process's database; scaling out is PostgreSQL's job.
describe.skipIf(dbKind !== "postgres")("EST on two servers over one PostgreSQL", () => {
  let b: TestServer;
  beforeAll(async () => {
    b = await startServer({ db, tls: true });
  });
  afterAll(async () => {
    await b?.close();
  });

  it("ok/ enroll on one, re-enroll on the other; a passphrase rotated on one is refused by both at once", async () => {
    await bed.csr("ms", "/CN=ms.est.test", "DNS:ms.est.test");
    const onB = await bed.curl(`--user est:${passphrase} ${CT} --data-binary @ms.csr.b64 -o ms.p7.b64`, est("simpleenroll"), b.url);
    expect(onB.status, bed.read("ms.p7.b64")).toBe(200);
    bed.write("ms.pem", await bed.printCerts("ms.p7.b64"));
    expect((await verify("ms.pem")).out).toContain("OK");
    await bed.csr("ms2", "/CN=ms.est.test", "DNS:ms.est.test");
    const onA = await bed.curl(`--cert ms.pem --key ms.key ${CT} --data-binary @ms2.csr.b64 -o ms2.p7.b64`, est("simplereenroll"));
    expect(onA.status, bed.read("ms2.p7.b64")).toBe(200);
    bed.write("ms2.pem", await bed.printCerts("ms2.p7.b64"));
    expect((await verify("ms2.pem")).out).toContain("OK");
    const rotated = await b.api("POST", `${PROFILES}/${profileId}/est/passphrase`, { token: s.adminToken });
    expect(rotated.status).toBe(200);
    await bed.csr("ms3", "/CN=ms3.est.test", "DNS:ms3.est.test");
    const old = await bed.curl(`--user est:${passphrase} ${CT} --data-binary @ms3.csr.b64`, est("simpleenroll"));
    expect(old.status).toBe(401);
    const fresh = await bed.curl(`--user est:${rotated.body.passphrase} ${CT} --data-binary @ms3.csr.b64`, est("simpleenroll"));
    expect(fresh.status, fresh.body).toBe(200);
    passphrase = rotated.body.passphrase;
  });
});
