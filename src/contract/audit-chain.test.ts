import { describe, expect, it } from "vitest";
import { canonicalEntry, canonicalJson, chainVerifier, entryHash, GENESIS_HASH, type ChainedFields } from "./audit-chain.js";

const entry: ChainedFields = {
  id: "7",
  prevHash: GENESIS_HASH,
  projectId: null,
  actorType: "user",
  actorId: "u1",
  action: "ca.create",
  objectType: "ca",
  objectId: "c1",
  outcome: "success",
  sourceIp: "127.0.0.1",
  createdAt: "2026-01-01T00:00:00.123Z",
  detail: { zeta: 1, alpha: [1, 2.5, "ü"], nested: { b: true, a: null } },
};
// Known answer: the bytes docs/security.md specifies, hashed by `sha256sum`, not by this code.
const CANONICAL = `["stamp-audit-v1","7","${GENESIS_HASH}",null,"user","u1","ca.create","ca","c1","success","127.0.0.1","2026-01-01T00:00:00.123Z",{"alpha":[1,2.5,"ü"],"nested":{"a":null,"b":true},"zeta":1}]`;
const HASH = "ddf71bbfcbed6af5cdd31b206ab0d607e4c0003cdff54842a3cbbf248bb7f241";

/** A chain of n entries, sealed as the server seals them. */
function chain(n: number) {
  const out: (ChainedFields & { hash: string })[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const e = { ...entry, id: String(i), prevHash: prev, detail: { i } };
    const hash = entryHash(e);
    out.push({ ...e, hash });
    prev = hash;
  }
  return out;
}
const check = (entries: (ChainedFields & { hash: string })[]) => {
  const v = chainVerifier();
  for (const e of entries) {
    const bad = v.push(e);
    if (bad) return bad;
  }
  return null;
};

describe("ok/ audit chain encoding", () => {
  it("canonical encoding and hash: the known answer", () => {
    expect(canonicalEntry(entry)).toBe(CANONICAL);
    expect(entryHash(entry)).toBe(HASH);
  });
  it("key order, undefined members and Dates do not change the encoding (the database keeps none of them)", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, "x"], c: undefined } })).toBe('{"a":{"d":[1,"x"]},"b":1}');
    expect(entryHash({ ...entry, detail: { nested: { a: null, b: true }, zeta: 1, alpha: [1, 2.5, "ü"], gone: undefined } })).toBe(HASH);
    expect(canonicalEntry({ ...entry, detail: { at: new Date("2026-01-01T00:00:00Z") } })).toContain('{"at":"2026-01-01T00:00:00.000Z"}');
  });
  it("an intact chain verifies", () => {
    expect(check(chain(5))).toBeNull();
  });
});

describe("fail/ audit chain verification", () => {
  it("every field is covered: changing any one is an edit of that entry", () => {
    for (const [field, value] of Object.entries({ projectId: "p", actorType: "x", actorId: "x", action: "x", objectType: "x", objectId: "x", outcome: "denied", sourceIp: "::1", createdAt: "2026-01-01T00:00:00.124Z", detail: { i: 99 } })) {
      const c = chain(4);
      c[2] = { ...c[2], [field]: value };
      expect(check(c), field).toMatchObject({ id: "3", problem: "edited" });
    }
  });
  it("a deleted entry, an inserted one, a re-sealed one and a reordered pair are each found at the first bad entry", () => {
    const deleted = chain(5);
    deleted.splice(2, 1);
    expect(check(deleted)).toMatchObject({ id: "4", problem: "broken-link" });
    const resealed = chain(5);
    resealed[1] = { ...resealed[1], detail: { i: 42 } };
    resealed[1].hash = entryHash(resealed[1]);
    expect(check(resealed)).toMatchObject({ id: "3", problem: "broken-link" });
    const swapped = chain(4);
    [swapped[1], swapped[2]] = [swapped[2], swapped[1]];
    expect(check(swapped)).toMatchObject({ id: "3", problem: "broken-link" });
    const repeated = chain(3);
    repeated.push({ ...repeated[2] });
    expect(check(repeated)).toMatchObject({ id: "3", problem: "out-of-order" });
    const inserted = chain(3);
    inserted.push({ ...entry, id: "4", prevHash: GENESIS_HASH, hash: entryHash({ ...entry, id: "4" }) });
    expect(check(inserted)).toMatchObject({ id: "4", problem: "broken-link" });
  });
});
