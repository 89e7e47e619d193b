import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestServer } from "./harness.js";

/** Runs a command without blocking the event loop (the server under test is in this process). */
export function sh(cmd: string, opts: { cwd: string; timeoutMs?: number }): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile("bash", ["-c", cmd], { cwd: opts.cwd, encoding: "utf8", timeout: opts.timeoutMs ?? 30_000, maxBuffer: 4 << 20 }, (e, stdout, stderr) =>
      resolve({ code: e ? (typeof e.code === "number" ? e.code : 1) : 0, out: stdout ?? "", err: stderr ?? "" }),
    );
  });
}

/** An EST test bed: a work dir, the server's TLS CA, and curl with the RFC 7030 examples' flags. */
export interface EstBed {
  dir: string;
  /** `curl` against `url` with --cacert; prints the status code last (-w). */
  curl(args: string, pathPart: string, url?: string): Promise<{ status: number; body: string; headers: string }>;
  /** A P-256 key and a base64 DER CSR for `subj` and `san` (openssl req), written as `<name>.key` / `<name>.csr.b64`. */
  csr(name: string, subj: string, san?: string, keyopt?: string): Promise<void>;
  /** The PEM certificates of a base64 certs-only reply (`openssl pkcs7 -print_certs`). */
  printCerts(b64File: string): Promise<string>;
  read(name: string): string;
  write(name: string, text: string): void;
}

/** Makes an EST test bed for server `s`, whose URL is the default for curl. */
export function estBed(s: TestServer): EstBed {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stamp-est-"));
  return {
    dir,
    async curl(args, pathPart, url = s.url) {
      const r = await sh(`curl -sS --max-time 30 --cacert ${s.tlsCaFile} -D headers.txt ${args} -w '\\n%{http_code}' '${url}${pathPart}'`, { cwd: dir });
      const lines = r.out.trimEnd().split("\n");
      const status = Number(lines.pop());
      return { status, body: lines.join("\n"), headers: readFileSync(path.join(dir, "headers.txt"), "utf8") };
    },
    async csr(name, subj, san, keyopt = "-newkey ec -pkeyopt ec_paramgen_curve:P-256") {
      const r = await sh(`openssl req -new ${keyopt} -nodes -keyout ${name}.key -subj '${subj}' ${san ? `-addext 'subjectAltName=${san}'` : ""} -outform DER -out ${name}.csr.der && openssl base64 -in ${name}.csr.der -out ${name}.csr.b64`, { cwd: dir });
      if (r.code !== 0) throw new Error(r.err);
    },
    async printCerts(b64File) {
      const r = await sh(`openssl base64 -d -in ${b64File} | openssl pkcs7 -inform DER -print_certs`, { cwd: dir });
      if (r.code !== 0) throw new Error(`openssl pkcs7: ${r.err}`);
      return r.out;
    },
    read: (name) => readFileSync(path.join(dir, name), "utf8"),
    write: (name, text) => writeFileSync(path.join(dir, name), text),
  };
}
