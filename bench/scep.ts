/**
 * SCEP enrollment (RFC 8894 PKCSReq with the static challenge) beside API issuance of the same
 * CSR, on PostgreSQL, at c=1 and c=16, in one run against one Stamp process. The SCEP body is
 * one real pkiMessage (RSA-2048 client, AES-256, SHA-256) sent again and again: each answer is
 * a new certificate through the one issue path. One SCEP answer is checked end to end with
 * openssl (signature to the root, envelope opened with the client key, certificate verified).
 *
 *   node --import tsx bench/scep.ts          (or: npm run bench -- scep)
 *   BENCH_SCALE=0.3 … shorter runs (6 s × scale)
 */
import { spawnSync } from "node:child_process";
import { createPrivateKey, randomBytes, sign } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { runCannon, type CannonResult, type CannonSpec } from "./lib/cannon.js";
import { createBenchHierarchy } from "./lib/hierarchy.js";
import { startStampProcess } from "./lib/stamp-process.js";
import { table } from "./lib/table.js";
import { parseCertificate } from "../src/pki/certificate-parse.js";
import { buildEnvelope, signPkiMessage } from "../src/pki/scep-write.js";

const SCALE = Number(process.env.BENCH_SCALE ?? "1");
if (!(SCALE > 0 && SCALE <= 20)) throw new Error("BENCH_SCALE must be a number in (0, 20]");
const SECONDS = 6 * SCALE;
const WARMUP_SECONDS = Math.max(1, 2 * SCALE);
const NAME = "scep.bench.test";
const CHALLENGE = "bench-challenge-password";

function openssl(args: string[], cwd: string): string {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-bench-scep-"));
const stamp = await startStampProcess("postgres", "scep_");
try {
  const h = await createBenchHierarchy(stamp.api, stamp.projectId, "scep-bench", "RSA_2048");
  const patched = await stamp.api("PATCH", `/api/v1/cert-manager/certificate-profiles/${h.profileId}`, { enrollmentMethods: ["api", "scep"], scepConfig: { challengePassword: CHALLENGE } });
  if (patched.status !== 200) throw new Error(`enabling SCEP: ${JSON.stringify(patched.body)}`);

  // The client: an RSA key, its self-signed certificate, and a CSR with the challenge and the DNS name.
  writeFileSync(path.join(dir, "req.cnf"), `[req]\nprompt=no\ndistinguished_name=dn\nattributes=attrs\nreq_extensions=ext\n[dn]\nCN=${NAME}\n[attrs]\nchallengePassword=${CHALLENGE}\n[ext]\nsubjectAltName=DNS:${NAME}\n`);
  openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem", "-out", "self.pem", "-subj", `/CN=${NAME}`, "-days", "1"], dir);
  openssl(["req", "-new", "-key", "key.pem", "-config", "req.cnf", "-outform", "DER", "-out", "csr.der"], dir);
  openssl(["req", "-new", "-key", "key.pem", "-config", "req.cnf", "-out", "csr.pem"], dir);
  const key = createPrivateKey(readFileSync(path.join(dir, "key.pem")));
  const self = parseCertificate(readFileSync(path.join(dir, "self.pem"), "utf8")).der;
  const scepUrl = `${stamp.url}/scep/${h.profileId}/pkiclient.exe`;
  writeFileSync(path.join(dir, "ca.p7"), Buffer.from(await (await fetch(`${scepUrl}?operation=GetCACert`)).arrayBuffer()));
  const caText = openssl(["pkcs7", "-inform", "DER", "-in", "ca.p7", "-print_certs"], dir);
  const ra = parseCertificate(caText.slice(caText.indexOf("-----BEGIN"), caText.indexOf("-----END CERTIFICATE-----") + 25)).der;
  const envelope = buildEnvelope(new Uint8Array(readFileSync(path.join(dir, "csr.der"))), ra, "aes-256-cbc", randomBytes(32), randomBytes(16));
  const message = Buffer.from(await signPkiMessage({ messageType: "19", transactionId: "bench", senderNonce: randomBytes(16), envelope, digest: "sha256", signerCert: self, sign: async (d) => new Uint8Array(sign("sha256", d, key)) }));

  // One SCEP answer, checked end to end.
  const one = await fetch(`${scepUrl}?operation=PKIOperation`, { method: "POST", headers: { "content-type": "application/x-pki-message" }, body: message as unknown as BodyInit });
  writeFileSync(path.join(dir, "rep.der"), Buffer.from(await one.arrayBuffer()));
  writeFileSync(path.join(dir, "root.pem"), h.rootPem);
  writeFileSync(path.join(dir, "chain.pem"), caText);
  openssl(["cms", "-verify", "-inform", "DER", "-in", "rep.der", "-CAfile", "chain.pem", "-purpose", "any", "-binary", "-out", "env.der"], dir);
  openssl(["cms", "-decrypt", "-inform", "DER", "-in", "env.der", "-inkey", "key.pem", "-binary", "-out", "inner.der"], dir);
  writeFileSync(path.join(dir, "leaf.pem"), openssl(["pkcs7", "-inform", "DER", "-in", "inner.der", "-print_certs"], dir));
  openssl(["verify", "-CAfile", "root.pem", "-untrusted", "chain.pem", "leaf.pem"], dir);

  const csrPem = readFileSync(path.join(dir, "csr.pem"), "utf8");
  const specs: { work: string; c: number; spec: CannonSpec }[] = [];
  for (const c of [1, 16]) {
    const common = { connections: c, warmupSeconds: WARMUP_SECONDS, seconds: SECONDS };
    specs.push({ work: "API issuance (JSON, CSR)", c, spec: { ...common, url: `${stamp.url}/api/v1/cert-manager/certificates`, body: JSON.stringify({ profileId: h.profileId, csr: csrPem }), headers: { "content-type": "application/json", authorization: `Bearer ${stamp.token}` } } });
    specs.push({ work: "SCEP PKCSReq (static challenge)", c, spec: { ...common, url: `${scepUrl}?operation=PKIOperation`, body: "", bodyBase64: message.toString("base64"), headers: { "content-type": "application/x-pki-message" } } });
  }
  const results: { work: string; c: number; r: CannonResult }[] = [];
  for (const s of specs) {
    const r = await runCannon(s.spec, { onStart() {}, onEnd() {} });
    process.stderr.write(`  ${s.work} c=${s.c}: ${r.ok} in ${r.seconds.toFixed(1)} s = ${(r.ok / r.seconds).toFixed(0)}/s\n`);
    results.push({ work: s.work, c: s.c, r });
  }
  console.log(`\nSCEP enrollment beside API issuance, one Stamp process on PostgreSQL, RSA-2048 intermediate CA (${SECONDS} s each after ${WARMUP_SECONDS} s warm-up; one SCEP answer verified end to end by openssl)\n`);
  console.log(table(["work", "connections", "certs/s", "p50 ms", "p99 ms"], results.map((x) => [x.work, x.c, (x.r.ok / x.r.seconds).toFixed(0), x.r.p50.toFixed(0), x.r.p99.toFixed(0)])));
  console.log("\nEach SCEP request also checks the static challenge against its argon2id hash (~11 ms of CPU) and does one RSA-2048 decryption and one RSA-2048 signature with the RA key, beyond what API issuance does.");
} finally {
  await stamp.stop();
  rmSync(dir, { recursive: true, force: true });
}
