/** OpenSSL helpers shared by the benchmarks: verify a certificate against its CA, make a CA or a CSR with the openssl command. */
import { spawnSync } from "node:child_process";
import crypto from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Runs openssl in `cwd`; throws with its output if it fails. */
function openssl(args: string[], cwd: string): string {
  const r = spawnSync("openssl", args, { cwd, encoding: "utf8", timeout: 30_000 });
  if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** `openssl verify` of a leaf against `rootPem` with `chain` as untrusted intermediates; `strict` adds `-x509_strict -purpose sslserver`. */
export function opensslVerify(rootPem: string, chain: string, cert: string, strict = true): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-bench-verify-"));
  try {
    writeFileSync(path.join(dir, "root.pem"), rootPem);
    writeFileSync(path.join(dir, "chain.pem"), chain || rootPem);
    writeFileSync(path.join(dir, "cert.pem"), cert);
    const out = openssl(["verify", ...(strict ? ["-x509_strict", "-purpose", "sslserver"] : []), "-CAfile", "root.pem", "-untrusted", "chain.pem", "cert.pem"], dir);
    if (!out.includes("cert.pem: OK")) throw new Error(`openssl verify did not say OK:\n${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The DER SubjectPublicKeyInfo of a certificate, a CSR's key (via openssl), or a private key. */
export function spkiOf(pem: string): Buffer {
  if (pem.includes("CERTIFICATE REQUEST")) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-bench-csr-"));
    try {
      writeFileSync(path.join(dir, "req.pem"), pem);
      return crypto.createPublicKey(openssl(["req", "-in", "req.pem", "-noout", "-pubkey"], dir)).export({ type: "spki", format: "der" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  if (pem.includes("CERTIFICATE")) return new crypto.X509Certificate(pem).publicKey.export({ type: "spki", format: "der" });
  return crypto.createPublicKey(crypto.createPrivateKey(pem)).export({ type: "spki", format: "der" });
}

/** A self-signed CA made by openssl in `dir` (ca.pem, ca-key.pem): EC P-256 or RSA-2048. */
export function opensslCa(dir: string, kind: "ec" | "rsa", commonName: string): { certFile: string; keyFile: string; certPem: string } {
  const key = kind === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"];
  openssl(["req", "-x509", ...key, "-nodes", "-keyout", "ca-key.pem", "-out", "ca.pem", "-subj", `/CN=${commonName}`, "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"], dir);
  return { certFile: path.join(dir, "ca.pem"), keyFile: path.join(dir, "ca-key.pem"), certPem: readFileSync(path.join(dir, "ca.pem"), "utf8") };
}

/** An EC P-256 CSR for `dnsName` (as CN and the only DNS SAN), made by openssl; the key is thrown away. */
export function opensslCsr(dnsName: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-bench-csr-"));
  try {
    openssl(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "key.pem", "-out", "req.pem", "-subj", `/CN=${dnsName}`, "-addext", `subjectAltName=DNS:${dnsName}`], dir);
    return readFileSync(path.join(dir, "req.pem"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
