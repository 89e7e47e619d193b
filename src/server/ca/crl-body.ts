/**
 * A CRL body too large to hold twice: its entries are spilled to a temporary file as they are
 * encoded, hashed from there between the TBSCertList's head and tail (whose DER lengths need
 * the entries' total first), and stored in parts. Memory stays at one read block, whatever the
 * number of entries. Ed25519 cannot hash in parts (RFC 8032), so its TBS is built in memory.
 */
import { mkdtemp, open, rm, type FileHandle } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { KeyAlgorithm } from "../../pki/algorithms.js";
import { crlSignedParts, crlTbsParts, type CrlTbsInput } from "../../pki/crl.js";
import type { Signer } from "../keys/index.js";

/** Bytes per stored part and per read from the spill file (32 KiB parts took 70% longer to store a 53 MB CRL, for no less memory). */
export const PART_BYTES = 256 * 1024;

/**
 * Encoded entries: their total length and a way to read them again, in order, as often as
 * needed. A block is valid until the next one is asked for (the spill file reuses one buffer):
 * consumers hash, copy or encode it at once.
 */
export interface EntryBytes {
  size: number;
  blocks(): AsyncIterable<Uint8Array>;
}

/** Entries already in memory (a delta CRL's). */
export function memoryEntries(chunks: Uint8Array[]): EntryBytes {
  return {
    size: chunks.reduce((n, c) => n + c.length, 0),
    async *blocks() {
      yield* chunks;
    },
  };
}

/**
 * A temporary file the entries are appended to, unlinked as soon as it is open: it lives only as
 * long as its handle, so `close`, or the process's end however abrupt, frees it and nothing is
 * left in the temporary directory.
 */
export async function createSpill(): Promise<EntryBytes & { append(bytes: Uint8Array): Promise<void>; close(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "stamp-crl-"));
  let fh: FileHandle | undefined;
  try {
    fh = await open(path.join(dir, "entries"), "w+", 0o600);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const file = fh;
  let size = 0;
  return {
    get size() {
      return size;
    },
    async append(bytes) {
      let done = 0;
      while (done < bytes.length) done += (await file.write(bytes, done, bytes.length - done, size + done)).bytesWritten;
      size += bytes.length;
    },
    async *blocks() {
      // One buffer for every block (see EntryBytes): a million entries are 1,600 blocks.
      const buf = new Uint8Array(Math.min(PART_BYTES, size));
      for (let at = 0; at < size; ) {
        const want = Math.min(PART_BYTES, size - at);
        let got = 0;
        while (got < want) {
          const { bytesRead } = await file.read(buf, got, want - got, at + got);
          if (bytesRead === 0) throw new Error("the CRL spill file is shorter than what was written");
          got += bytesRead;
        }
        at += got;
        yield buf.subarray(0, got);
      }
    },
    async close() {
      await file.close().catch(() => {});
    },
  };
}

/** A signed CRL as the parts it is stored in: prefix and tail around the entries, read again from `entries`. */
export interface SignedCrl {
  size: number;
  parts(): AsyncIterable<Uint8Array>;
}

/** Signs the TBSCertList made of `input` and `entries` (RFC 5280 §5.1), hashing the entries block by block. */
export async function signCrl(signer: Signer, alg: KeyAlgorithm, input: CrlTbsInput, entries: EntryBytes): Promise<SignedCrl> {
  const { head, tail, length } = crlTbsParts(input, entries.size);
  let signature: Uint8Array;
  if (signer.signParts) {
    const s = signer.signParts();
    s.update(head);
    let n = 0;
    for await (const b of entries.blocks()) {
      s.update(b);
      n += b.length;
    }
    if (n !== entries.size) throw new Error("the CRL entries changed size while being signed");
    s.update(tail);
    signature = await s.sign();
  } else {
    // Ed25519: PureEdDSA needs the whole message, so this TBS is built in memory.
    const tbs = new Uint8Array(length);
    tbs.set(head, 0);
    let p = head.length;
    for await (const b of entries.blocks()) {
      tbs.set(b, p);
      p += b.length;
    }
    tbs.set(tail, p);
    signature = await signer.sign(tbs);
  }
  const { prefix, suffix } = crlSignedParts(length, alg, signature);
  const first = concat(prefix, head);
  const last = concat(tail, suffix);
  return {
    size: first.length + entries.size + last.length,
    async *parts() {
      yield first;
      yield* entries.blocks();
      yield last;
    },
  };
}

/** The whole CRL in one buffer (for CRLs stored in one row). */
export async function wholeCrl(crl: SignedCrl): Promise<Uint8Array> {
  const out = new Uint8Array(crl.size);
  let p = 0;
  for await (const part of crl.parts()) {
    out.set(part, p);
    p += part.length;
  }
  if (p !== out.length) throw new Error("the CRL parts do not add up to its size");
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
