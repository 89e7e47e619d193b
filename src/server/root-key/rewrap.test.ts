import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { open, seal } from "../keys/envelope.js";
import { makeKeyring } from "../keys/keyring.js";
import { serverSecretAad } from "../keys/server-secret.js";
import type { SealedColumn, SealedRow } from "../store/sealed.repo.js";
import { census, findSealed, rewrapAll, type SealedStore } from "./rewrap.js";

const oldKey = randomBytes(32);
const newKey = randomBytes(32);
const ring = makeKeyring(newKey, [{ role: "previous", key: oldKey }]);

/** An in-memory store of server_secrets rows; `changedMeanwhile` names rows a "server" rewrites between read and write. */
function fakeStore(rows: Record<string, unknown>, changedMeanwhile = new Set<string>()): SealedStore & { rows: Record<string, unknown> } {
  return {
    rows,
    async page(c: SealedColumn, after, limit): Promise<SealedRow[]> {
      if (c.table !== "server_secrets") return [];
      return Object.keys(rows).sort().filter((k) => !after || k > after[0]).slice(0, limit).map((k) => ({ key: [k], value: rows[k] }));
    },
    async replace(_c, changes) {
      let n = 0;
      for (const ch of changes) {
        if (changedMeanwhile.has(ch.key[0])) continue;
        rows[ch.key[0]] = ch.value;
        n++;
      }
      return n;
    },
  };
}

describe("rewrapAll", () => {
  it("ok/re-wraps whole and nested envelopes batch by batch; a second pass has nothing to do", async () => {
    const store = fakeStore({
      a: seal(oldKey, Buffer.from("A"), serverSecretAad("a")),
      b: seal(oldKey, Buffer.from("B"), serverSecretAad("b")),
      "tls-ca": { certificate: "x", key: seal(oldKey, Buffer.from("T"), "stamp-tls-ca-key") },
    });
    const batches: number[] = [];
    const r = await rewrapAll({ store, ring, batchSize: 2, onBatch: (b) => void batches.push(b.batch) });
    expect(r).toEqual({ scanned: 3, rewrapped: 3, left: 0, failures: [] });
    expect(batches).toEqual([1, 2]);
    const only = makeKeyring(newKey);
    expect(open(only, findSealed(store.rows["tls-ca"])[0].sealed, "stamp-tls-ca-key").toString()).toBe("T");
    expect(open(only, findSealed(store.rows.a)[0].sealed, serverSecretAad("a")).toString()).toBe("A");
    expect(await census(store, 2)).toEqual(new Map([[ring.current.id, 3]]));
    expect((await rewrapAll({ store, ring, batchSize: 2 })).rewrapped).toBe(0);
  });

  it("fail/an envelope in an unknown place, or one that does not open, is reported and left; so is a row changed meanwhile", async () => {
    const store = fakeStore(
      {
        odd: { nested: seal(oldKey, Buffer.from("?"), "whatever") },
        bad: seal(oldKey, Buffer.from("B"), "not its aad"),
        busy: seal(oldKey, Buffer.from("C"), serverSecretAad("busy")),
      },
      new Set(["busy"]),
    );
    const r = await rewrapAll({ store, ring, batchSize: 10 });
    expect(r.rewrapped).toBe(0);
    expect(r.left).toBe(3);
    expect(r.failures).toEqual([
      expect.stringMatching(/^server_secrets\.sealed \(name = bad\): stored key could not be decrypted/),
      "server_secrets.sealed.nested (name = odd): this kind of sealed value is unknown to the rotation",
    ]);
    expect(await census(store, 10)).toEqual(new Map([[makeKeyring(oldKey).current.id, 3]]));
  });
});
