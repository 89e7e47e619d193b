import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { crlEntries, encodeCrlEntry, parseCrl, verifyCrlSignature, type CrlTbsInput } from "../../pki/crl.js";
import { encodeName } from "../../pki/name.js";
import { createSoftwareKeys } from "../keys/software.js";
import { PART_BYTES, createSpill, memoryEntries, signCrl, wholeCrl } from "./crl-body.js";

const N = 12_000; // about 630 KB of entries: several spill blocks and stored parts

function entries(): Uint8Array[] {
  const at = new Date("2025-05-01T00:00:00Z");
  return Array.from({ length: N }, (_, i) => encodeCrlEntry({ serialHex: (0x4000_0000n + BigInt(i)).toString(16), revokedAt: at, reasonCode: i % 2 }));
}

describe("ok/ signCrl", () => {
  it.each(["EC_prime256v1", "RSA_2048", "ED25519"] as const)("%s: entries from a spill file, signed in parts (buffered for Ed25519), give a CRL that verifies and lists them all", async (alg) => {
    const keys = createSoftwareKeys({ rootKey: randomBytes(32) });
    const { ref, spki } = await keys.generate(alg, `crl-${alg}`);
    const signer = await keys.signer(ref, alg);
    expect(Boolean(signer.signParts)).toBe(alg !== "ED25519");
    const input: CrlTbsInput = { issuer: encodeName({ commonName: "Spill CA" }), issuerSpki: spki, signerAlgorithm: alg, thisUpdate: new Date("2025-05-31T00:00:00Z"), nextUpdate: new Date("2025-06-07T00:00:00Z"), crlNumber: 5n };
    const list = entries();
    const spill = await createSpill();
    try {
      for (let i = 0; i < list.length; i += 1000) for (const e of list.slice(i, i + 1000)) await spill.append(e);
      const crl = await signCrl(signer, alg, input, spill);
      let parts = 0;
      for await (const p of crl.parts()) {
        parts++;
        expect(p.length).toBeLessThanOrEqual(PART_BYTES);
      }
      expect(parts).toBeGreaterThan(3);
      const der = await wholeCrl(crl);
      expect(der.length).toBe(crl.size);
      const parsed = parseCrl(der);
      expect(verifyCrlSignature(parsed, spki)).toBe(true);
      expect(parsed.entries).toBe(N);
      expect([...crlEntries(parsed)].at(-1)?.serialHex).toBe((0x4000_0000n + BigInt(N - 1)).toString(16));
      // The same entries from memory give the same TBS (the signature differs for ECDSA only).
      const again = parseCrl(await wholeCrl(await signCrl(signer, alg, input, memoryEntries(list))));
      expect(Buffer.compare(again.tbs, parsed.tbs)).toBe(0);
    } finally {
      await spill.close();
    }
  });
});

describe("createSpill", () => {
  it("ok/ the spill file has no name on disk from the start: a killed server leaves nothing in the temporary directory", async () => {
    const before = new Set(readdirSync(os.tmpdir()).filter((n) => n.startsWith("stamp-crl-")));
    const spill = await createSpill();
    try {
      await spill.append(new Uint8Array([1, 2, 3]));
      // (Another test's spill may show for an instant between its mkdtemp and unlink: read twice.)
      const fresh = () => readdirSync(os.tmpdir()).filter((n) => n.startsWith("stamp-crl-") && !before.has(n));
      const first = fresh();
      await new Promise((r) => setTimeout(r, 200));
      expect(fresh().filter((n) => first.includes(n))).toEqual([]);
      // Still readable through its handle.
      const blocks: number[] = [];
      for await (const b of spill.blocks()) blocks.push(...b);
      expect(blocks).toEqual([1, 2, 3]);
    } finally {
      await spill.close();
    }
  });
});

describe("fail/ signCrl", () => {
  it("refuses entries that change size between counting and hashing", async () => {
    const keys = createSoftwareKeys({ rootKey: randomBytes(32) });
    const { ref, spki } = await keys.generate("EC_prime256v1", "crl-bad");
    const signer = await keys.signer(ref, "EC_prime256v1");
    const input: CrlTbsInput = { issuer: encodeName({ commonName: "Bad" }), issuerSpki: spki, signerAlgorithm: "EC_prime256v1", thisUpdate: new Date("2025-05-31T00:00:00Z"), nextUpdate: new Date("2025-06-07T00:00:00Z"), crlNumber: 5n };
    const e = entries().slice(0, 3);
    const liar = { size: e[0].length, blocks: memoryEntries(e).blocks };
    await expect(signCrl(signer, "EC_prime256v1", input, liar)).rejects.toThrow(/changed size/);
  });
});
