import { describe, it, expect } from "vitest";
import { isStampError } from "../errors.js";
import { derUnsignedInteger } from "./der.js";
import { serialFromRandom, serialHex } from "./serial.js";

describe("serialFromRandom", () => {
  it("ok/ clears the top bit: DER INTEGER is exactly 20 content octets", () => {
    const s = serialFromRandom(new Uint8Array(20).fill(0xff));
    expect(serialHex(s)).toBe("7f" + "ff".repeat(19));
    expect(derUnsignedInteger(s).length).toBe(22);
  });
  it("ok/ a zero first byte becomes 0x01", () => {
    const s = serialFromRandom(new Uint8Array(20));
    expect(serialHex(s)).toBe("01" + "00".repeat(19));
    expect(derUnsignedInteger(s).length).toBe(22);
  });
  it("ok/ 0x80 first byte becomes 0x01 too (0x80 & 0x7f = 0)", () => {
    const r = new Uint8Array(20).fill(0xab);
    r[0] = 0x80;
    expect(serialFromRandom(r)[0]).toBe(1);
  });
  it("ok/ does not modify the input", () => {
    const r = new Uint8Array(20).fill(0xff);
    serialFromRandom(r);
    expect(r[0]).toBe(0xff);
  });
  it("fail/ wrong length", () => {
    expect(() => serialFromRandom(new Uint8Array(16))).toThrow();
    try {
      serialFromRandom(new Uint8Array(21));
    } catch (e) {
      expect(isStampError(e, "internal")).toBe(true);
    }
  });
});

describe("serialHex", () => {
  it("ok/ lowercase hex of a subarray", () => {
    expect(serialHex(Uint8Array.of(0, 0xab, 0xcd, 1).subarray(1, 3))).toBe("abcd");
  });
});
