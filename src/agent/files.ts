/**
 * The agent's files: atomic writes, the cert/key pair swap, and reading what is on disk.
 *
 * Order of a pair swap (docs/agent.md, "Files"): every new file is first written in full to a
 * temporary file in its target's directory (key temp created 0600 before any byte, then fsync);
 * only when all temps are complete are they renamed — private key, then certificate, then
 * chain, full chain and PKCS#12 — and the directories fsynced. A crash before the renames
 * leaves the old pair; a crash between the key and certificate renames leaves a pair the next
 * check sees as "key does not match" and re-issues. Servers read the pair when the hook reloads
 * them, which happens only after every rename.
 */
import { createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";
import { chown, readFile, rename, unlink } from "node:fs/promises";
import path from "node:path";
import { stageFile, syncDir, type StagedFile } from "../atomic-write.js";
import { generateKeyPairFor } from "../keygen.js";
import { algorithmParams, type KeyAlgorithm } from "../pki/algorithms.js";
import { parseCertificate } from "../pki/certificate-parse.js";
import { assembleCsr, buildCsrInfo } from "../pki/csr.js";
import { encodeName } from "../pki/name.js";
import { pemBlocks, toPem } from "../pki/pem.js";
import { buildPkcs12 } from "../pki/pkcs12.js";
import { spkiEquals } from "../pki/spki.js";
import type { CertificateConfig } from "./config.js";
import type { DiskView } from "./decide.js";

/** What one issuance puts on disk. */
export interface Material {
  certificate: string;
  chain: string;
  privateKey: string;
}

/** Installs a new certificate, key and chain: all temps first, then key → cert → the rest (see the file comment). */
export async function installPair(c: CertificateConfig, m: Material, random: (n: number) => Uint8Array): Promise<void> {
  const f = c.files;
  const cert = m.certificate.endsWith("\n") ? m.certificate : `${m.certificate}\n`;
  const chain = m.chain && !m.chain.endsWith("\n") ? `${m.chain}\n` : m.chain;
  const staged: StagedFile[] = [];
  try {
    staged.push(await stageFile(f.privateKey, m.privateKey, f.keyMode, f.owner));
    staged.push(await stageFile(f.certificate, cert, f.mode, f.owner));
    if (f.chain) staged.push(await stageFile(f.chain, chain, f.mode, f.owner));
    if (f.fullChain) staged.push(await stageFile(f.fullChain, cert + chain, f.mode, f.owner));
    if (f.pkcs12) {
      const p12 = buildPkcs12({
        certificate: pemBlocks(cert)[0].der,
        chain: pemBlocks(chain).map((b) => b.der),
        privateKeyPkcs8: new Uint8Array(createPrivateKey(m.privateKey).export({ format: "der", type: "pkcs8" })),
        password: f.pkcs12.password,
        friendlyName: c.name,
        random,
      });
      staged.push(await stageFile(f.pkcs12.path, p12, f.keyMode, f.owner));
    }
  } catch (e) {
    await Promise.all(staged.map((s) => unlink(s.tmp).catch(() => undefined)));
    throw e;
  }
  for (let i = 0; i < staged.length; i++) {
    try {
      await rename(staged[i].tmp, staged[i].target);
    } catch (e) {
      await Promise.all(staged.slice(i).map((s) => unlink(s.tmp).catch(() => undefined)));
      throw e;
    }
  }
  for (const dir of new Set(staged.map((s) => path.dirname(s.target)))) await syncDir(dir);
  if (f.owner) for (const s of staged) await chown(s.target, f.owner.uid, f.owner.gid);
}

const code = (e: unknown) => (e as NodeJS.ErrnoException).code ?? (e as Error).message;

/** Compares the certificate's names with the config: null when they match, else what differs. */
export function namesMismatch(c: CertificateConfig, cert: ReturnType<typeof parseCertificate>): string | null {
  if ((cert.subjectFields.commonName ?? "") !== c.commonName) return `commonName is ${JSON.stringify(cert.subjectFields.commonName ?? "")}, want ${JSON.stringify(c.commonName)}`;
  const have = new Set<string>();
  const s = cert.sans;
  for (const v of s?.dns ?? []) have.add(`dns_name:${v.toLowerCase()}`);
  for (const v of s?.ip ?? []) have.add(`ip_address:${v}`);
  for (const v of s?.email ?? []) have.add(`email:${v}`);
  for (const v of s?.uri ?? []) have.add(`uri:${v}`);
  const want = new Set(c.altNames.map((a) => `${a.type}:${a.type === "dns_name" ? a.value.toLowerCase() : a.value}`));
  const missing = [...want].filter((x) => !have.has(x));
  if (missing.length) return `altNames lack ${missing.join(", ")}`;
  // The server may add the common name as a DNS name; anything beyond that is extra.
  const extra = [...have].filter((x) => !want.has(x) && x !== `dns_name:${c.commonName.toLowerCase()}`);
  if (extra.length) return `altNames have extra ${extra.join(", ")}`;
  return null;
}

/** Reads the certificate and key files and checks them against each other and the config. */
export async function readDisk(c: CertificateConfig): Promise<DiskView> {
  let certPem: string;
  let keyPem: string;
  try {
    certPem = await readFile(c.files.certificate, "utf8");
    keyPem = await readFile(c.files.privateKey, "utf8");
  } catch (e) {
    if (code(e) === "ENOENT") return { kind: "missing", detail: `${(e as NodeJS.ErrnoException).path ?? "a file"} does not exist` };
    return { kind: "unreadable", detail: `${(e as NodeJS.ErrnoException).path ?? "a file"}: ${code(e)}` };
  }
  for (const extra of [c.files.chain, c.files.fullChain, c.files.pkcs12?.path]) {
    if (!extra) continue;
    try {
      await readFile(extra);
    } catch (e) {
      return code(e) === "ENOENT" ? { kind: "missing", detail: `${extra} does not exist` } : { kind: "unreadable", detail: `${extra}: ${code(e)}` };
    }
  }
  let cert: ReturnType<typeof parseCertificate>;
  try {
    cert = parseCertificate(certPem);
  } catch (e) {
    return { kind: "unreadable", detail: `${c.files.certificate}: ${(e as Error).message}` };
  }
  let keyMatches = false;
  try {
    const spki = new Uint8Array(createPublicKey(createPrivateKey(keyPem)).export({ format: "der", type: "spki" }));
    keyMatches = spkiEquals(spki, cert.spki);
  } catch {
    return { kind: "unreadable", detail: `${c.files.privateKey}: not a private key` };
  }
  return { kind: "present", serialHex: cert.serialHex, notBefore: cert.notBefore, notAfter: cert.notAfter, keyMatches, namesMismatch: namesMismatch(c, cert) };
}

/** Makes a key pair on this host and a CSR for it: the CN, and `dnsNames` as subjectAltName (the request's attributes carry the names too). */
export function localKeyAndCsr(alg: KeyAlgorithm, commonName: string, dnsNames: readonly string[] = []): { privateKeyPem: string; csrPem: string } {
  const p = algorithmParams(alg);
  const { privateKey, publicKey } = generateKeyPairFor(alg);
  const spki = new Uint8Array(publicKey.export({ format: "der", type: "spki" }));
  const info = buildCsrInfo(encodeName({ commonName }), spki, dnsNames);
  const signature = new Uint8Array(sign(p.hash, info, privateKey as KeyObject));
  return {
    privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
    csrPem: toPem(assembleCsr(info, alg, signature), "CERTIFICATE REQUEST"),
  };
}
